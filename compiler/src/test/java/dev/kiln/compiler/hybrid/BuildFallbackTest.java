package dev.kiln.compiler.hybrid;

import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.EngineOptions;
import dev.kiln.compiler.CompileSettings;
import dev.kiln.compiler.Kiln;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.partition.Placement;
import dev.kiln.partition.Target;
import dev.kiln.partition.Why;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A node whose converter accepts it but for which TensorRT's builder finds no kernel (as f16 grouped
 * convolutions did on the H200) goes to libtorch, and the compile goes on. A stand-in builder plays
 * TensorRT here: it refuses any graph holding a convolution, naming the node as TensorRT's errors do.
 */
class BuildFallbackTest {
    @TempDir
    Path dir;

    private final List<Graph> attempts = new ArrayList<>();

    private Graph cnn() throws IOException {
        return Kiln.load(FixtureFiles.copy("cnn.pt2", dir.resolve("cnn.pt2")));
    }

    private EngineBuilder.Attempt builder(Graph g, EngineOptions o, ConverterRegistry r) {
        attempts.add(g);
        for (Node n : g.nodes()) {
            if (n.op().startsWith("aten::conv")) {
                return new EngineBuilder.Attempt(Optional.empty(), "TensorRT could not build the engine:\n"
                        + "  IBuilder::buildSerializedNetwork: Error Code 10: Internal Error (Could not find any implementation for node "
                        + n.op() + " " + n.name() + ".)", List.of(n.name()));
            }
        }
        return new EngineBuilder.Attempt(Optional.of(new BuiltEngine(ByteBuffer.allocateDirect(16), List.of(), List.of(), List.of(), 0,
                List.of())), "", List.of());
    }

    private static List<Placement> convolutions(HybridCompiler.Result r) {
        return r.partition().placements().stream().filter(pl -> pl.node().op().startsWith("aten::conv")).toList();
    }

    @Test
    void nodesTensorRtCannotBuildRunInLibtorchWithTensorRtsReason() throws IOException {
        HybridCompiler.Result r = HybridCompiler.compile(cnn(), CompileSettings.defaults(), this::builder);
        List<Placement> convs = convolutions(r);
        assertThat(convs).isNotEmpty();
        for (Placement pl : convs) {
            assertThat(pl.target()).isEqualTo(Target.TORCH);
            assertThat(pl.why()).isEqualTo(Why.MOVED);
            assertThat(pl.reason()).contains("TensorRT found no way to build it").contains("Could not find any implementation for node");
        }
        // one refused build per convolution (each refusal names one); what is left after them is small enough
        // that min_block_size leaves it in torch, or builds
        assertThat(attempts.size()).isGreaterThanOrEqualTo(convs.size());
        // the program runs every convolution in a torch stage
        long inTorch = r.program().stages().stream().filter(s -> s instanceof Program.TorchStage)
                .flatMap(s -> ((Program.TorchStage) s).graph().nodes().stream()).filter(n -> n.op().startsWith("aten::conv")).count();
        assertThat(inTorch).isEqualTo(convs.size());
    }

    @Test
    void theRestStillBuildsIntoEngines() throws IOException {
        // every convertible segment kept (min_block_size 1, boundaries free): the nodes between the convolutions
        // become engines once the convolutions are out
        CompileSettings s = CompileSettings.defaults().withPartition(dev.kiln.partition.PartitionSettings.defaults().withMinBlockSize(1)
                .withCostModel(new dev.kiln.partition.CostModel(8.0, 5.0e6, 2.0e7, 1.0e12, 0, 0)));
        HybridCompiler.Result r = HybridCompiler.compile(cnn(), s, this::builder);
        assertThat(r.program().engines()).isNotEmpty();
        assertThat(r.enginesBuilt()).isEqualTo(r.program().engines().size());
        assertThat(convolutions(r)).allMatch(pl -> pl.target() == Target.TORCH);
        Graph last = attempts.get(attempts.size() - 1);
        assertThat(last.nodes()).noneMatch(n -> n.op().startsWith("aten::conv"));
        // an engine built before a refusal is not built again in the next round
        List<String> builtTexts = attempts.stream().filter(a -> a.nodes().stream().noneMatch(n -> n.op().startsWith("aten::conv")))
                .map(EngineCache::irText).toList();
        assertThat(builtTexts).doesNotHaveDuplicates();
    }

    @Test
    void enginesBuiltBeforeARefusalAreNotBuiltAgain() throws IOException {
        // TensorRT refuses the second convolution and the graph's last node, one per round: the second round builds
        // the engine in front of the second convolution, then is refused at the last node; the third reuses that engine
        Graph g = cnn();
        String[] bad = new String[2];
        List<Graph> builtOk = new ArrayList<>();
        HybridCompiler.Engines refusing = (sub, o, r) -> {
            if (bad[0] == null) {
                bad[0] = g.nodes().stream().filter(n -> n.op().startsWith("aten::conv")).skip(1).findFirst().orElseThrow().name();
                bad[1] = g.nodes().get(g.nodes().size() - 1).name();
            }
            for (Node n : sub.nodes()) {
                if (n.name().equals(bad[0]) || n.name().equals(bad[1])) {
                    return new EngineBuilder.Attempt(Optional.empty(), "TensorRT could not build the engine:\n  no kernel for " + n.name(),
                            List.of(n.name()));
                }
            }
            builtOk.add(sub);
            return new EngineBuilder.Attempt(Optional.of(new BuiltEngine(ByteBuffer.allocateDirect(16), List.of(), List.of(), List.of(), 0,
                    List.of())), "", List.of());
        };
        CompileSettings s = CompileSettings.defaults().withPartition(dev.kiln.partition.PartitionSettings.defaults().withMinBlockSize(1)
                .withCostModel(new dev.kiln.partition.CostModel(8.0, 5.0e6, 2.0e7, 1.0e12, 0, 0)));
        HybridCompiler.Result r = HybridCompiler.compile(g, s, refusing);
        assertThat(r.partition().placements()).filteredOn(pl -> pl.why() == Why.MOVED).hasSize(2);
        assertThat(builtOk.stream().map(EngineCache::irText).toList()).doesNotHaveDuplicates();
        assertThat(r.enginesBuilt()).isEqualTo(builtOk.size());
        assertThat(r.program().engines().size()).isGreaterThan(builtOk.size() - 1);
    }

    @Test
    void withRequireFullCompilationARefusedBuildIsAnErrorNamingTheNode() throws IOException {
        assertThatThrownBy(() -> HybridCompiler.compile(cnn(), CompileSettings.defaults().withRequireFullCompilation(true), this::builder))
                .isInstanceOf(KilnException.class).hasMessageContaining("seg0").hasMessageContaining("Could not find any implementation");
        assertThat(attempts).hasSize(1);
    }

    @Test
    void aRefusalThatNamesNoNodeIsAnErrorNotALoop() throws IOException {
        assertThatThrownBy(() -> HybridCompiler.compile(cnn(), CompileSettings.defaults(), (g, o, r) -> {
            attempts.add(g);
            return new EngineBuilder.Attempt(Optional.empty(), "TensorRT could not build the engine and logged no error", List.of());
        })).isInstanceOf(KilnException.class).hasMessageContaining("logged no error");
        assertThat(attempts).hasSize(1);
    }
}
