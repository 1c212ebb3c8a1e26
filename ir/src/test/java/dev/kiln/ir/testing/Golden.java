package dev.kiln.ir.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden-file assertions for IR text: compares against a classpath resource under
 * {@code src/test/resources}; a run with {@code -Dkiln.golden.update=true} rewrites the file instead
 * (run from the module directory, as surefire does), so a reviewer reads the change as a diff.
 *
 * <pre>{@code Golden.assertMatches(IrPrinter.print(g), "/dev/kiln/passes/dce/simple.expected.kir");}</pre>
 */
public final class Golden {
    private Golden() {
    }

    /** True when this run rewrites golden files. */
    public static boolean updating() {
        return Boolean.parseBoolean(System.getProperty("kiln.golden.update", "false"));
    }

    /** Asserts that {@code actual} equals the resource {@code resource} (an absolute classpath path). */
    public static void assertMatches(String actual, String resource) {
        if (!resource.startsWith("/")) {
            throw new IllegalArgumentException("golden resource must be an absolute classpath path: " + resource);
        }
        if (updating()) {
            Path file = Path.of("src/test/resources" + resource);
            try {
                Files.createDirectories(file.getParent());
                Files.writeString(file, actual, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot update golden file " + file.toAbsolutePath(), e);
            }
            return;
        }
        assertThat(actual).as("golden file %s (rerun with -Dkiln.golden.update=true to accept the change)", resource)
                .isEqualTo(read(resource));
    }

    /** The text of classpath resource {@code resource}. */
    public static String read(String resource) {
        try (InputStream in = Golden.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError("golden file " + resource + " is missing; create it with -Dkiln.golden.update=true");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
