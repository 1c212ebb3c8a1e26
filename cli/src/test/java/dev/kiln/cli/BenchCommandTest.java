package dev.kiln.cli;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.kiln.cli.CliRun.fixture;
import static dev.kiln.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code kiln bench} without a GPU: its arguments, errors and arithmetic (CliBenchGpuTest runs it on a GPU). */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void isListedInTheHelp() {
        CliRun r = run("--help");
        assertThat(r.out()).contains("bench");
    }

    @Test
    void aMissingInputsFileIsNamed() throws IOException {
        Path missing = dir.resolve("nope.npz");
        CliRun r = run("bench", fixture(dir, "mlp.pt2").toString(), "--inputs", missing.toString());
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("nope.npz").contains("no such .npz file");
    }

    @Test
    void iterationCountsMustBePositive() throws IOException {
        CliRun r = run("bench", fixture(dir, "mlp.pt2").toString(), "--inputs", fixture(dir, "mlp.npz").toString(), "--iters", "0");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("--iters must be at least 1");
    }

    @Test
    void statsAreMedianNearestRankP99MeanAndMin() {
        double[] ms = new double[100];
        for (int i = 0; i < 100; i++) {
            ms[i] = 100 - i; // 100 .. 1, unsorted
        }
        Map<String, Object> s = BenchCommand.stats(ms);
        assertThat(s).containsEntry("iters", 100).containsEntry("median_ms", 50.5).containsEntry("p99_ms", 99.0)
                .containsEntry("mean_ms", 50.5).containsEntry("min_ms", 1.0)
                .containsEntry("calls_per_s", 1000.0 / 50.5);
        assertThat(BenchCommand.stats(new double[] {3, 1, 2})).containsEntry("median_ms", 2.0).containsEntry("p99_ms", 3.0);
    }

    @Test
    void errorsAreTakenAgainstTheReferenceOutputsPresent() {
        ConstantTensor want = ConstantTensor.ofFloats(new long[] {2}, 3, 4);
        ConstantTensor got = ConstantTensor.ofFloats(new long[] {2}, 3, 4.5f);
        Map<String, Object> e = BenchCommand.errors(Map.of("x0", want, "y0", want), List.of(got, got));
        assertThat(e).containsOnlyKeys("y0");
        assertThat((double) e.get("y0")).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
        assertThatThrownBy(() -> BenchCommand.relL2(ConstantTensor.ofFloats(new long[] {1, 2}, 3, 4), want))
                .isInstanceOf(KilnException.class).hasMessageContaining("[1, 2]").hasMessageContaining("[2]");
    }
}
