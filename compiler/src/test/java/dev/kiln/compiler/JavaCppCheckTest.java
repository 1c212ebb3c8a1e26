package dev.kiln.compiler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The warning when an application loaded JavaCPP before Kiln, whose setting of maxPhysicalBytes then came too late. */
class JavaCppCheckTest {
    @TempDir
    Path dir;

    @Test
    void onlyALateSettingOfKilnsOwnIsWarnedAbout() {
        assertThat(JavaCppCheck.warning(true, 0)).isEmpty(); // Kiln's setting took
        assertThat(JavaCppCheck.warning(false, 8L << 30)).isEmpty(); // the application chose a limit itself
        assertThat(JavaCppCheck.warning(true, 8L << 30)).hasValueSatisfying(w -> assertThat(w)
                .contains("maxPhysicalBytes=8589934592").contains("loaded JavaCPP before Kiln")
                .contains("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"));
    }

    /** A JVM whose application touches JavaCPP first is warned once when it loads a model; one that starts with Kiln is not. */
    @Test
    void aJvmThatLoadedJavaCppFirstIsWarnedOnce() throws Exception {
        Path model = Fixtures.copy("mlp.pt2", dir);
        String first = child(true, model);
        assertThat(first).contains("loaded JavaCPP before Kiln");
        assertThat(first.split("loaded JavaCPP before Kiln", -1)).hasSize(2); // once, for two loads
        assertThat(child(false, model)).doesNotContain("loaded JavaCPP before Kiln").contains("loaded 2 times");
    }

    private static String child(boolean javaCppFirst, Path model) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                LoadsTwice.class.getName(), String.valueOf(javaCppFirst), model.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        return text;
    }

    /** The child: optionally allocates through JavaCPP first (initializing it with its default), then loads a model twice. */
    public static final class LoadsTwice {
        public static void main(String[] args) {
            if (Boolean.parseBoolean(args[0])) {
                new org.bytedeco.javacpp.BytePointer(16).close();
            }
            Kiln.load(Path.of(args[1]));
            Kiln.load(Path.of(args[1]));
            System.out.println("loaded 2 times");
        }
    }
}
