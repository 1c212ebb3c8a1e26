package dev.kiln.backend.tensorrt;

import dev.kiln.backend.tensorrt.runtime.DeviceTensor;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.backend.tensorrt.runtime.ExecutionSession;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.passes.Precision;
import org.bytedeco.javacpp.SizeTPointer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backend end to end on a GPU with hand-made graphs and test converters (no frontend, no passes):
 * dynamic shapes with one engine, constants and broadcasting, fp16, device-resident runs, save/load,
 * the timing cache, failed builds, and that nothing leaks GPU memory in a loop. Each test prints a
 * {@code GPU-SUMMARY} line.
 */
@Tag("gpu")
class EngineGpuTest {

    /** x0: dt[s0, 4] (s0 in [1, 64]); y0 = x + relu(x) + bias[4]. */
    static Graph graph(DType dt) {
        return graph(dt, ConstantTensor.ofFloats(new long[] {4}, 0.5f, -1f, 2f, 0f));
    }

    /** The same with a bias of any width (a wide zero bias makes a leaked engine visible in GPU memory). */
    static Graph graph(DType dt, ConstantTensor biasData) {
        Graph g = new Graph("reluaddbias");
        Symbol s0 = g.declare(new Symbol("s0", 1, 64));
        TensorType t = new TensorType(dt, Shape.of(SymExpr.of(s0), SymExpr.of(biasData.numel())));
        Value x = g.addInput("x", t);
        Value bias = g.addConstant("bias", biasData);
        Value r = g.append(TestGraphs.schema("aten::relu", 1), List.of(x), List.of(t)).output();
        Value a = g.append(TestGraphs.schema("aten::add.Tensor", 2), List.of(x, r), List.of(t)).output();
        Value b = g.append(TestGraphs.schema("aten::add.Tensor", 2), List.of(a, bias), List.of(t)).output();
        g.setOutputs(List.of(b));
        return g;
    }

    static ConstantTensor randomInput(long batch, long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[(int) batch * 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return ConstantTensor.ofFloats(new long[] {batch, 4}, v);
    }

    static double relL2(ConstantTensor x, ConstantTensor y) {
        float[] bias = {0.5f, -1f, 2f, 0f};
        double err = 0;
        double ref = 0;
        for (long i = 0; i < x.numel(); i++) {
            double xv = x.getDouble(i);
            double want = xv + Math.max(0, xv) + bias[(int) (i % 4)];
            double d = y.getDouble(i) - want;
            err += d * d;
            ref += want * want;
        }
        return Math.sqrt(err / ref);
    }

    @Test
    void dynamicBatchWithOneEngine() {
        BuiltEngine built = EngineBuilder.build(graph(DType.FLOAT32), EngineOptions.defaults(), TestConverters.registry());
        assertThat(built.profile().get(0).spec().text()).isEqualTo("x0=1..64x4");
        assertThat(built.inputNames()).containsExactly("x");
        try (Engine e = Engine.deserialize(built.plan()); ExecutionSession s = e.newSession()) {
            assertThat(e.inputs()).extracting(Engine.IoTensor::name).containsExactly("x0");
            assertThat(e.outputs()).extracting(Engine.IoTensor::name).containsExactly("y0");
            double worst = 0;
            for (long batch : new long[] {1, 5, 64, 5}) {
                ConstantTensor x = randomInput(batch, batch);
                ConstantTensor y = s.run(List.of(x)).get(0);
                assertThat(y.sizes()).containsExactly(batch, 4);
                worst = Math.max(worst, relL2(x, y));
            }
            assertThat(worst).isLessThan(1e-6);
            assertThatThrownBy(() -> s.run(List.of(randomInput(65, 1)))).isInstanceOf(KilnException.class)
                    .hasMessageContaining("x0").hasMessageContaining("[65, 4]");
            System.out.printf(Locale.ROOT, "GPU-SUMMARY model=reluaddbias precision=fp32 batches=1,5,64 relL2=%.1e build_s=%.2f%n",
                    worst, built.buildSeconds());
        }
    }

    @Test
    void cudaGraphsReplayTheLiveBuffersAndFollowNewShapes() {
        BuiltEngine built = EngineBuilder.build(graph(DType.FLOAT32), EngineOptions.defaults(), TestConverters.registry());
        try (Engine e = Engine.deserialize(built.plan()); ExecutionSession s = e.newSession()) {
            s.useCudaGraphs(true);
            double worst = 0;
            List<Boolean> replayed = new ArrayList<>();
            for (long batch : new long[] {5, 2}) {
                ConstantTensor first = randomInput(batch, 100 + batch);
                try (DeviceTensor dx = DeviceTensor.upload(first);
                     dev.kiln.backend.tensorrt.runtime.DeviceBuffer out = new dev.kiln.backend.tensorrt.runtime.DeviceBuffer(batch * 4 * 4)) {
                    for (int call = 0; call < 4; call++) {
                        // new values in the same buffer: a replayed graph must read them, not the captured call's
                        ConstantTensor x = randomInput(batch, 1000L * batch + call);
                        dx.buffer().upload(x.data().duplicate(), batch * 4 * 4);
                        s.runInto(List.of(dx), List.of(out));
                        replayed.add(s.replayedGraph());
                        ConstantTensor y = new DeviceTensor(DType.FLOAT32, new long[] {batch, 4}, out).download();
                        worst = Math.max(worst, relL2(x, y));
                    }
                }
            }
            // per shape and buffer set: a plain call (TensorRT applies the new bindings), then capture + launch, replays
            assertThat(replayed).containsExactly(false, true, true, true, false, true, true, true);
            assertThat(worst).isLessThan(1e-6);
            // the host path keeps the session's own buffers, so it replays too
            ConstantTensor hx = randomInput(3, 7);
            for (int i = 0; i < 3; i++) {
                assertThat(relL2(hx, s.run(List.of(hx)).get(0))).isLessThan(1e-6);
            }
            assertThat(s.replayedGraph()).isTrue();
            double graphUs = perCallMicros(s, 1, 300);
            s.useCudaGraphs(false);
            double plainUs = perCallMicros(s, 1, 300);
            assertThat(s.replayedGraph()).isFalse();
            System.out.printf(Locale.ROOT, "GPU-SUMMARY test=cuda-graphs replays=%s relL2=%.1e graph_call_us=%.1f plain_call_us=%.1f%n",
                    replayed, worst, graphUs, plainUs);
        }
    }

    @Test
    void aBareEnqueueRunsTheBoundBuffersOnTheSessionsOwnContextAndOnlyInsideItsBody() {
        BuiltEngine built = EngineBuilder.build(graph(DType.FLOAT32), EngineOptions.defaults(), TestConverters.registry());
        try (Engine e = Engine.deserialize(built.plan()); ExecutionSession s = e.newSession();
             DeviceTensor dx = DeviceTensor.upload(randomInput(3, 11));
             dev.kiln.backend.tensorrt.runtime.DeviceBuffer out = new dev.kiln.backend.tensorrt.runtime.DeviceBuffer(3 * 4 * 4)) {
            Runnable[] kept = new Runnable[1];
            double bareUs = s.withBareEnqueue(List.of(dx), List.of(out), bare -> {
                kept[0] = bare;
                // new values in the bound input: the bare call must compute from them, into the bound output
                ConstantTensor x = randomInput(3, 12);
                dx.buffer().upload(x.data().duplicate(), 3 * 4 * 4);
                bare.run();
                assertThat(relL2(x, new DeviceTensor(DType.FLOAT32, new long[] {3, 4}, out).download())).isLessThan(1e-6);
                return medianMicros(bare, 0, 200);
            });
            assertThatThrownBy(kept[0]::run).isInstanceOf(KilnException.class).hasMessageContaining("only inside withBareEnqueue");
            double callUs = perCallMicros(s, 3, 200);
            assertThat(bareUs).isPositive();
            System.out.printf(Locale.ROOT, "GPU-SUMMARY test=bare-enqueue bare_us=%.1f run_into_us=%.1f%n", bareUs, callUs);
        }
    }

    /** Median host time of runInto (bind, launch, sync) on one reused input and output, after a warm-up. */
    private static double perCallMicros(ExecutionSession s, long batch, int n) {
        try (DeviceTensor dx = DeviceTensor.upload(randomInput(batch, 5));
             dev.kiln.backend.tensorrt.runtime.DeviceBuffer out = new dev.kiln.backend.tensorrt.runtime.DeviceBuffer(batch * 4 * 4)) {
            return medianMicros(() -> s.runInto(List.of(dx), List.of(out)), 20, n);
        }
    }

    /** Median host time (µs) of {@code n} calls of {@code call}, after {@code warmup} untimed ones. */
    private static double medianMicros(Runnable call, int warmup, int n) {
        for (int i = 0; i < warmup; i++) {
            call.run();
        }
        double[] us = new double[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            call.run();
            us[i] = (System.nanoTime() - t0) / 1e3;
        }
        java.util.Arrays.sort(us);
        return us[n / 2];
    }

    @Test
    void fp16NetworkAndDeviceResidentRuns() {
        BuiltEngine built = EngineBuilder.build(graph(DType.FLOAT16), EngineOptions.defaults().withPrecision(Precision.FP16),
                TestConverters.registry());
        try (Engine e = Engine.deserialize(built.plan()); ExecutionSession s = e.newSession()) {
            assertThat(e.inputs().get(0).dtype()).isEqualTo(DType.FLOAT16);
            ConstantTensor x = randomInput(7, 3);
            ConstantTensor y = s.run(List.of(x)).get(0); // f32 host input converted to f16
            assertThat(y.dtype()).isEqualTo(DType.FLOAT16);
            double host = relL2(x, y);
            double dev;
            try (DeviceTensor dx = DeviceTensor.upload(ExecutionSessionAccess.toF16(x))) {
                List<DeviceTensor> out = s.runOnDevice(List.of(dx));
                try (DeviceTensor dy = out.get(0)) {
                    dev = relL2(x, dy.download());
                }
            }
            assertThat(host).isLessThan(1e-2);
            assertThat(dev).isLessThan(1e-2);
            System.out.printf(Locale.ROOT, "GPU-SUMMARY model=reluaddbias precision=fp16 relL2=%.1e device_relL2=%.1e build_s=%.2f%n",
                    host, dev, built.buildSeconds());
        }
    }

    @Test
    void saveLoadAndTimingCache(@TempDir Path dir) {
        Path cache = dir.resolve("kiln.timing");
        EngineOptions o = EngineOptions.defaults().withTimingCache(cache).withOptimizationLevel(1).withWorkspaceBytes(64L << 20);
        BuiltEngine first = EngineBuilder.build(graph(DType.FLOAT32), o, TestConverters.registry());
        assertThat(cache).exists();
        BuiltEngine second = EngineBuilder.build(graph(DType.FLOAT32), o, TestConverters.registry());
        Path file = dir.resolve("m.engine");
        try (Engine e = Engine.deserialize(second.plan())) {
            e.save(file);
        }
        try (Engine e = Engine.load(file); ExecutionSession s = e.newSession()) {
            ConstantTensor x = randomInput(3, 9);
            assertThat(relL2(x, s.run(List.of(x)).get(0))).isLessThan(1e-6);
        }
        System.out.printf(Locale.ROOT, "GPU-SUMMARY test=timing-cache first_build_s=%.2f cached_build_s=%.2f cache_bytes=%d%n",
                first.buildSeconds(), second.buildSeconds(), sizeOf(cache));
    }

    @Test
    void theBuilderIsPreparedOnce() {
        double first = EngineBuilder.prepare();
        assertThat(EngineBuilder.prepare()).isZero();
        System.out.println(String.format(java.util.Locale.ROOT, "GPU-SUMMARY test=prepare-builder first_s=%.2f", first));
    }

    @Test
    void failedBuildNamesTheNode() {
        Graph g = new Graph("bad");
        Value a = g.addInput("a", new TensorType(DType.FLOAT32, Shape.of(2, 3)));
        Value b = g.addInput("b", new TensorType(DType.FLOAT32, Shape.of(4, 5)));
        Value c = g.append(TestGraphs.schema("aten::add.Tensor", 2), List.of(a, b),
                List.of(new TensorType(DType.FLOAT32, Shape.of(2, 3)))).output();
        g.setOutputs(List.of(c));
        String node = g.nodes().get(0).describe();
        assertThatThrownBy(() -> EngineBuilder.build(g, EngineOptions.defaults(), TestConverters.registry()))
                .isInstanceOf(KilnException.class)
                .satisfies(e -> {
                    System.out.println("GPU-SUMMARY test=failed-build message=" + e.getMessage().replace('\n', '|'));
                    assertThat(e.getMessage()).contains(node);
                });
        // the same refusal through attempt(): when TensorRT refuses at build time (not while the layer is added),
        // the node comes back by name, for a compile that moves it to libtorch
        try {
            EngineBuilder.Attempt tried = EngineBuilder.attempt(g, EngineOptions.defaults(), TestConverters.registry());
            assertThat(tried.engine()).isEmpty();
            assertThat(tried.failedNodes()).containsExactly(g.nodes().get(0).name());
            System.out.println("GPU-SUMMARY test=failed-build-attempt refused_at=build failed_nodes=" + tried.failedNodes());
        } catch (KilnException e) {
            assertThat(e.getMessage()).contains(node);
            System.out.println("GPU-SUMMARY test=failed-build-attempt refused_at=network-construction");
        }
    }

    /** Per-call cost of the three run paths on a tiny engine (the engine's own time is a few microseconds). */
    @Test
    void perCallOverhead() {
        BuiltEngine built = EngineBuilder.build(graph(DType.FLOAT32), EngineOptions.defaults(), TestConverters.registry());
        try (Engine e = Engine.deserialize(built.plan()); ExecutionSession s = e.newSession();
             DeviceTensor dx = DeviceTensor.upload(randomInput(8, 1));
             dev.kiln.backend.tensorrt.runtime.DeviceBuffer out = new dev.kiln.backend.tensorrt.runtime.DeviceBuffer(8 * 4 * 4)) {
            ConstantTensor x = randomInput(8, 1);
            int n = 2000;
            for (int i = 0; i < 200; i++) {
                s.run(List.of(x));
                s.runInto(List.of(dx), List.of(out));
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                s.run(List.of(x));
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                s.runOnDevice(List.of(dx)).forEach(DeviceTensor::close);
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                s.runInto(List.of(dx), List.of(out));
            }
            long t3 = System.nanoTime();
            double host = (t1 - t0) / 1e3 / n;
            double device = (t2 - t1) / 1e3 / n;
            double into = (t3 - t2) / 1e3 / n;
            System.out.printf(Locale.ROOT, "GPU-SUMMARY test=per-call host_roundtrip_us=%.1f device_alloc_us=%.1f device_into_us=%.1f%n",
                    host, device, into);
            assertThat(into).as("microseconds per runInto call").isLessThan(5000);
        }
    }

    @Test
    void noGpuMemoryLeaksInALoop() {
        // reads the device's free memory, so nothing else may use the GPU meanwhile: tools/gpu/checks.sh runs this
        // test alone, after the others (a new test method here must be named in checks.sh's phase A list too)
        // warm up: the first build loads kernels and libraries that stay; an engine leaked per iteration
        // would lose at least its 8 MiB of weights
        runOnce();
        long before = freeGpuBytes();
        for (int i = 0; i < 8; i++) {
            runOnce();
        }
        long after = freeGpuBytes();
        long leakedPerIteration = (before - after) / 8;
        System.out.printf(Locale.ROOT, "GPU-SUMMARY test=leaks free_before_mib=%d free_after_mib=%d leaked_per_iter_kib=%d%n",
                before >> 20, after >> 20, leakedPerIteration >> 10);
        assertThat(leakedPerIteration).as("GPU bytes lost per build+run+close").isLessThan(4L << 20);
    }

    /** Builds, loads and runs an engine holding 8 MiB of weights, then closes everything. */
    private static void runOnce() {
        long width = 2L << 20;
        ConstantTensor bias = new ConstantTensor(DType.FLOAT32, new long[] {width}, ConstantTensor.allocate(DType.FLOAT32, width));
        BuiltEngine built = EngineBuilder.build(graph(DType.FLOAT32, bias), EngineOptions.defaults(), TestConverters.registry());
        try (Engine e = Engine.deserialize(built.plan()); ExecutionSession s = e.newSession()) {
            ConstantTensor x = new ConstantTensor(DType.FLOAT32, new long[] {2, width}, ConstantTensor.allocate(DType.FLOAT32, 2, width));
            s.run(List.of(x));
        }
    }

    private static long freeGpuBytes() {
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            org.bytedeco.cuda.global.cudart.cudaMemGetInfo(free, total);
            return free.get();
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /** Host-side helpers for the tests. */
    static final class ExecutionSessionAccess {
        static ConstantTensor toF16(ConstantTensor t) {
            java.nio.ByteBuffer b = ConstantTensor.allocate(DType.FLOAT16, t.sizes());
            for (long i = 0; i < t.numel(); i++) {
                dev.kiln.ir.ElementCodec.put(DType.FLOAT16, b, i, t.getDouble(i));
            }
            return new ConstantTensor(DType.FLOAT16, t.sizes(), b);
        }
    }

}
