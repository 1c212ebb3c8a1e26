package dev.kiln.compiler.hybrid;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The commit the build stamps into kiln-build.properties is the checkout's HEAD, as git says it. */
class BuildCommitTest {
    @Test
    void theBuildNamesTheCommitItWasBuiltFrom() throws InterruptedException {
        String commit = Platform.kilnCommit();
        assertThat(commit).matches("unknown|[0-9a-f]{7,40}(-dirty)?");
        String head = head();
        if (head == null) {
            assertThat(commit).as("without git the build says so").isEqualTo("unknown");
        } else {
            assertThat(commit).as("the commit in kiln-build.properties").startsWith(head);
        }
    }

    /** HEAD's short hash, or null where git or a checkout is missing. */
    private static String head() throws InterruptedException {
        try {
            Process git = new ProcessBuilder("git", "rev-parse", "--short=7", "HEAD").redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return git.waitFor(30, TimeUnit.SECONDS) && git.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        }
    }
}
