package dev.kiln.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressBarTest {
    @Test
    void rendersKnownTotals() {
        assertThat(ProgressBar.render("convert", 0, 230, 0.0))
                .isEqualTo("convert   [" + ".".repeat(30) + "]   0/230    0.0s");
        assertThat(ProgressBar.render("convert", 115, 230, 0.42))
                .isEqualTo("convert   [" + "#".repeat(15) + ".".repeat(15) + "] 115/230    0.4s");
        assertThat(ProgressBar.render("convert", 230, 230, 1.0)).contains("[" + "#".repeat(30) + "] 230/230");
        // out-of-range reports are clamped, never break the layout
        assertThat(ProgressBar.render("convert", 999, 10, 1.0)).contains("#".repeat(30) + "] 10/10");
    }

    @Test
    void unknownTotalsSweepABlockAndKeepTheWidth() {
        String a = ProgressBar.render("build", 0, 0, 3.25);
        String b = ProgressBar.render("build", 5, 0, 3.25);
        String far = ProgressBar.render("build", 27, 0, 3.25);
        String back = ProgressBar.render("build", 28, 0, 3.25);
        assertThat(a).isEqualTo("build     [<=>" + " ".repeat(27) + "]    3.3s");
        assertThat(b).isEqualTo("build     [" + " ".repeat(5) + "<=>" + " ".repeat(22) + "]    3.3s");
        assertThat(far).contains(" ".repeat(27) + "<=>]");
        assertThat(back).contains(" ".repeat(26) + "<=> ]");
        assertThat(a).hasSameSizeAs(b).hasSameSizeAs(far).hasSameSizeAs(back);
    }

    @Test
    void nonInteractiveOutputPrintsOneLinePerPhase() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        for (int i = 0; i <= 10; i++) {
            bar.report("convert", i, 10);
        }
        for (int i = 0; i < 50; i++) {
            bar.report("build", i, 0);
        }
        bar.report("serialize", 1, 1);
        bar.finish();
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).startsWith("convert   [" + "#".repeat(30) + "] 10/10");
        assertThat(lines[1]).startsWith("build     [");
        assertThat(lines[2]).startsWith("serialize [" + "#".repeat(30) + "] 1/1");
        assertThat(bytes.toString(StandardCharsets.UTF_8)).doesNotContain("\r");
    }
}
