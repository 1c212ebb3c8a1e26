package dev.kiln.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One in-process run of the CLI: its exit code and what it printed to stdout and stderr.
 *
 * <pre>{@code CliRun r = CliRun.run("inspect", model.toString()); assertThat(r.rc()).isZero();}</pre>
 */
record CliRun(int rc, String out, String err) {

    /** Runs {@code kiln ARGS} in this JVM, capturing both streams. */
    static CliRun run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = KilnCli.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new CliRun(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The committed fixture {@code name}, copied into {@code dir} (once). */
    static Path fixture(Path dir, String name) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            try (InputStream in = CliRun.class.getResourceAsStream("/fixtures/" + name)) {
                Files.copy(in, p);
            }
        }
        return p;
    }
}
