package dev.kiln.frontend.fx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;

/** The committed torch 2.11 fixtures (kiln-ir test-jar), copied once to temp files. */
public final class Fixtures {
    private static final Map<String, Path> CACHE = new HashMap<>();

    private Fixtures() {
    }

    /** A path to fixture {@code name} ({@code mlp.pt2}). */
    public static synchronized Path path(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + n)) {
                if (in == null) {
                    throw new IllegalStateException("fixture " + n + " is not on the classpath");
                }
                Path dir = Files.createTempDirectory("kiln-fx");
                Path p = dir.resolve(n);
                Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
                p.toFile().deleteOnExit();
                dir.toFile().deleteOnExit();
                return p;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** manifest.json. */
    public static JsonNode manifest() {
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/manifest.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
