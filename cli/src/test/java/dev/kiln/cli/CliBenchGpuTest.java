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
    @TempDir
    Path dir;

    @Test
    void benchTimesTheModelAndChecksItsOutputs() throws Exception {
        StringBuilder line = new StringBuilder("GPU-SUMMARY test=cli-bench model=cnn");
        for (boolean graphs : new boolean[] {false, true}) {
            CliRun r = graphs
                    ? run("bench", fixture(dir, "cnn.pt2").toString(), "--inputs", fixture(dir, "cnn.npz").toString(), "--iters", "100",
                            "--format", "json", "--no-progress", "--no-engine-cache", "--cuda-graphs")
                    : run("bench", fixture(dir, "cnn.pt2").toString(), "--inputs", fixture(dir, "cnn.npz").toString(), "--iters", "100",
                            "--format", "json", "--no-progress", "--no-engine-cache");
            assertThat(r.rc()).as(r.err()).isZero();
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertThat(j.path("cuda_graphs").asBoolean()).isEqualTo(graphs);
            assertThat(j.path("rel_l2").path("y0").asDouble(1)).isLessThan(1e-4);
            assertThat(j.path("device").path("median_ms").asDouble()).isPositive();
            assertThat(j.path("host").path("iters").asInt()).isEqualTo(100);
            line.append(String.format(Locale.ROOT, " %s: device_median_ms=%.4f host_median_ms=%.4f relL2=%.1e",
                    graphs ? "graphs" : "plain", j.path("device").path("median_ms").asDouble(),
                    j.path("host").path("median_ms").asDouble(), j.path("rel_l2").path("y0").asDouble()));
        }
        System.out.println(line);
    }
}
