package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.compiler.hybrid.HybridCompiler;
import dev.kiln.frontend.torchscript.ControlFlowPropertyTest;
import dev.kiln.frontend.torchscript.TorchScriptModels;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.partition.Partition;
import dev.kiln.partition.PartitionSettings;
import dev.kiln.passes.Precision;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The frontend's control-flow programs ({@link ControlFlowPropertyTest#program}: branches, loops, breaks, aliases, a
 * tuple, in-place writes, the input among them) through the whole compile on the CPU: the pass pipeline, the
 * partition into TensorRT and libtorch segments, each segment cut out and run by libtorch one after the other (what
 * the engines are built from and the libtorch stages run). Every program the frontend converts must compute what
 * libtorch's TorchScript interpreter computes.
 */
class CompiledControlFlowPropertyTest {
    private static Path dir;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("kiln-compiled-control-flow");
    }

    @AfterContainer
    static void tearDown() throws IOException {
        TorchScriptModels.deleteFolder(dir);
    }

    @Property(tries = 120, seed = "13")
    void compiledProgramsComputeWhatLibtorchComputes(@ForAll long seed) {
        String source = ControlFlowPropertyTest.program(seed);
        Path file = TorchScriptModels.save(source, dir, "c" + Long.toHexString(seed) + ".pt");
        Graph g;
        try {
            g = Kiln.load(file, List.of(InputSpec.parse("x0=2x3")));
        } catch (KilnException refusedByTheFrontend) {
            return; // ControlFlowPropertyTest checks what the frontend refuses and why
        }
        checkBothPrecisions(source, file, g);
    }

    /** The same for the frontend's random in-place list changes ({@link dev.kiln.frontend.torchscript.ListMutationTest#program}). */
    @Property(tries = 60, seed = "17")
    void compiledListProgramsComputeWhatLibtorchComputes(@ForAll long seed) {
        String source = dev.kiln.frontend.torchscript.ListMutationTest.program(seed);
        Path file = TorchScriptModels.save(source, dir, "l" + Long.toHexString(seed) + ".pt");
        Graph g = Kiln.load(file, List.of(InputSpec.parse("x0=2x3")));
        checkBothPrecisions(source, file, g);
    }

    /**
     * The same for loops that build lists by appends ({@link dev.kiln.frontend.torchscript.LoopAppendTest#program}), the
     * batch dynamic so that the loops run at run time and their stacked lists are typed {@code [s0, 3]}.
     */
    @Property(tries = 40, seed = "23")
    void compiledLoopsBuildingListsComputeWhatLibtorchComputes(@ForAll long seed) {
        String source = dev.kiln.frontend.torchscript.LoopAppendTest.program(seed);
        Path file = TorchScriptModels.save(source, dir, "a" + Long.toHexString(seed) + ".pt");
        Graph g = Kiln.load(file, List.of(InputSpec.parse("x0=1..4x3")));
        checkBothPrecisions(source, file, g);
    }

    private static void checkBothPrecisions(String source, Path file, Graph g) {
        for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
            check(source, file, dev.kiln.ir.Graphs.copy(g), p);
        }
    }

    private static void check(String source, Path file, Graph g, Precision p) {
        var capability = Fixtures.runPipeline(g, p);
        assertThat(Verifier.check(g)).as(source + p).isEmpty();
        // segments cut where the program has them, and again around every tanh sent to libtorch: boundaries between
        // TensorRT and libtorch segments in the middle of the written and aliased variables
        PartitionSettings settings = PartitionSettings.defaults().withMinBlockSize(1);
        if (Math.floorMod(source.hashCode(), 2) == 0) {
            settings = settings.withTorchOps(List.of("aten::tanh"));
        }
        Partition part = HybridCompiler.partition(g, capability, settings);
        // FP16: the products and sums of half-precision values, through a few loop trips
        double tolerance = p == Precision.FP32 ? 1e-5 : 3e-2;
        for (float scale : new float[] {1f, -1f}) {
            ConstantTensor x = ConstantTensor.ofFloats(new long[] {2, 3}, 0.5f * scale, 1f * scale, -0.25f * scale,
                    2f * scale, 0.75f * scale, -1f * scale);
            List<ConstantTensor> want = TorchScriptModels.libtorch(file, List.of(x));
            List<ConstantTensor> got = Fixtures.segmentBySegment(g, part, List.of(x), sub -> { });
            assertThat(got).as(source).hasSameSizeAs(want);
            for (int k = 0; k < want.size(); k++) {
                for (long i = 0; i < want.get(k).numel(); i++) {
                    assertThat(got.get(k).getDouble(i)).as(source + "\n" + p + " output " + k + " element " + i + " for x * " + scale)
                            .isCloseTo(want.get(k).getDouble(i), org.assertj.core.data.Offset.offset(tolerance * Math.max(1, Math.abs(want.get(k).getDouble(i)))));
                }
            }
        }
    }
}
