package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.partition.RegistryCapability;
import dev.kiln.compiler.hybrid.HybridCompiler;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.partition.Partition;
import dev.kiln.partition.PartitionSettings;
import dev.kiln.partition.Target;
import dev.kiln.passes.Precision;
import dev.kiln.passes.eval.GraphEvaluator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The premise of {@link DecompositionsGpuTest}, on the CPU: after the compile's passes the graph of ops without
 * converters is one TensorRT segment (no libtorch stage), and libtorch computes the same on the decomposed graph as
 * on the original, in FP32 and with the FP16 precision pass (whose islands keep the statistics in FP32).
 */
class DecompositionsCpuTest {
    @Test
    void everyDecomposedOpLandsInTensorRtAndComputesTheSame() {
        List<ConstantTensor> in = DecompositionsGpuTest.inputs();
        for (var graph : DecompositionsGpuTest.GRAPHS.entrySet()) {
            Graph original = IrParser.parse(graph.getValue(), graph.getKey() + ".kir", SchemaRegistry.standard());
            ConstantTensor want = GraphEvaluator.run(Graphs.copy(original), in).get(0);
            for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
                Graph g = Graphs.copy(original);
                ConverterRegistry r = ConverterRegistry.standard();
                var cs = EngineBuilder.settingsFor(g, p);
                CompilePipeline.run(g, p, Set.of(), n -> r.lookup(n, cs).supported());
                Partition part = HybridCompiler.partition(g, new RegistryCapability(r, EngineBuilder.settingsFor(g, p)),
                        PartitionSettings.defaults().withRequireFullCompilation(true));
                assertThat(part.segments()).as(graph.getKey() + " " + p + " segments").allMatch(s -> s.target() == Target.TENSORRT);
                double e = Fixtures.relL2(GraphEvaluator.run(g, in).get(0), want);
                assertThat(e).as(graph.getKey() + " " + p + " decomposed against original")
                        .isLessThanOrEqualTo(p == Precision.FP32 ? 1e-5 : 1e-2);
            }
        }
    }
}
