package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Locale;

import static dev.kiln.cli.CliRun.fixture;
import static dev.kiln.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code kiln bench} on the bundled CNN, with and without CUDA graphs: timed, and its outputs match PyTorch's. */
@Tag("gpu")
class CliBenchGpuTest {
    /**
     * Enough calls for the figures to mean something: Java compiles a method after a few hundred calls, so a short
     * loop times the interpreter (a few seconds in all: the CNN's calls take 0.03-0.3 ms).
     */
    private static final String ITERS = "2000";
    private static final String WARMUP = "500";

    @TempDir
    Path dir;

    @Test
    void benchTimesTheModelAndChecksItsOutputs() throws Exception {
        StringBuilder line = new StringBuilder("GPU-SUMMARY test=cli-bench model=cnn");
        for (boolean graphs : new boolean[] {false, true}) {
            CliRun r = graphs
                    ? run("bench", fixture(dir, "cnn.pt2").toString(), "--inputs", fixture(dir, "cnn.npz").toString(), "--iters", ITERS,
                            "--warmup", WARMUP, "--format", "json", "--no-progress", "--no-engine-cache", "--cuda-graphs")
                    : run("bench", fixture(dir, "cnn.pt2").toString(), "--inputs", fixture(dir, "cnn.npz").toString(), "--iters", ITERS,
                            "--warmup", WARMUP, "--format", "json", "--no-progress", "--no-engine-cache");
            assertThat(r.rc()).as(r.err()).isZero();
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertThat(j.path("cuda_graphs").asBoolean()).isEqualTo(graphs);
            assertThat(j.path("rel_l2").path("y0").asDouble(1)).isLessThan(1e-4);
            assertThat(j.path("device").path("median_ms").asDouble()).isPositive();
            assertThat(j.path("host").path("iters").asInt()).isEqualTo(Integer.parseInt(ITERS));
            line.append(String.format(Locale.ROOT, " %s: device_median_ms=%.4f host_median_ms=%.4f relL2=%.1e",
                    graphs ? "graphs" : "plain", j.path("device").path("median_ms").asDouble(),
                    j.path("host").path("median_ms").asDouble(), j.path("rel_l2").path("y0").asDouble()));
        }
        System.out.println(line);
    }
}
