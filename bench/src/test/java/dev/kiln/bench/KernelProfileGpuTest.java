package dev.kiln.bench;

import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.compiler.CompileSettings;
import dev.kiln.compiler.Kiln;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.npy.Npz;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link KernelProfile} on a real engine. A class (and, in {@code tools/gpu/checks.sh}, a process) of its own: CUPTI
 * calls back into the JVM from its own thread, and a fault there would end only this JVM.
 */
@Tag("gpu")
class KernelProfileGpuTest {
    /**
     * CUPTI's kernel records of the same engine: every run launches the same kernels, and their GPU time per run is
     * no more than the event-timed call (kernels run inside it). Needs libcupti.so.12 on the library path
     * ({@code tools/gpu/cupti.sh}, carried as {@code .gpu/cupti/}).
     */
    @Test
    void everyRunLaunchesTheSameKernelsWithinTheCallsTime(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.copy(tmp, "cnn.pt2");
        Path npzFile = Fixtures.copy(tmp, "cnn.npz");
        Map<String, ConstantTensor> npz = Npz.read(npzFile);
        BuiltEngine built = Kiln.build(Kiln.load(model), CompileSettings.defaults());
        try (EngineRun r = EngineRun.load(built.plan(), npz)) {
            double eventMs = r.time(5, 50, 2, 1).latencyMs().median();
            int runs = 20;
            List<KernelProfile.Kernel> ks = KernelProfile.profile(() -> r.bareWallMicros(0, runs));
            assertThat(ks).isNotEmpty();
            long launches = 0;
            long nanos = 0;
            for (KernelProfile.Kernel k : ks) {
                assertThat(k.launches() % runs).as("launches of %s over %d runs", k.name(), runs).isZero();
                launches += k.launches();
                nanos += k.totalNs();
            }
            double usPerRun = nanos / 1e3 / runs;
            System.out.printf(java.util.Locale.ROOT, "BENCH-GPU cnn kernels kernels_per_run=%d gpu_us_per_run=%.1f event_us=%.1f top=%s%n",
                    launches / runs, usPerRun, eventMs * 1e3, ks.get(0).name());
            assertThat(launches / runs).isGreaterThanOrEqualTo(1);
            assertThat(usPerRun).isPositive().isLessThanOrEqualTo(eventMs * 1e3 * 1.5);
            // a second profile starts empty
            assertThat(KernelProfile.profile(() -> { })).isEmpty();

            // each run alone: the same kernels as above, within a span no longer than the event-timed call allows
            KernelProfile.Timeline stream = KernelProfile.timeline(() -> r.bareWallMicros(0, 1), 10);
            KernelProfile.Timeline graph = r.inGraph(launch -> KernelProfile.timeline(() -> {
                launch.run();
                r.sync();
            }, 10));
            for (KernelProfile.Timeline t : List.of(stream, graph)) {
                assertThat(t.runs()).hasSize(10);
                assertThat(t.kernelsPerRun()).isEqualTo((int) (launches / runs));
                for (KernelProfile.Run run : t.runs()) {
                    assertThat(run.busyNs()).isPositive().isLessThanOrEqualTo(run.spanNs());
                }
                assertThat(t.medianSpanMicros()).isLessThanOrEqualTo(eventMs * 1e3 * 1.5);
            }
            System.out.printf(java.util.Locale.ROOT, "BENCH-GPU cnn timeline stream_span_us=%.1f stream_idle_us=%.1f graph_span_us=%.1f"
                            + " graph_idle_us=%.1f copies=%d memsets=%d%n", stream.medianSpanMicros(), stream.medianIdleMicros(),
                    graph.medianSpanMicros(), graph.medianIdleMicros(), stream.copiesPerRun(), stream.memsetsPerRun());
        }
    }

}
