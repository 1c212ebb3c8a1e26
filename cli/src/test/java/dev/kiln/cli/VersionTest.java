package dev.kiln.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class VersionTest {
    @Test
    void versionNamesKilnAndTheNativeStack() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = KilnCli.execute("--version");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(rc).isZero();
        assertThat(out).contains("Kiln 0.1.0-SNAPSHOT")
                .contains("TensorRT 10.6")
                .contains("CUDA 12.6")
                .contains("libtorch 2.5.1");
    }
}
