package dev.kiln.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.compiler.CompileSettings;
import dev.kiln.compiler.Kiln;
import dev.kiln.compiler.measure.Accuracy;
import dev.kiln.compiler.measure.Stats;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.npy.Npz;
import dev.kiln.passes.Precision;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bench's GPU machinery on small inputs, before a long run depends on it: a Kiln engine of the
 * committed {@code cnn} fixture and a hand-written ONNX model through {@code nvonnxparser}, both timed
 * by {@link EngineRun}, inspected and checked for accuracy.
 */
@Tag("gpu")
class BenchGpuTest {
    @Test
    void kilnEngineIsTimedInspectedAndAccurate(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.copy(tmp, "cnn.pt2");
        Path npzFile = Fixtures.copy(tmp, "cnn.npz");
        Map<String, ConstantTensor> npz = Npz.read(npzFile);
        assertThat(OnnxEngineBuilder.warmUp()).isPositive();
        for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
            BuiltEngine built = Kiln.build(Kiln.load(model), CompileSettings.defaults().withPrecision(p)
                    .withTimingCache(tmp.resolve("cache-" + p)));
            assertThat(tmp.resolve("cache-" + p)).exists();
            try (EngineRun r = EngineRun.load(built.plan(), npz)) {
                EngineRun.Timing t = r.time(3, 20, 2, 1);
                assertThat(t.latencyMs().n()).isBetween(10, 20);
                assertThat(t.latencyMs().median()).isPositive();
                assertThat(t.throughput()).isPositive();
                double err = Accuracy.relL2(r.outputs().get(0), npz.get("y0"));
                System.out.printf("BENCH-GPU cnn %s median_ms=%.4f relL2=%.1e mem=%d layers=%d%n", p,
                        t.latencyMs().median(), err, r.memoryBytes(), r.layerCount());
                assertThat(err).isLessThan(p == Precision.FP32 ? 1e-4 : 2e-2);
                assertThat(r.memoryBytes()).isPositive();
                assertThat(r.layerCount()).isPositive();
                LayerSummary s = LayerSummary.of(new ObjectMapper().readTree(r.inspect()));
                assertThat(s.layers()).isEqualTo(r.layerCount());
                assertThat(r.bareWallMicros(2, 10).median()).isPositive();
                // the same engine replayed from a CUDA graph: the outputs are cleared first, so these are the graph's
                EngineRun.Timing g = r.timeGraph(3, 20, 2, 1);
                double graphErr = Accuracy.relL2(r.outputs().get(0), npz.get("y0"));
                System.out.printf("BENCH-GPU cnn %s graph_median_ms=%.4f stream_median_ms=%.4f graph_relL2=%.1e%n", p,
                        g.latencyMs().median(), t.latencyMs().median(), graphErr);
                assertThat(g.latencyMs().n()).isBetween(10, 20);
                assertThat(g.latencyMs().median()).isPositive();
                assertThat(graphErr).isEqualTo(err);
            }
        }
    }

    @Test
    void twoEnginesAreTimedCallByCallInTurns(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.copy(tmp, "cnn.pt2");
        Map<String, ConstantTensor> npz = Npz.read(Fixtures.copy(tmp, "cnn.npz"));
        BuiltEngine built = Kiln.build(Kiln.load(model), CompileSettings.defaults());
        // one plan loaded twice: two engines with their own contexts and streams, timed as group turns times them
        try (EngineRun a = EngineRun.load(built.plan(), npz); EngineRun b = EngineRun.load(built.plan(), npz);
             EngineRun.Events ev = new EngineRun.Events()) {
            double[][] t = GpuRunner.inTurns(() -> a.sampleMs(ev), () -> b.sampleMs(ev), 40, 2);
            assertThat(t[0]).hasSameSizeAs(t[1]).hasSizeBetween(10, 40);
            for (double[] side : t) {
                assertThat(java.util.Arrays.stream(side).min().orElseThrow()).isPositive();
                assertThat(java.util.Arrays.stream(side).max().orElseThrow()).isLessThan(100);
            }
            double ratio = Stats.of(t[1]).median() / Stats.of(t[0]).median();
            System.out.printf("BENCH-GPU turns cnn pairs=%d a_ms=%.4f b_ms=%.4f ratio=%.2f%n", t[0].length,
                    Stats.of(t[0]).median(), Stats.of(t[1]).median(), ratio);
            // the runner puts the GPU's clock beside each timing: on a GPU machine NVML answers
            com.fasterxml.jackson.databind.node.ObjectNode clock = GpuClock.read().orElseThrow();
            System.out.printf("BENCH-GPU clock %s%n", clock);
            assertThat(clock.path("mhz").asInt()).isPositive();
            assertThat(clock.path("max_mhz").asInt()).isGreaterThanOrEqualTo(clock.path("mhz").asInt());
            // the same engine twice: in turns neither side is favoured
            assertThat(ratio).isBetween(0.5, 2.0);
            assertThat(Accuracy.relL2(b.outputs().get(0), npz.get("y0"))).isLessThan(1e-4);
        }
    }

    @Test
    void onnxParserPeerBuildsAndRuns(@TempDir Path tmp) throws Exception {
        Path onnx = tmp.resolve("relu.onnx");
        Files.write(onnx, TinyOnnx.relu(2, 3));
        OnnxEngineBuilder.Built b = OnnxEngineBuilder.build(onnx, tmp.resolve("onnx.cache"));
        assertThat(b.seconds()).isPositive();
        assertThat(tmp.resolve("onnx.cache")).exists();
        ConstantTensor x = ConstantTensor.ofFloats(new long[] {2, 3}, -1, 2, -3, 4, -5, 6);
        try (EngineRun r = EngineRun.load(b.plan(), Map.of("x0", x))) {
            r.enqueue();
            ConstantTensor y = r.outputs().get(0);
            assertThat(r.outputNames()).containsExactly("y0");
            assertThat(Accuracy.relL2(y, ConstantTensor.ofFloats(new long[] {2, 3}, 0, 2, 0, 4, 0, 6))).isZero();
            assertThat(r.time(2, 10, 1, 2).latencyMs().n()).isEqualTo(10);
        }
    }
}
