package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.runtime.Cuda;
import dev.kiln.backend.torch.Interpreter;
import dev.kiln.backend.torch.TorchDevice;
import dev.kiln.compiler.hybrid.HybridCompiler;
import dev.kiln.compiler.hybrid.HybridRuntime;
import dev.kiln.compiler.hybrid.Program;
import dev.kiln.compiler.hybrid.TorchPlacement;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.Node;
import dev.kiln.ir.npy.Npz;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.partition.PartitionSettings;
import dev.kiln.passes.Precision;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.cuda.global.cudart;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hybrid runtime on the GPU: TensorRT engines and libtorch (CPU) stages in one program. Each check
 * prints a line starting with {@code HYBRID }.
 * <ol>
 *   <li>a model with an op no converter takes ({@code aten::roll}, added to the cnn fixture at its end and
 *       in its middle) compiles, runs and matches PyTorch (the fixture's outputs, rolled) and libtorch;</li>
 *   <li>an op forced to torch ({@code aten::relu}) on cnn and mlp matches the fixtures' PyTorch outputs;</li>
 *   <li>every committed fixture compiles with fallback enabled and matches its npz (and the exported
 *       bench models too when {@code KILN_MODELS_DIR} names them);</li>
 *   <li>save, {@code Kiln.loadCompiled}, forward gives bit-identical outputs;</li>
 *   <li>16 threads x 1000 forward calls are all correct, and GPU memory ({@code cudaMemGetInfo}) and host
 *       RSS do not grow after warm-up;</li>
 *   <li>a second compile takes its engines from the engine cache; a damaged entry is rebuilt;</li>
 *   <li>engines built in a child JVM (isolated builds) give the in-process build's outputs;</li>
 *   <li>with CUDA graphs on, every call's outputs are the plain calls' bit for bit.</li>
 * </ol>
 * FP32 (TF32 off) throughout; relative L2 error at most 1e-4.
 */
@Tag("gpu")
class HybridGpuTest {
    static final double TOLERANCE = 1e-4;
    static final dev.kiln.partition.CostModel FREE_BOUNDARIES = HybridCpuTest.FREE_BOUNDARIES;

    @TempDir
    static Path tmp;

    /** FP32 with a timing cache shared by this class's builds ({@code KILN_TIMING_CACHE} to share it further). */
    static CompileSettings settings() {
        String cache = EndToEndGpuTest.knob("kiln.timing.cache", "KILN_TIMING_CACHE");
        CompileSettings s = CompileSettings.defaults().withPrecision(Precision.FP32)
                .withTimingCache(cache != null ? Path.of(cache) : tmp.resolve("kiln.timing"));
        String level = EndToEndGpuTest.knob("kiln.opt.level", "KILN_OPT_LEVEL");
        return level == null ? s : s.withOptimizationLevel(Integer.parseInt(level));
    }

    /** Split wherever a node must go to torch (no size or cost limit), to test real boundaries. */
    static CompileSettings splitting(List<String> torchOps) {
        return settings().withPartition(PartitionSettings.defaults().withMinBlockSize(1).withCostModel(FREE_BOUNDARIES)
                .withTorchOps(torchOps));
    }

    /** {@code g} (not yet optimized) with {@code aten::roll(v, [1], [dim])} after the first node of {@code afterOp}, or at the end. */
    static Graph withRoll(Graph g, String afterOp, int dim) {
        String text = IrPrinter.print(g);
        String target;
        if (afterOp == null) {
            target = g.outputs().get(0).name();
        } else {
            target = g.nodes().stream().filter(n -> n.op().equals(afterOp)).findFirst().orElseThrow().output().name();
        }
        String type = g.value(target).orElseThrow().type().text();
        String ref = "%" + IrPrinter.name(target);
        String line = "  %rolled : " + type + " = aten::roll(" + ref + ", [1], [" + dim + "])\n";
        List<String> out = new ArrayList<>();
        boolean inserted = false;
        for (String l : text.split("\n", -1)) {
            if (inserted) {
                l = l.replaceAll("(?<![\\w.])" + java.util.regex.Pattern.quote(ref) + "(?![\\w.])", "%rolled");
            }
            out.add(l);
            boolean defines = l.strip().startsWith(ref + " :");
            if (!inserted && defines) {
                out.add(line.stripTrailing());
                inserted = true;
            }
        }
        if (!inserted) {
            throw new IllegalStateException("no definition of " + ref + " in the graph text");
        }
        return IrParser.parse(String.join("\n", out), g.name() + "+roll", SchemaRegistry.standard());
    }

    /** Row-major roll by 1 along the last dimension of a 2-d tensor: PyTorch's reference rolled the same way. */
    static ConstantTensor rollLast(ConstantTensor t) {
        long rows = t.sizes()[0];
        long cols = t.sizes()[1];
        float[] v = new float[(int) t.numel()];
        for (long i = 0; i < rows; i++) {
            for (long j = 0; j < cols; j++) {
                v[(int) (i * cols + (j + 1) % cols)] = (float) t.getDouble(i * cols + j);
            }
        }
        return ConstantTensor.ofFloats(t.sizes(), v);
    }

    static double worst(List<ConstantTensor> got, List<ConstantTensor> want) {
        assertThat(got).hasSameSizeAs(want);
        double w = 0;
        for (int i = 0; i < want.size(); i++) {
            double e = Fixtures.relL2(got.get(i), want.get(i));
            w = Double.isNaN(e) ? Double.NaN : Math.max(w, e);
        }
        return w;
    }

    static int torchStages(Program p) {
        return (int) p.stages().stream().filter(s -> s instanceof Program.TorchStage).count();
    }

    static void line(String format, Object... args) {
        System.out.printf(Locale.ROOT, "HYBRID " + format + "%n", args);
    }

    @Test
    void anOpWithoutAConverterRunsInLibtorch() {
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("cnn.npz", tmp));
        Graph cnn = Kiln.load(Fixtures.copy("cnn.pt2", tmp));
        // at the end: engine -> torch; PyTorch's own output, rolled, is the reference
        Graph atEnd = withRoll(cnn, null, 1);
        try (CompiledModule m = Kiln.compile(atEnd, settings())) {
            assertThat(torchStages(m.program())).isEqualTo(1);
            assertThat(m.program().needsGpu()).isTrue();
            double e = worst(m.forward(Fixtures.inputs(io)), List.of(rollLast(io.get("y0"))));
            line("unconverted-op model=cnn+roll(end) %s relL2=%.1e %s", m.program().describe(), e, m.stats());
            assertThat(e).isLessThanOrEqualTo(TOLERANCE);
        }
        // in the middle: engine -> torch -> engine; libtorch running the whole graph on the CPU is the reference
        Graph middle = withRoll(Kiln.load(Fixtures.copy("cnn.pt2", tmp)), "aten::relu", 3);
        List<ConstantTensor> want;
        try (Interpreter ref = new Interpreter(Graphs.copy(middle), TorchDevice.cpu())) {
            want = ref.runHost(Fixtures.inputs(io));
        }
        try (CompiledModule m = Kiln.compile(middle, settings().withPartition(PartitionSettings.defaults().withMinBlockSize(1)
                .withCostModel(FREE_BOUNDARIES)))) {
            assertThat(torchStages(m.program())).isEqualTo(1);
            assertThat(m.program().engines()).hasSize(2);
            double e = worst(m.forward(Fixtures.inputs(io)), want);
            line("unconverted-op model=cnn+roll(middle) %s relL2=%.1e %s", m.program().describe(), e, m.stats());
            assertThat(e).isLessThanOrEqualTo(TOLERANCE);
            // CPU libtorch: one copy down and one up around the torch stage; CUDA libtorch reads the engine's buffer in place
            assertThat(m.stats().boundaryCopiesPerForward()).isEqualTo(TorchPlacement.device().isCuda() ? 0.0 : 2.0);
        }
    }

    @Test
    void opsForcedToTorchMatchPyTorch() {
        for (String f : List.of("cnn", "mlp")) {
            Map<String, ConstantTensor> io = Npz.read(Fixtures.copy(f + ".npz", tmp));
            try (CompiledModule m = Kiln.compile(Fixtures.copy(f + ".pt2", tmp), splitting(List.of("aten::relu")))) {
                assertThat(torchStages(m.program())).isPositive();
                assertThat(m.program().engines()).isNotEmpty();
                double e = worst(m.forward(Fixtures.inputs(io)), Fixtures.outputs(io));
                line("forced-op model=%s torch_ops=aten::relu %s relL2=%.1e %s", f, m.program().describe(), e, m.stats());
                assertThat(e).isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    @Test
    void isolatedBuildsMatchPyTorchAndTheInProcessBuild() {
        // engines built in child JVMs (a crash inside TensorRT's builder would end the child, not this JVM)
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("cnn.npz", tmp));
        long t0 = System.nanoTime();
        try (CompiledModule iso = Kiln.compile(Fixtures.copy("cnn.pt2", tmp), splitting(List.of("aten::relu")).withIsolatedBuilds(true));
             CompiledModule here = Kiln.compile(Fixtures.copy("cnn.pt2", tmp), splitting(List.of("aten::relu")))) {
            double s = (System.nanoTime() - t0) / 1e9;
            List<ConstantTensor> a = iso.forward(Fixtures.inputs(io));
            double e = worst(a, Fixtures.outputs(io));
            double same = worst(a, here.forward(Fixtures.inputs(io)));
            line("isolated-build model=cnn %s relL2=%.1e vs_in_process=%.1e engines=%d seconds_both=%.1f", iso.program().describe(), e, same,
                    iso.program().engines().size(), s);
            assertThat(iso.program().engines()).isNotEmpty();
            assertThat(e).isLessThanOrEqualTo(TOLERANCE);
            assertThat(same).isLessThanOrEqualTo(1e-6);
        }
    }

    @Test
    void cudaGraphsGiveTheSameOutputs() {
        // one engine, and five stages (three engines around two libtorch stages): with graphs on, the second and later
        // calls replay each engine's work from a CUDA graph; the outputs must be the plain calls' exactly
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("cnn.npz", tmp));
        for (CompileSettings settings : List.of(CompileSettings.defaults(), splitting(List.of("aten::relu")))) {
            try (CompiledModule m = Kiln.compile(Fixtures.copy("cnn.pt2", tmp), settings)) {
                List<ConstantTensor> plain = m.forward(Fixtures.inputs(io));
                m.useCudaGraphs(true);
                double same = 0;
                for (int i = 0; i < 4; i++) {
                    same = Math.max(same, worst(m.forward(Fixtures.inputs(io)), plain));
                }
                double e = worst(m.forward(Fixtures.inputs(io)), Fixtures.outputs(io));
                m.useCudaGraphs(false);
                line("cuda-graphs model=cnn %s relL2=%.1e vs_plain=%.1e", m.program().describe(), e, same);
                assertThat(same).isZero();
                assertThat(e).isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureCompilesWithFallbackEnabled() throws IOException {
        FixtureManifest manifest = FixtureManifest.read(Fixtures.copy("manifest.json", tmp));
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, FixtureManifest.Fixture> e : manifest.fixtures().entrySet()) {
            for (String file : e.getValue().models()) {
                tests.add(DynamicTest.dynamicTest(file, () -> fallbackCheck(e.getKey(), Fixtures.copy(file, tmp),
                        Fixtures.copy(e.getKey() + ".npz", tmp))));
            }
        }
        String dir = EndToEndGpuTest.knob("kiln.models.dir", "KILN_MODELS_DIR");
        if (dir == null) {
            line("bench-models skipped: set KILN_MODELS_DIR (tools/gpu/export_models.py) to check them too");
        } else {
            String subset = EndToEndGpuTest.knob("kiln.gpu.models", "KILN_GPU_MODELS");
            for (String m : subset == null ? EndToEndGpuTest.MODELS : List.of(subset.split(","))) {
                tests.add(DynamicTest.dynamicTest(m + ".pt2", () -> fallbackCheck(m, Path.of(dir, m + ".pt2"),
                        Path.of(dir, m + ".npz"))));
            }
        }
        return tests.stream();
    }

    static void fallbackCheck(String name, Path model, Path npz) {
        Map<String, ConstantTensor> io = Npz.read(npz);
        CompileSettings s = settings(); // fallback enabled: the default
        if (model.getFileName().toString().endsWith(".pt")) {
            s = s.withInputs(EndToEndGpuTest.specsFrom(io));
        }
        try (CompiledModule m = Kiln.compile(model, s)) {
            double e = worst(m.forward(Fixtures.inputs(io)), Fixtures.outputs(io));
            line("fallback model=%s file=%s %s relL2=%.1e build_s=%.1f status=%s", name, model.getFileName(),
                    m.program().describe(), e, m.buildSeconds(), e <= TOLERANCE ? "ok" : "FAIL");
            assertThat(e).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    @Test
    void saveThenLoadGivesBitIdenticalOutputs() {
        // cond, whileloop: torch.export control flow in libtorch between engines, its numbers stored as the stage's constants
        for (String f : List.of("cnn", "mlp", "cond", "whileloop")) {
            Map<String, ConstantTensor> io = Npz.read(Fixtures.copy(f + ".npz", tmp));
            Path file = tmp.resolve(f + "-hybrid.kiln");
            List<ConstantTensor> before;
            String describe;
            CompileSettings s = f.equals("cnn") ? splitting(List.of("aten::relu"))
                    : f.equals("mlp") ? settings() : splitting(List.of());
            try (CompiledModule m = Kiln.compile(Fixtures.copy(f + ".pt2", tmp), s)) {
                before = m.forward(Fixtures.inputs(io));
                m.save(file);
                describe = m.program().describe();
            }
            try (CompiledModule m = Kiln.loadCompiled(file)) {
                List<ConstantTensor> after = m.forward(Fixtures.inputs(io));
                boolean same = true;
                for (int i = 0; i < before.size(); i++) {
                    same &= after.get(i).contentEquals(before.get(i));
                }
                line("save-load model=%s %s bit_identical=%s kiln_mib=%.2f", f, describe, same, size(file) / 1048576.0);
                assertThat(same).isTrue();
            }
        }
    }

    @Test
    void sixteenThreadsThousandCallsEachStayCorrectWithoutGrowth() throws Exception {
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("cnn.npz", tmp));
        List<ConstantTensor> xs = Fixtures.inputs(io);
        try (CompiledModule m = Kiln.compile(Fixtures.copy("cnn.pt2", tmp), splitting(List.of("aten::relu")))) {
            ConstantTensor want = Fixtures.outputs(io).get(0);
            ConstantTensor first = m.forward(xs).get(0);
            assertThat(Fixtures.relL2(first, want)).isLessThanOrEqualTo(TOLERANCE);
            assertThat(fixedHeap()).as("this test reads native growth as RSS growth, so the heap must not grow or be touched"
                    + " for the first time while it runs: run it with -Xms equal to -Xmx and -XX:+AlwaysPreTouch (mvn -Pgpu and"
                    + " tools/gpu/checks.sh do)").isTrue();
            // one pool for every round: new threads would bring new malloc arenas and thread-local caches
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                hammer(pool, m, xs, first, 16, 200); // warm-up: every thread's context exists, caches have their working size
                System.gc();
                long gpu0 = gpuUsed();
                long rss0 = rss();
                int owners0 = dev.kiln.backend.torch.TorchTensors.liveOwners();
                long t0 = System.nanoTime();
                long bad = hammer(pool, m, xs, first, 16, 1000);
                double s = (System.nanoTime() - t0) / 1e9;
                System.gc();
                long gpu1 = gpuUsed();
                long rss1 = rss();
                int owners1 = dev.kiln.backend.torch.TorchTensors.liveOwners();
                // a second round: a leak keeps growing, an allocator's high-water mark does not
                bad += hammer(pool, m, xs, first, 16, 1000);
                System.gc();
                long gpu2 = gpuUsed();
                long rss2 = rss();
                line("threads=16 calls=16000+16000 wrong=%d seconds=%.1f calls_per_s=%.0f gpu_used_mib before=%.1f after=%.1f growth=%.1f"
                                + " then=%.1f host_rss_mib before=%.1f after=%.1f growth=%.1f then=%.1f torch_wrappers before=%d after=%d %s %s",
                        bad, s, 16000 / s, gpu0 / 1048576.0, gpu1 / 1048576.0, (gpu1 - gpu0) / 1048576.0, (gpu2 - gpu1) / 1048576.0,
                        rss0 / 1048576.0, rss1 / 1048576.0, (rss1 - rss0) / 1048576.0, (rss2 - rss1) / 1048576.0, owners0, owners1,
                        m.program().describe(), m.stats());
                assertThat(bad).isZero();
                assertThat(gpu1 - gpu0).as("GPU memory growth").isLessThanOrEqualTo(8L << 20);
                assertThat(gpu2 - gpu1).as("GPU memory growth in the second round").isLessThanOrEqualTo(8L << 20);
                assertThat(rss1 - rss0).as("host memory growth").isLessThanOrEqualTo(128L << 20);
                assertThat(rss2 - rss1).as("host memory growth in the second round").isLessThanOrEqualTo(32L << 20);
                assertThat(owners1).as("libtorch tensors over Kiln memory still alive").isEqualTo(owners0);
            } finally {
                pool.shutdown();
            }
            assertThat(m.stats().contexts()).isBetween(1L, 17L);
        }
    }

    /** Calls from {@code threads} threads, {@code calls} each; returns how many outputs differed from {@code want} beyond 1e-6. */
    static long hammer(ExecutorService pool, CompiledModule m, List<ConstantTensor> xs, ConstantTensor want, int threads, int calls)
            throws Exception {
        List<Future<Long>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            fs.add(pool.submit(() -> {
                long bad = 0;
                for (int i = 0; i < calls; i++) {
                    if (!(Fixtures.relL2(m.forward(xs).get(0), want) <= 1e-6)) {
                        bad++;
                    }
                }
                return bad;
            }));
        }
        long bad = 0;
        for (Future<Long> f : fs) {
            bad += f.get();
        }
        return bad;
    }

    /** Whether the heap is fixed in size and pre-touched, so that it adds nothing to RSS while a test runs. */
    static boolean fixedHeap() {
        java.lang.management.MemoryUsage heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        com.sun.management.HotSpotDiagnosticMXBean hs = java.lang.management.ManagementFactory.getPlatformMXBean(
                com.sun.management.HotSpotDiagnosticMXBean.class);
        return heap.getInit() == heap.getMax() && Boolean.parseBoolean(hs.getVMOption("AlwaysPreTouch").getValue());
    }

    static long gpuUsed() {
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            Cuda.check(cudart.cudaMemGetInfo(free, total), "reading GPU memory");
            return total.get() - free.get();
        }
    }

    static long rss() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void engineCacheReusesEnginesAndRebuildsADamagedEntry() throws IOException {
        Path cache = tmp.resolve("engine-cache");
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("cnn.npz", tmp));
        CompileSettings s = splitting(List.of("aten::relu")).withEngineCache(cache);
        HybridCompiler.Result cold = HybridCompiler.compile(Kiln.load(Fixtures.copy("cnn.pt2", tmp)), s);
        HybridCompiler.Result warm = HybridCompiler.compile(Kiln.load(Fixtures.copy("cnn.pt2", tmp)), s);
        int engines = cold.program().engines().size();
        assertThat(cold.enginesBuilt()).isEqualTo(engines);
        assertThat(warm.enginesBuilt()).isZero();
        assertThat(warm.enginesCached()).isEqualTo(engines);
        Path entry;
        try (Stream<Path> files = Files.list(cache)) {
            entry = files.filter(p -> p.toString().endsWith(".plan")).sorted().findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(entry);
        b[b.length / 2] ^= 0x55;
        Files.write(entry, b);
        HybridCompiler.Result repaired = HybridCompiler.compile(Kiln.load(Fixtures.copy("cnn.pt2", tmp)), s);
        assertThat(repaired.enginesBuilt()).isEqualTo(1);
        assertThat(repaired.enginesCached()).isEqualTo(engines - 1);
        double e;
        try (HybridRuntime rt = HybridRuntime.load(repaired.program())) {
            e = worst(rt.forward(Fixtures.inputs(io)), Fixtures.outputs(io));
        }
        line("engine-cache model=cnn engines=%d cold_s=%.2f warm_s=%.2f damaged_entry_rebuilt=%d relL2=%.1e", engines,
                cold.seconds(), warm.seconds(), repaired.enginesBuilt(), e);
        assertThat(e).isLessThanOrEqualTo(TOLERANCE);
    }
}
