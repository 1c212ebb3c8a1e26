package dev.kiln.compiler.hybrid;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The commit the build stamps into kiln-build.properties is the checkout's HEAD, as git says it. */
class BuildCommitTest {
    @Test
    void theBuildNamesTheCommitItWasBuiltFrom() throws InterruptedException {
        String commit = Platform.kilnCommit();
        assertThat(commit).matches("unknown|[0-9a-f]{7,40}(-dirty\\.[0-9a-f]{8})?");
        String head = head();
        if (head == null) {
            assertThat(commit).as("without git the build says so").isEqualTo("unknown");
        } else {
            assertThat(commit).as("the commit in kiln-build.properties").startsWith(head);
        }
        if (commit.contains("-dirty.")) {
            // the uncommitted changes as they were when the build ran: the same as now unless files changed since
            byte[] diff = git("diff", "HEAD");
            assertThat(commit.substring(commit.indexOf("-dirty.") + 7)).as("the digest of git diff HEAD (rebuild after changing files)")
                    .isEqualTo(sha256(diff).substring(0, 8));
        }
    }

    private static byte[] git(String... args) throws InterruptedException {
        try {
            List<String> command = new java.util.ArrayList<>(List.of("git"));
            command.addAll(List.of(args));
            Process git = new ProcessBuilder(command).start();
            byte[] out = git.getInputStream().readAllBytes();
            assertThat(git.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
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
