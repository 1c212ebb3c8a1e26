package dev.kiln.frontend.torchscript;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Copies committed fixtures ({@code /fixtures/<file>} from the kiln-ir test-jar) to temporary files. */
final class Fixtures {
    private Fixtures() {
    }

    static Path path(String file, Path dir) {
        Path out = dir.resolve(file);
        if (Files.exists(out)) {
            return out;
        }
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + file)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + file);
            }
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
