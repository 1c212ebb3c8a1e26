package dev.kiln.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The committed fixtures (test resources {@code /fixtures/}) copied to a folder, for code that reads files. */
final class Fixtures {
    private Fixtures() {
    }

    /** Copies fixture {@code name} ({@code cnn.pt2}, {@code cnn.npz}) into {@code dir}; returns the copy. */
    static Path copy(Path dir, String name) {
        Path to = dir.resolve(name);
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no fixture " + name + " on the test class path");
            }
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
