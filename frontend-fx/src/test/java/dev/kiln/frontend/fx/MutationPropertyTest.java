package dev.kiln.frontend.fx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.frontend.fx.archive.ZipArchive;
import dev.kiln.ir.KilnException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Mutated archives — random bytes changed in the file, and random JSON fields replaced in the
 * program and the weights config (re-zipped with valid CRCs, so the parser sees them) — load or
 * fail with a {@link KilnException}: never another exception, never a hang, never a file left open.
 */
class MutationPropertyTest {
    private static final String[] FIXTURES = {"mlp.pt2", "mlp.core.pt2", "dynbatch.core.pt2", "mlp.v27.pt2", "mlp.v28.pt2"};
    private static final Duration BOUND = Duration.ofSeconds(10);
    private static final Map<String, byte[]> BYTES = new LinkedHashMap<>();
    private static final Map<String, Map<String, byte[]>> ENTRIES = new LinkedHashMap<>();
    private static Path scratch;

    private static synchronized byte[] bytes(String f) {
        return BYTES.computeIfAbsent(f, Fixtures::bytes);
    }

    private static synchronized Map<String, byte[]> entries(String f) {
        return ENTRIES.computeIfAbsent(f, x -> Archives.entries(Fixtures.path(x)));
    }

    private static synchronized Path scratch() {
        if (scratch == null) {
            try {
                scratch = Files.createTempFile("kiln-mutant", ".pt2");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return scratch;
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        if (scratch != null) {
            Files.deleteIfExists(scratch);
        }
    }

    /** Byte-level damage: flips, overwritten runs, truncation. */
    @Property(tries = 1500)
    void byteMutantsFailCleanly(@ForAll("fixtures") String fixture, @ForAll("seeds") long seed) {
        Random r = new Random(seed);
        byte[] b = bytes(fixture).clone();
        switch (r.nextInt(4)) {
            case 0 -> {
                for (int i = 0, n = 1 + r.nextInt(8); i < n; i++) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> {
                // damage the zip structures at the end (central directory, end record)
                for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
                    int at = b.length - 1 - r.nextInt(Math.min(b.length, 1200));
                    b[at] = (byte) r.nextInt(256);
                }
            }
            case 2 -> {
                int at = r.nextInt(b.length);
                int len = Math.min(b.length - at, 1 + r.nextInt(64));
                byte[] junk = new byte[len];
                r.nextBytes(junk);
                System.arraycopy(junk, 0, b, at, len);
            }
            default -> b = Arrays.copyOf(b, r.nextInt(b.length));
        }
        check(b);
    }

    /** Field-level damage in the program JSON and the weights config, with valid CRCs. */
    @Property(tries = 1500)
    void jsonMutantsFailCleanly(@ForAll("fixtures") String fixture, @ForAll("seeds") long seed) {
        Random r = new Random(seed);
        Map<String, byte[]> e = new LinkedHashMap<>(entries(fixture));
        List<String> jsons = new ArrayList<>();
        for (String k : e.keySet()) {
            if (k.endsWith(".json")) {
                jsons.add(k);
            }
        }
        String key = jsons.get(r.nextInt(jsons.size()));
        try {
            JsonNode root = Archives.JSON.readTree(e.get(key));
            for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
                mutate(root, r);
            }
            e.put(key, Archives.JSON.writeValueAsBytes(root));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        check(Archives.zip(e, r.nextInt(8) == 0));
    }

    private static void check(byte[] archive) {
        Path p = Archives.write(scratch(), archive);
        String outcome = assertTimeoutPreemptively(BOUND, () -> {
            try {
                Pt2Loader.load(p);
                return "loaded";
            } catch (KilnException ex) {
                assertThat(ex.getMessage()).doesNotContain("internal error").isNotBlank();
                return ex.getMessage().contains("at $.") ? "refused: JSON field" : "refused: archive";
            }
        });
        Statistics.collect(outcome);
        assertThat(ZipArchive.openFiles()).isZero();
    }

    /** Replaces, removes or retypes one random node of the tree. */
    private static void mutate(JsonNode root, Random r) {
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers);
        JsonNode c = containers.get(r.nextInt(containers.size()));
        JsonNodeFactory f = JsonNodeFactory.instance;
        JsonNode replacement = switch (r.nextInt(10)) {
            case 0 -> f.nullNode();
            case 1 -> f.numberNode(r.nextInt(40) - 5);
            case 2 -> f.numberNode(r.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE);
            case 3 -> f.textNode(r.nextBoolean() ? "NaN" : "Symbol('s1', positive=True)");
            case 4 -> f.objectNode();
            case 5 -> f.arrayNode();
            case 6 -> f.booleanNode(r.nextBoolean());
            case 7 -> f.objectNode().set("as_int", f.numberNode(r.nextInt(1 << 20)));
            case 8 -> f.textNode("torch.ops.aten.relu.default");
            default -> null; // remove
        };
        if (c instanceof ObjectNode o && o.size() > 0) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            String name = names.get(r.nextInt(names.size()));
            if (replacement == null) {
                o.remove(name);
            } else {
                o.set(name, replacement);
            }
        } else if (c instanceof ArrayNode a && a.size() > 0) {
            int i = r.nextInt(a.size());
            if (replacement == null) {
                a.remove(i);
            } else if (r.nextBoolean()) {
                a.set(i, replacement);
            } else {
                a.add(a.get(i).deepCopy()); // duplicates: repeated names, extra inputs
            }
        }
    }

    private static void collect(JsonNode n, List<JsonNode> out) {
        if (n.isContainerNode()) {
            out.add(n);
            for (JsonNode child : n) {
                collect(child, out);
            }
        }
    }

    @Provide
    Arbitrary<String> fixtures() {
        return Arbitraries.of(FIXTURES);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }
}
