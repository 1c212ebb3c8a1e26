package dev.kiln.compiler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The committed fixtures as {@code manifest.json} (written by {@code tools/fixtures/export_fixtures.py}) lists them,
 * by fixture name. A file is sorted by what it is, not by its key in {@code files}: the exporter adds keys
 * ({@code other_io} did), and a key-based skip list once let an npz through to the compiler as a model.
 */
record FixtureManifest(Map<String, Fixture> fixtures) {
    /** A fixture's model files ({@code .pt2}, {@code .pt}) and its input/output files ({@code .npz}), in manifest order. */
    record Fixture(List<String> models, List<String> ios) {
    }

    static FixtureManifest read(Path manifest) throws IOException {
        JsonNode root = new ObjectMapper().readTree(manifest.toFile());
        Map<String, Fixture> out = new TreeMap<>();
        for (var it = root.path("fixtures").fields(); it.hasNext(); ) {
            var e = it.next();
            List<String> models = new ArrayList<>();
            List<String> ios = new ArrayList<>();
            for (var f = e.getValue().path("files").fields(); f.hasNext(); ) {
                var kv = f.next();
                List<String> names = new ArrayList<>();
                if (kv.getValue().isArray()) { // "legacy": the older .pt2 layouts
                    kv.getValue().forEach(v -> names.add(v.asText()));
                } else {
                    names.add(kv.getValue().asText());
                }
                for (String name : names) {
                    if (name.endsWith(".pt2") || name.endsWith(".pt")) {
                        models.add(name);
                    } else if (name.endsWith(".npz")) {
                        ios.add(name);
                    } else {
                        // a new kind of file must be sorted here on purpose, not silently compiled or skipped
                        throw new IllegalStateException(manifest + ": fixture " + e.getKey() + " lists " + kv.getKey() + " = "
                                + name + ", neither a model (.pt2, .pt) nor an input/output file (.npz)");
                    }
                }
            }
            out.put(e.getKey(), new Fixture(List.copyOf(models), List.copyOf(ios)));
        }
        return new FixtureManifest(out);
    }
}
