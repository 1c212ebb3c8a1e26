package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.backend.tensorrt.partition.RegistryCapability;
import dev.kiln.compiler.hybrid.HybridCompiler;
import dev.kiln.compiler.hybrid.Program;
import dev.kiln.compiler.hybrid.Segments;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.npy.Npz;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.partition.Partition;
import dev.kiln.partition.PartitionSettings;
import dev.kiln.partition.Segment;
import dev.kiln.partition.Target;
import dev.kiln.passes.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The hybrid runtime without a GPU: programs whose every node is forced to libtorch compile, run on
 * the CPU through the same runtime (slots, contexts, torch stages), save and load; the partition
 * keeps non-tensor values out of engines; segments cut out of a graph print and parse back.
 */
class HybridCpuTest {
    @TempDir
    Path dir;

    /** A cost model under which every convertible segment pays off (boundaries are free): tests get real splits. */
    static final dev.kiln.partition.CostModel FREE_BOUNDARIES = new dev.kiln.partition.CostModel(8.0, 5.0e6, 2.0e7, 1.0e12, 0, 0);

    /** The ops {@code g} has after the compile pipeline (run on a copy). */
    static Set<String> opsAfterPasses(Graph g) {
        Graph c = Graphs.copy(g);
        Fixtures.runPipeline(c, Precision.FP32);
        return new TreeSet<>(c.opHistogram().keySet());
    }

    /** Settings forcing every node of {@code model} to libtorch: a program with no engine, runnable on the CPU. */
    static CompileSettings allTorch(Graph g) {
        return CompileSettings.defaults().withPartition(PartitionSettings.defaults().withTorchOps(opsAfterPasses(g)));
    }

    static double worst(List<ConstantTensor> got, List<ConstantTensor> want) {
        assertThat(got).hasSameSizeAs(want);
        double w = 0;
        for (int i = 0; i < want.size(); i++) {
            w = Math.max(w, Fixtures.relL2(got.get(i), want.get(i)));
        }
        return w;
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp.pt2", "cnn.pt2", "encoder.pt2", "dynbatch.pt2", "mlp.core.pt2"})
    void torchOnlyProgramsRunOnTheCpuAndMatchPyTorch(String file) {
        String m = file.substring(0, file.indexOf('.'));
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy(m + ".npz", dir));
        Graph g = Kiln.load(Fixtures.copy(file, dir));
        try (CompiledModule cm = Kiln.compile(g, allTorch(g))) {
            assertThat(cm.program().needsGpu()).isFalse();
            assertThat(cm.program().stages()).allMatch(s -> s instanceof Program.TorchStage);
            double e = worst(cm.forward(Fixtures.inputs(io)), Fixtures.outputs(io));
            System.out.println("HYBRID-CPU " + file + " " + cm.program().describe() + " relL2=" + e + " " + cm.stats());
            assertThat(e).isLessThanOrEqualTo(1e-5);
            assertThat(cm.stats().boundaryCopiesPerForward()).isZero();
        }
    }

    @Test
    void savedArchiveLoadsAndGivesBitIdenticalOutputs() {
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("cnn.npz", dir));
        Graph g = Kiln.load(Fixtures.copy("cnn.pt2", dir));
        Path file = dir.resolve("cnn.kiln");
        List<ConstantTensor> before;
        try (CompiledModule cm = Kiln.compile(g, allTorch(g))) {
            before = cm.forward(Fixtures.inputs(io));
            cm.save(file);
            assertThatThrownBy(() -> cm.save(dir.resolve("cnn.engine"))).isInstanceOf(KilnException.class)
                    .hasMessageContaining("save it as a .kiln archive");
        }
        try (CompiledModule loaded = Kiln.loadCompiled(file)) {
            List<ConstantTensor> after = loaded.forward(Fixtures.inputs(io));
            for (int i = 0; i < before.size(); i++) {
                assertThat(after.get(i).contentEquals(before.get(i))).as("output " + i + " bit-identical").isTrue();
            }
            assertThat(loaded.inputNames()).hasSize(1);
        }
        try (CompiledModule viaLoad = CompiledModule.load(file)) {
            assertThat(viaLoad.forward(io).get("y0").contentEquals(before.get(0))).isTrue();
            Map<String, ConstantTensor> misspelt = new java.util.TreeMap<>(Map.of("x0", io.get("x0"), "x_0", io.get("x0")));
            assertThatThrownBy(() -> viaLoad.forward(misspelt)).isInstanceOf(KilnException.class)
                    .hasMessageContaining("unknown input name(s) [x_0]").hasMessageContaining("x0 (");
        }
    }

    @Test
    void concurrentCallersGetTheirOwnContextsAndCorrectOutputs() throws Exception {
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("mlp.npz", dir));
        Graph g = Kiln.load(Fixtures.copy("mlp.pt2", dir));
        try (CompiledModule cm = Kiln.compile(g, allTorch(g))) {
            List<ConstantTensor> want = cm.forward(Fixtures.inputs(io));
            int owners = dev.kiln.backend.torch.TorchTensors.liveOwners();
            long pointers = org.bytedeco.javacpp.Pointer.totalCount();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Boolean>> fs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            if (!cm.forward(Fixtures.inputs(io)).get(0).contentEquals(want.get(0))) {
                                return false;
                            }
                        }
                        return true;
                    }));
                }
                for (Future<Boolean> f : fs) {
                    assertThat(f.get()).isTrue();
                }
            } finally {
                pool.shutdown();
            }
            assertThat(cm.stats().forwards()).isEqualTo(401);
            // every libtorch tensor a call made over Kiln's memory is gone again
            assertThat(dev.kiln.backend.torch.TorchTensors.liveOwners()).isEqualTo(owners);
            // and no JavaCPP object (tensors, IValues, stacks) outlives its call
            assertThat(org.bytedeco.javacpp.Pointer.totalCount()).isEqualTo(pointers);
            assertThat(cm.stats().contexts()).isBetween(1L, 9L);
        }
    }

    @Test
    void closeFreesOnceAndUseAfterCloseIsAKilnException() {
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("mlp.npz", dir));
        Graph g = Kiln.load(Fixtures.copy("mlp.pt2", dir));
        CompiledModule cm = Kiln.compile(g, allTorch(g));
        cm.forward(Fixtures.inputs(io));
        cm.close();
        cm.close();
        assertThatThrownBy(() -> cm.forward(Fixtures.inputs(io))).isInstanceOf(KilnException.class)
                .hasMessageContaining("is closed");
    }

    @Test
    void aBareEnqueueIsRefusedForAModuleThatIsNotOneEngine() {
        Graph g = Kiln.load(Fixtures.copy("mlp.pt2", dir));
        try (CompiledModule cm = Kiln.compile(g, allTorch(g))) {
            assertThatThrownBy(() -> cm.withBareEnqueue(List.of(), List.of(), bare -> 0)).isInstanceOf(KilnException.class)
                    .hasMessageContaining("not a single TensorRT engine").hasMessageContaining("bare enqueueV3");
            assertThatThrownBy(() -> cm.withBareEnqueue(null, List.of(), bare -> 0)).isInstanceOf(KilnException.class)
                    .hasMessageContaining("inputs are null");
        }
    }

    @Test
    void requireFullCompilationListsWhatCannotConvert() {
        Graph g = Kiln.load(Fixtures.copy("mlp.pt2", dir));
        CompileSettings s = CompileSettings.defaults().withPartition(PartitionSettings.defaults()
                .withTorchOps(List.of("aten::relu")).withRequireFullCompilation(true));
        assertThatThrownBy(() -> Kiln.compile(g, s)).isInstanceOf(KilnException.class)
                .hasMessageContaining("require_full_compilation").hasMessageContaining("aten::relu");
    }

    @Test
    void wrongInputCountIsAKilnException() {
        Graph g = Kiln.load(Fixtures.copy("mlp.pt2", dir));
        try (CompiledModule cm = Kiln.compile(g, allTorch(g))) {
            assertThatThrownBy(() -> cm.forward(List.of())).isInstanceOf(KilnException.class)
                    .hasMessageContaining("takes 1 input(s)");
            assertThatThrownBy(() -> cm.forward((List<ConstantTensor>) null)).isInstanceOf(KilnException.class)
                    .hasMessageContaining("inputs are null");
            assertThatThrownBy(() -> cm.forward(java.util.Arrays.asList((ConstantTensor) null))).isInstanceOf(KilnException.class)
                    .hasMessageContaining("input x0 is null");
        }
    }

    @Test
    void anInputOfTheWrongShapeIsAKilnExceptionBeforeAnythingRuns() {
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("cnn.npz", dir));
        Graph g = Kiln.load(Fixtures.copy("cnn.pt2", dir));
        long[] sizes = Fixtures.inputs(io).get(0).sizes();
        sizes[2] += 1;
        ConstantTensor wrong = new ConstantTensor(dev.kiln.ir.DType.FLOAT32, sizes,
                ConstantTensor.allocate(dev.kiln.ir.DType.FLOAT32, sizes));
        try (CompiledModule cm = Kiln.compile(g, allTorch(g))) {
            assertThatThrownBy(() -> cm.forward(List.of(wrong))).isInstanceOf(KilnException.class)
                    .hasMessageContaining("input x0").hasMessageContaining("dimension 2 must be " + (sizes[2] - 1));
            assertThat(cm.stats().forwards()).isZero();
            // the module still works after a refused call
            assertThat(worst(cm.forward(Fixtures.inputs(io)), Fixtures.outputs(io))).isLessThanOrEqualTo(1e-5);
        }
    }

    @Test
    void nonTensorValuesNeverCrossAnEnginesEdge() {
        // dynbatch reads sizes (sym_size, sym_numel: ints) and feeds them to view/full; forcing the view to torch
        // would leave an int crossing out of an engine unless its producer follows it
        Graph g = optimized("dynbatch.pt2");
        Set<String> ops = new TreeSet<>(g.opHistogram().keySet());
        System.out.println("dynbatch ops after passes: " + ops);
        int moved = 0;
        for (String forced : ops) {
            Partition p = splitAt(g, forced);
            // a node moved to keep a non-tensor value inside its engine says so (not "forced by the user")
            for (dev.kiln.partition.Placement pl : p.placements()) {
                if (pl.why() == dev.kiln.partition.Why.MOVED) {
                    moved++;
                    assertThat(pl.reason()).contains("only tensors cross an engine's edge").doesNotContain("by the user");
                } else if (pl.why() == dev.kiln.partition.Why.USER_NODE || pl.why() == dev.kiln.partition.Why.USER_OP) {
                    assertThat(pl.node().op()).isEqualTo(forced);
                }
            }
            for (Segment s : p.segments()) {
                if (s.target() == Target.TENSORRT) {
                    s.inputs().forEach(v -> assertThat(v.type()).as(forced + ": input %" + v.name())
                            .isInstanceOf(dev.kiln.ir.TensorType.class));
                    s.outputs().forEach(v -> assertThat(v.type()).as(forced + ": output %" + v.name())
                            .isInstanceOf(dev.kiln.ir.TensorType.class));
                }
            }
        }
        assertThat(moved).isPositive();
    }

    @Test
    void segmentsAreStandaloneGraphsThatPrintAndParseBack() {
        Graph g = optimized("cnn.pt2");
        Partition p = splitAt(g, "aten::relu");
        System.out.print(dev.kiln.partition.SupportReport.text(p));
        assertThat(p.segments().size()).isGreaterThan(2);
        for (Segment s : p.segments()) {
            Graph sub = Segments.extract(g, "seg" + s.index(), s.nodes(), s.inputs(), s.outputs());
            assertThat(sub.nodes()).hasSameSizeAs(s.nodes());
            assertThat(sub.inputs()).hasSameSizeAs(s.inputs());
            String text = IrPrinter.print(sub);
            Graph back = IrParser.parse(text, "seg", SchemaRegistry.standard());
            assertThat(IrPrinter.print(back)).isEqualTo(text);
        }
    }

    @Test
    void segmentSpecsFollowTheUsersRanges() {
        Graph g = optimized("dynbatch.pt2");
        Partition p = splitAt(g, "aten::softmax");
        Segment last = p.segments().get(p.segments().size() - 1);
        Graph sub = Segments.extract(g, "s", last.nodes(), last.inputs(), last.outputs());
        List<InputSpec> specs = Segments.specsFor(g, List.of(InputSpec.parse("x0=2..4..8x3x8x8")), sub);
        System.out.println("segment " + last.target() + " inputs " + sub.inputs() + " specs " + specs);
        assertThat(specs).hasSameSizeAs(sub.inputs());
        for (InputSpec s : specs) {
            assertThat(s.max()[0]).isLessThanOrEqualTo(8 * 3 * 8 * 8);
        }
        assertThat(Segments.specsFor(g, List.of(), sub)).isEmpty();
    }

    /** A fixture after the FP32 pass pipeline, as the compiler partitions it. */
    private Graph optimized(String fixture) {
        Graph g = Kiln.load(Fixtures.copy(fixture, dir));
        Fixtures.runPipeline(g, Precision.FP32);
        return g;
    }

    /** {@code g} partitioned with {@code torchOp} forced to torch and a split wherever that makes one (no size or cost limit). */
    private static Partition splitAt(Graph g, String torchOp) {
        ConverterRegistry r = ConverterRegistry.standard();
        return HybridCompiler.partition(g, new RegistryCapability(r, EngineBuilder.settingsFor(g, Precision.FP32)),
                PartitionSettings.defaults().withMinBlockSize(1).withCostModel(FREE_BOUNDARIES).withTorchOps(List.of(torchOp)));
    }

    /** The GPU test's premise, checked here: aten::roll has no converter, so cnn+roll splits into engines and a torch stage. */
    @Test
    void rollHasNoConverterSoTheGpuTestsModelsSplit() {
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("cnn.npz", dir));
        Graph cnn = Kiln.load(Fixtures.copy("cnn.pt2", dir));
        Graph atEnd = HybridGpuTest.withRoll(cnn, null, 1);
        Graph middle = HybridGpuTest.withRoll(cnn, "aten::relu", 3);
        assertThat(atEnd.opHistogram()).containsEntry("aten::roll", 1);
        // libtorch agrees with PyTorch's output rolled in Java (the reference of the GPU test)
        try (dev.kiln.backend.torch.Interpreter in = new dev.kiln.backend.torch.Interpreter(atEnd,
                dev.kiln.backend.torch.TorchDevice.cpu())) {
            assertThat(Fixtures.relL2(in.runHost(Fixtures.inputs(io)).get(0), HybridGpuTest.rollLast(io.get("y0"))))
                    .isLessThanOrEqualTo(1e-6);
        }
        for (Graph g : List.of(atEnd, middle)) {
            var capability = Fixtures.runPipeline(g, Precision.FP32);
            PartitionSettings ps = g == atEnd ? PartitionSettings.defaults()
                    : PartitionSettings.defaults().withMinBlockSize(1).withCostModel(FREE_BOUNDARIES);
            Partition p = HybridCompiler.partition(g, capability, ps);
            System.out.print(dev.kiln.partition.SupportReport.summary(p) + "\n");
            long trt = p.segments().stream().filter(x -> x.target() == Target.TENSORRT).count();
            long torch = p.segments().stream().filter(x -> x.target() == Target.TORCH).count();
            assertThat(torch).isEqualTo(1);
            assertThat(trt).isEqualTo(g == atEnd ? 1 : 2);
        }
    }
}
