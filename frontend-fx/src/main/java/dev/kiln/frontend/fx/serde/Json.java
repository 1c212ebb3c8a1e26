package dev.kiln.frontend.fx.serde;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.core.JsonFactory;
import dev.kiln.ir.KilnException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A position in a parsed JSON document that reads typed fields and says exactly where a document
 * of the wrong shape went wrong: {@code model.pt2: entry 'm/models/model.json': at
 * $.graph_module.graph.nodes[3].target: expected a string but found a number}. It follows the
 * torch.export encoding: unions are single-key objects, NaN and infinities are strings.
 *
 * <pre>{@code String target = json.field("target").string();}</pre>
 */
public final class Json {
    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(256).maxNumberLength(64).build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final JsonNode node;
    private final String path;
    private final String where;

    private Json(JsonNode node, String path, String where) {
        this.node = node;
        this.path = path;
        this.where = where;
    }

    /** Parses {@code text}; {@code where} ("file: entry 'name'") prefixes every message. */
    public static Json parse(String text, String where) {
        try {
            JsonNode n = MAPPER.readTree(text);
            if (n == null || n.isMissingNode()) {
                throw new KilnException(where + ": is empty, expected a JSON document");
            }
            return new Json(n, "$", where);
        } catch (JacksonException e) {
            throw new KilnException(where + ": is not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }

    /** Where this value sits ({@code $.graph_module.graph}). */
    public String path() {
        return path;
    }

    /** A {@link KilnException} saying what is wrong at this position. */
    public KilnException error(String problem) {
        return new KilnException(where + ": at " + path + ": " + problem);
    }

    public boolean isNull() {
        return node.isNull();
    }

    public boolean isObject() {
        return node.isObject();
    }

    public boolean isArray() {
        return node.isArray();
    }

    public boolean isString() {
        return node.isTextual();
    }

    /** The field {@code name}; missing or null is an error. */
    public Json field(String name) {
        return optField(name).orElseThrow(() -> expectObject().error("the field '" + name + "' is missing"));
    }

    /** The field {@code name}, empty when missing or null (older schema minors lack fields). */
    public Optional<Json> optField(String name) {
        expectObject();
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        return Optional.of(new Json(v, path + "." + name, where));
    }

    public String string() {
        if (!node.isTextual()) {
            throw error("expected a string but found " + kind());
        }
        return node.textValue();
    }

    /** An integer that fits 64 bits. */
    public long integer() {
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw error("expected an integer but found " + kind());
        }
        return node.longValue();
    }

    /** An int-sized integer (enum codes, counts). */
    public int smallInt() {
        long v = integer();
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw error("the integer " + v + " is out of range");
        }
        return (int) v;
    }

    /** A number; {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"} arrive as strings. */
    public double number() {
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isTextual()) {
            switch (node.textValue()) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
        }
        throw error("expected a number but found " + kind());
    }

    public boolean bool() {
        if (!node.isBoolean()) {
            throw error("expected a boolean but found " + kind());
        }
        return node.booleanValue();
    }

    public List<Json> list() {
        if (!node.isArray()) {
            throw error("expected a list but found " + kind());
        }
        List<Json> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            out.add(new Json(node.get(i), path + "[" + i + "]", where));
        }
        return out;
    }

    /** The members of an object in document order. */
    public Map<String, Json> members() {
        expectObject();
        Map<String, Json> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), new Json(e.getValue(), path + "." + e.getKey(), where)));
        return out;
    }

    /** A union: a single-key object {@code {"as_tensor": {...}}}. */
    public Union union() {
        expectObject();
        if (node.size() != 1) {
            throw error("expected a union (an object with exactly one key) but found " + node.size() + " keys");
        }
        Map.Entry<String, JsonNode> e = node.fields().next();
        return new Union(e.getKey(), new Json(e.getValue(), path + "." + e.getKey(), where));
    }

    private Json expectObject() {
        if (!node.isObject()) {
            throw error("expected an object but found " + kind());
        }
        return this;
    }

    private String kind() {
        if (node.isObject()) {
            return "an object";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isTextual()) {
            return "the string \"" + abbreviate(node.textValue()) + "\"";
        }
        if (node.isNumber()) {
            return "the number " + node.asText();
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        return node.isNull() ? "null" : "something else";
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /**
     * One member of a union: which variant ({@code as_tensor}) and its payload.
     *
     * @param kind  the variant's key
     * @param value the variant's payload
     */
    public record Union(String kind, Json value) {
    }

    @Override
    public String toString() {
        return path;
    }
}
