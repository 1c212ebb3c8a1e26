package dev.kiln.backend.tensorrt;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.SourceLocation;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnsupportedNodesTest {
    record Fake(String op, String refusal) implements OpConverter {
        @Override
        public Support check(Node node, ConverterSettings settings) {
            return refusal == null ? Support.yes() : Support.no(refusal);
        }

        @Override
        public void convert(ConversionContext ctx, Node node) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void listsEveryUnsupportedNodeWithItsReason() {
        Graph g = TestGraphs.dynamicReluAdd(64);
        g.nodes().get(0).setLocation(new SourceLocation("m.py", 7));
        ConverterRegistry r = ConverterRegistry.builder().add(new Fake("aten::add.Tensor", "alpha must be 1")).build();
        assertThat(UnsupportedNodes.find(g, r, ConverterSettings.defaults())).hasSize(2);
        assertThatThrownBy(() -> UnsupportedNodes.requireAllSupported(g, r, ConverterSettings.defaults()))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("2 of 2 nodes cannot be converted")
                .hasMessageContaining("(aten::relu) at m.py:7: no TensorRT converter for aten::relu")
                .hasMessageContaining("(aten::add.Tensor)").hasMessageContaining("alpha must be 1")
                .hasMessageContaining("by op: aten::add.Tensor x1; aten::relu x1")
                .hasMessageContaining("kiln converters");
    }

    @Test
    void namesTheNodeOnceEvenWhenTheReasonAlreadyDoes() {
        Graph g = TestGraphs.dynamicReluAdd(64);
        Node relu = g.nodes().get(0);
        UnsupportedNodes.Refusal r = new UnsupportedNodes.Refusal(relu, relu.describe() + ": 'self' is f64");
        assertThat(r.toString()).isEqualTo(relu.describe() + ": 'self' is f64");
    }

    @Test
    void passesWhenEverythingConverts() {
        Graph g = TestGraphs.dynamicReluAdd(64);
        ConverterRegistry r = ConverterRegistry.builder().add(new Fake("aten::add.Tensor", null))
                .add(new Fake("aten::relu", null)).build();
        UnsupportedNodes.requireAllSupported(g, r, ConverterSettings.defaults());
        assertThat(UnsupportedNodes.find(g, r, ConverterSettings.defaults())).isEmpty();
    }

    @Test
    void engineBuilderChecksConvertersBeforeTouchingNativeCode() {
        // no GPU and no TensorRT here: the unsupported-node error must come first
        Graph g = TestGraphs.dynamicReluAdd(64);
        assertThatThrownBy(() -> EngineBuilder.build(g, EngineOptions.defaults(), ConverterRegistry.builder().build()))
                .isInstanceOf(KilnException.class).hasMessageContaining("2 of 2 nodes");
    }

    @Test
    void preparingTheBuilderWithoutAGpuSaysWhatIsMissing() {
        assertThatThrownBy(EngineBuilder::prepare).isInstanceOf(KilnException.class).hasMessageContaining("TensorRT");
    }

    @Test
    void buildFailuresNameTheLayersAndNodes() {
        Map<String, String> layers = new java.util.LinkedHashMap<>();
        layers.put("aten::add.Tensor add_1", "node add_1 (aten::add.Tensor) at m.py:3");
        layers.put("aten::add.Tensor add_12", "node add_12 (aten::add.Tensor) at m.py:9");
        layers.put("aten::relu relu#1", "node relu (aten::relu)");
        String m = EngineBuilder.failureMessage(List.of(
                "IBuilder::buildSerializedNetwork: Error Code 4: [aten::add.Tensor add_12]: broadcast dimensions must be conformable",
                "something unrelated"), layers);
        assertThat(m).contains("TensorRT could not build the engine:")
                .contains("broadcast dimensions must be conformable")
                .contains("aten::add.Tensor add_12 <- node add_12 (aten::add.Tensor) at m.py:9")
                .doesNotContain("<- node add_1 ")
                .doesNotContain("relu")
                .contains("run those nodes in libtorch").contains("--torch-nodes");
        assertThat(EngineBuilder.failureMessage(List.of(), layers)).contains("logged no error").doesNotContain("--torch-nodes");
        // the layers named, in order of mention, for a compile that moves their nodes to libtorch
        assertThat(EngineBuilder.namedLayers(List.of("Could not find any implementation for node aten::relu relu#1.",
                "[aten::add.Tensor add_12]: and [aten::add.Tensor add_1]"), layers.keySet()))
                .containsExactly("aten::relu relu#1", "aten::add.Tensor add_12", "aten::add.Tensor add_1");
    }
}
