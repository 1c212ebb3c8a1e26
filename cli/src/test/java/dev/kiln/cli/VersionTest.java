package dev.kiln.cli;

import org.junit.jupiter.api.Test;

import static dev.kiln.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

class VersionTest {
    @Test
    void versionNamesKilnAndTheNativeStack() {
        CliRun r = run("--version");
        assertThat(r.rc()).isZero();
        assertThat(r.out()).containsPattern("Kiln 0\\.1\\.0-SNAPSHOT \\(commit ([0-9a-f]{7,40}(-dirty\\.[0-9a-f]{8})?|unknown)\\)")
                .contains("TensorRT 10.6")
                .contains("CUDA 12.6")
                .contains("libtorch 2.5.1");
    }
}
