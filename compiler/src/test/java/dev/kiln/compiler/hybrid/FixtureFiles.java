package dev.kiln.compiler.hybrid;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Committed fixtures (the kiln-ir test-jar's {@code /fixtures/}) as files, for this package's tests. */
final class FixtureFiles {
    private FixtureFiles() {
    }

    /** Copies fixture {@code name} to {@code to} and returns {@code to}. */
    static Path copy(String name, Path to) throws IOException {
        try (InputStream in = FixtureFiles.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new IllegalStateException("fixture " + name + " is not on the class path (kiln-ir test-jar)");
            }
            Files.copy(in, to);
        }
        return to;
    }
}
