package dev.kiln.compiler;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.npy.Npz;
import dev.kiln.passes.Precision;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kiln end to end on the GPU: every committed fixture (.pt2, .core.pt2, and the TorchScript .traced.pt
 * and .scripted.pt with static input specs from the npz), and every model {@code tools/gpu/export_models.py}
 * wrote into {@code -Dkiln.models.dir} (or {@code $KILN_MODELS_DIR}), is compiled in FP32 and FP16
 * and checked against the eager FP32 outputs in its {@code .npz}: relative L2 error per output at most
 * 1e-4 (FP32, TF32 off) and 1e-2 (FP16). Each case prints one line
 * {@code GPU-SUMMARY model=cnn precision=fp16 relL2=3.1e-4 build_s=1.2 run_ms=0.3 status=ok}, also
 * when it fails ({@code status=FAIL error=...}). If the models folder is named, a missing file fails.
 * Knobs (environment or system property): {@code KILN_GPU_MODELS} / {@code kiln.gpu.models} picks a
 * subset of the exported models ({@code resnet50,bert_base}), {@code KILN_OPT_LEVEL} /
 * {@code kiln.opt.level} the TensorRT builder optimization level; all builds of one run share a
 * timing cache ({@code KILN_TIMING_CACHE} / {@code kiln.timing.cache}, default a temp file).
 */
@Tag("gpu")
class EndToEndGpuTest {
    static final List<String> FIXTURES = List.of("mlp", "cnn", "encoder", "dynbatch", "dictout", "cond", "whileloop");
    static final List<String> MODELS = List.of("resnet50", "efficientnet_b0", "mobilenet_v3_large", "vit_b_16", "bert_base",
            "gpt2_blocks");
    static final double FP32_TOLERANCE = 1e-4;
    static final double FP16_TOLERANCE = 1e-2;

    @TempDir
    static Path tmp;

    static String knob(String property, String env) {
        String v = System.getProperty(property, System.getenv(env));
        return v == null || v.isBlank() ? null : v.strip();
    }

    /** The settings every build of this class uses (shared timing cache, optional optimization level). */
    static CompileSettings settings(Precision p) {
        String cache = knob("kiln.timing.cache", "KILN_TIMING_CACHE");
        CompileSettings s = CompileSettings.defaults().withPrecision(p)
                .withTimingCache(cache != null ? Path.of(cache) : tmp.resolve("kiln.timing"));
        String level = knob("kiln.opt.level", "KILN_OPT_LEVEL");
        return level == null ? s : s.withOptimizationLevel(Integer.parseInt(level));
    }

    @TestFactory
    Stream<DynamicTest> committedFixtures() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String m : FIXTURES) {
            List<String> files = new ArrayList<>(List.of(m + ".pt2", m + ".core.pt2"));
            boolean exportOnly = m.equals("cond") || m.equals("whileloop"); // torch.cond, torch.while_loop: no TorchScript
            if (!exportOnly) {
                files.addAll(List.of(m + ".traced.pt", m + ".scripted.pt"));
            }
            if (m.equals("mlp")) {
                files.addAll(List.of("mlp.v27.pt2", "mlp.v28.pt2"));
            }
            // cond: both branches, the other one taken with the inputs of cond.other.npz; whileloop: more trips with its own
            List<String> ios = exportOnly ? List.of(m + ".npz", m + ".other.npz") : List.of(m + ".npz");
            for (String f : files) {
                for (String io : ios) {
                    for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
                        String name = f.replace(".pt2", "") + (io.contains(".other") ? "+other" : "");
                        tests.add(DynamicTest.dynamicTest(name + " " + p, () -> {
                            Path model = Fixtures.copy(f, tmp);
                            Path npz = Fixtures.copy(io, tmp);
                            check(name, model, npz, p);
                        }));
                    }
                }
            }
        }
        return tests.stream();
    }

    /** TorchScript records no input shapes: static specs from the npz inputs ({@code x0=2x3x16x16:f32}). */
    static List<dev.kiln.backend.tensorrt.InputSpec> specsFrom(Map<String, ConstantTensor> io) {
        List<dev.kiln.backend.tensorrt.InputSpec> specs = new ArrayList<>();
        List<ConstantTensor> xs = Fixtures.inputs(io);
        for (int i = 0; i < xs.size(); i++) {
            long[] d = xs.get(i).sizes();
            specs.add(new dev.kiln.backend.tensorrt.InputSpec("x" + i, d, d, d, java.util.Optional.of(xs.get(i).dtype())));
        }
        return specs;
    }

    @TestFactory
    Stream<DynamicTest> exportedModels() {
        String dir = knob("kiln.models.dir", "KILN_MODELS_DIR");
        if (dir == null) {
            return Stream.of(DynamicTest.dynamicTest("models folder not given", () -> org.junit.jupiter.api.Assertions.fail(
                    "set -Dkiln.models.dir=DIR (or KILN_MODELS_DIR) to a folder written by tools/gpu/export_models.py")));
        }
        String subset = knob("kiln.gpu.models", "KILN_GPU_MODELS");
        List<String> models = subset == null ? MODELS : List.of(subset.split(","));
        // KILN_GPU_FORMS=.pt2 or .core.pt2 picks one IR form (both by default)
        String formKnob = knob("kiln.gpu.forms", "KILN_GPU_FORMS");
        List<String> forms = formKnob == null ? List.of(".pt2", ".core.pt2") : List.of(formKnob.split(","));
        List<DynamicTest> tests = new ArrayList<>();
        for (String m : models) {
            for (String form : forms) {
                for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
                    tests.add(DynamicTest.dynamicTest(m + form + " " + p, () -> {
                        Path model = Path.of(dir, m + form);
                        Path npz = Path.of(dir, m + ".npz");
                        assertThat(model).as("model file (the models folder was given, so it must be complete)").exists();
                        assertThat(npz).as("reference file").exists();
                        check(m + form.replace(".pt2", ""), model, npz, p);
                    }));
                }
            }
        }
        return tests.stream();
    }

    /** dynbatch (batch Dim in [1, 64]): one engine, run at batch 1, 5 and 64 (rows of the fixture, tiled). */
    @Test
    void dynamicBatchWithOneEngine() {
        Path model = Fixtures.copy("dynbatch.pt2", tmp);
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("dynbatch.npz", tmp));
        ConstantTensor x = io.get("x0");
        ConstantTensor y = io.get("y0");
        long rows = x.sizes()[0];
        List<String> parts = new ArrayList<>();
        double worst = 0;
        long t0 = System.nanoTime();
        try (CompiledModule m = Kiln.compile(model, settings(Precision.FP32))) {
            double buildS = (System.nanoTime() - t0) / 1e9;
            for (long batch : new long[] {1, 5, 64}) {
                ConstantTensor xb = tileRows(x, rows, batch);
                ConstantTensor want = tileRows(y, rows, batch);
                ConstantTensor got = m.forward(List.of(xb)).get(0);
                double e = Fixtures.relL2(got, want);
                worst = Math.max(worst, e);
                parts.add(String.format(Locale.ROOT, "b%d=%.1e", batch, e));
            }
            System.out.printf(Locale.ROOT, "GPU-SUMMARY model=dynbatch precision=fp32 dynamic %s relL2=%.1e build_s=%.1f%n",
                    String.join(" ", parts), worst, buildS);
        }
        assertThat(worst).isLessThanOrEqualTo(FP32_TOLERANCE);
    }

    /** Row i of the result is row (i mod rows) of {@code t}. */
    static ConstantTensor tileRows(ConstantTensor t, long rows, long batch) {
        long[] sizes = t.sizes();
        long rowBytes = t.byteSize() / rows;
        sizes[0] = batch;
        ByteBuffer out = ConstantTensor.allocate(t.dtype(), sizes);
        ByteBuffer src = t.data();
        for (long i = 0; i < batch; i++) {
            ByteBuffer row = src.duplicate();
            row.position((int) ((i % rows) * rowBytes)).limit((int) ((i % rows + 1) * rowBytes));
            out.put(row);
        }
        out.flip();
        return new ConstantTensor(t.dtype(), sizes, out);
    }

    static void check(String name, Path model, Path npz, Precision p) {
        String prec = p.name().toLowerCase(Locale.ROOT);
        double tolerance = p == Precision.FP32 ? FP32_TOLERANCE : FP16_TOLERANCE;
        try {
            Map<String, ConstantTensor> io = Npz.read(npz);
            List<ConstantTensor> want = Fixtures.outputs(io);
            CompileSettings s = settings(p);
            if (model.getFileName().toString().endsWith(".pt")) {
                s = s.withInputs(specsFrom(io));
            }
            try (CompiledModule m = Kiln.compile(model, s)) {
                List<ConstantTensor> got = m.forward(Fixtures.inputs(io));
                long t0 = System.nanoTime();
                m.forward(Fixtures.inputs(io));
                double runMs = (System.nanoTime() - t0) / 1e6;
                assertThat(got).as("outputs").hasSameSizeAs(want);
                if (name.startsWith("dictout")) { // a returned dict's values, named after its keys
                    assertThat(m.outputNames()).containsExactly("logits", "hidden", "score");
                }
                double worst = 0;
                List<String> each = new ArrayList<>();
                for (int i = 0; i < want.size(); i++) {
                    double e = Fixtures.relL2(got.get(i), want.get(i));
                    worst = Double.isNaN(e) ? Double.NaN : Math.max(worst, e);
                    each.add(String.format(Locale.ROOT, "%.1e", e));
                }
                boolean ok = worst <= tolerance;
                System.out.printf(Locale.ROOT, "GPU-SUMMARY model=%s precision=%s relL2=%.1e outputs=[%s] build_s=%.1f run_ms=%.2f"
                                + " out_dtype=%s status=%s%n", name, prec, worst, String.join(",", each), m.buildSeconds(), runMs,
                        got.isEmpty() ? "-" : got.get(0).dtype().text(), ok ? "ok" : "FAIL");
                assertThat(worst).as(name + " " + prec + " relative L2 error").isLessThanOrEqualTo(tolerance);
            }
        } catch (RuntimeException | Error e) {
            if (!(e instanceof AssertionError && String.valueOf(e.getMessage()).contains("relative L2"))) {
                String msg = String.valueOf(e.getMessage());
                System.out.printf(Locale.ROOT, "GPU-SUMMARY model=%s precision=%s status=FAIL error=%s: %s%n", name, prec,
                        e.getClass().getSimpleName(), msg.replace('\n', '|').substring(0, Math.min(600, msg.length())));
            }
            throw e;
        }
    }

    @Test
    void savedEngineRunsWithoutTheModel() throws Exception {
        Path model = Fixtures.copy("cnn.pt2", tmp);
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("cnn.npz", tmp));
        Path engine = tmp.resolve("cnn.engine");
        try (CompiledModule m = Kiln.compile(model, settings(Precision.FP32))) {
            m.save(engine);
        }
        assertThat(Files.size(engine)).isPositive();
        try (CompiledModule m = CompiledModule.load(engine)) {
            Map<String, ConstantTensor> out = m.forward(io);
            double e = Fixtures.relL2(out.get("y0"), io.get("y0"));
            System.out.printf(Locale.ROOT, "GPU-SUMMARY model=cnn.engine precision=fp32 relL2=%.1e engine_mib=%.1f%n", e,
                    Files.size(engine) / 1048576.0);
            assertThat(e).isLessThanOrEqualTo(FP32_TOLERANCE);
            assertThat(out.get("y0").dtype()).isEqualTo(DType.FLOAT32);
        }
    }
}
