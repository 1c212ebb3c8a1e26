package dev.kiln.ir.schema;

import dev.kiln.ir.KilnException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The operator schemas Kiln knows, by qualified overload name. {@link #standard()} holds every
 * schema registered in the bundled libtorch 2.5.1 (aten::, prim:: and the other namespaces libtorch
 * itself registers), loaded once from the committed resource {@value #STANDARD_RESOURCE}; third-party
 * ops are added with {@link #register}. All methods are thread-safe.
 *
 * <pre>{@code OpSchema add = SchemaRegistry.standard().get("aten::add.Tensor");}</pre>
 */
public final class SchemaRegistry {
    /** The classpath resource with libtorch's schemas, one per line, sorted. */
    public static final String STANDARD_RESOURCE = "/dev/kiln/ir/schema/libtorch-2.5.1.schemas";

    /**
     * Ops of Kiln's own that the standard registry holds besides libtorch's: {@code kiln::cond} and {@code kiln::loop}
     * (a branch and a loop decided at run time, with nested graphs; {@link dev.kiln.ir.ControlFlow}) and
     * {@code prim::ListUnpack} (a list split into values; interpreter-only in libtorch, so it has no schema there).
     */
    public static final List<String> KILN_SCHEMAS = List.of(
            "kiln::cond(Any pred, Any[] operands) -> ...",
            "kiln::loop(Any max_trips, Any cond, Any[] carried) -> ...",
            "prim::ListUnpack(Any list) -> ...");

    /** op name ({@code aten::add}) -> overload name ({@code ""} for the default) -> schema. */
    private final NavigableMap<String, NavigableMap<String, OpSchema>> byName = new TreeMap<>();
    private int size;

    /** A registry with no schemas; {@link #standard()} is the one normally used. */
    public SchemaRegistry() {
    }

    private static volatile SchemaRegistry standard;

    /** The registry of libtorch 2.5.1's schemas, loaded on first use. */
    public static SchemaRegistry standard() {
        SchemaRegistry r = standard;
        if (r == null) {
            synchronized (SchemaRegistry.class) {
                r = standard;
                if (r == null) {
                    // not a holder class: a failure must surface as the KilnException, not an ExceptionInInitializerError
                    r = new SchemaRegistry();
                    for (String line : readStandardResource()) {
                        r.register(SchemaParser.parse(line));
                    }
                    for (String line : KILN_SCHEMAS) {
                        r.register(SchemaParser.parse(line));
                    }
                    standard = r;
                }
            }
        }
        return r;
    }

    /** The schema lines of {@value #STANDARD_RESOURCE}, as committed. */
    public static List<String> readStandardResource() {
        try (InputStream in = SchemaRegistry.class.getResourceAsStream(STANDARD_RESOURCE)) {
            if (in == null) {
                throw new KilnException("the schema resource " + STANDARD_RESOURCE + " is missing from the classpath; "
                        + "the kiln-ir jar is incomplete, rebuild it");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            return lines;
        } catch (IOException e) {
            throw new KilnException("cannot read the schema resource " + STANDARD_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /**
     * The schema of {@code qualifiedName}: {@code aten::add.Tensor}, or {@code aten::relu} for the default
     * overload ({@code aten::relu.default} is accepted too).
     *
     * @throws KilnException naming the op and the closest known overloads when it is unknown
     */
    public OpSchema get(String qualifiedName) {
        String[] parts = split(qualifiedName);
        return find(parts[0], parts[1]).orElseThrow(() -> unknown(qualifiedName, parts[0], parts[1]));
    }

    /** The overload {@code overload} ({@code ""} or {@code "default"} for the default) of op {@code name} ({@code aten::add}). */
    public synchronized Optional<OpSchema> find(String name, String overload) {
        NavigableMap<String, OpSchema> m = byName.get(name);
        if (m == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(m.get(overload.equals("default") ? "" : overload));
    }

    /** Every overload of op {@code name} ({@code aten::add}), ordered by overload name (the default first); empty when unknown. */
    public synchronized List<OpSchema> overloads(String name) {
        NavigableMap<String, OpSchema> m = byName.get(name);
        return m == null ? List.of() : List.copyOf(m.values());
    }

    /** Every schema, ordered by qualified name. */
    public synchronized List<OpSchema> all() {
        List<OpSchema> out = new ArrayList<>(size);
        for (NavigableMap<String, OpSchema> m : byName.values()) {
            out.addAll(m.values());
        }
        out.sort(Comparator.comparing(OpSchema::qualifiedName));
        return out;
    }

    /** Every op name ({@code aten::add}) with at least one overload, sorted. */
    public synchronized List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /**
     * Adds a schema. Registering an identical schema again is allowed and changes nothing.
     *
     * @throws KilnException when a different schema is already registered under the same qualified name
     */
    public synchronized void register(OpSchema schema) {
        NavigableMap<String, OpSchema> m = byName.computeIfAbsent(schema.name(), k -> new TreeMap<>());
        OpSchema old = m.get(schema.overload());
        if (old != null) {
            if (old.equals(schema)) {
                return;
            }
            throw new KilnException("cannot register operator " + schema.qualifiedName() + ": it is already registered with a different schema\n"
                    + "  registered: " + old + "\n  new:        " + schema + "\nuse another namespace or overload name for the new op");
        }
        m.put(schema.overload(), schema);
        size++;
    }

    /** Parses and registers a schema in standard syntax; returns it. */
    public OpSchema register(String schema) {
        OpSchema s = SchemaParser.parse(schema);
        register(s);
        return s;
    }

    /** The number of schemas (overloads) registered. */
    public synchronized int size() {
        return size;
    }

    /** {@code aten::add.Tensor} -> {@code [aten::add, Tensor]}; {@code aten::relu} -> {@code [aten::relu, ""]}. */
    static String[] split(String qualifiedName) {
        int sep = qualifiedName.indexOf("::");
        if (sep <= 0) {
            throw new KilnException("'" + qualifiedName + "' is not a qualified operator name; write it as namespace::op[.overload], "
                    + "for example aten::add.Tensor");
        }
        int dot = qualifiedName.indexOf('.', sep + 2);
        if (dot < 0) {
            return new String[] {qualifiedName, ""};
        }
        String overload = qualifiedName.substring(dot + 1);
        return new String[] {qualifiedName.substring(0, dot), overload.equals("default") ? "" : overload};
    }

    private synchronized KilnException unknown(String qualifiedName, String name, String overload) {
        NavigableMap<String, OpSchema> m = byName.get(name);
        if (m != null) {
            String known = m.values().stream().map(OpSchema::qualifiedName).collect(Collectors.joining(", "));
            String what = overload.isEmpty() ? "has no default overload" : "has no overload '" + overload + "'";
            return new KilnException("unknown operator " + qualifiedName + ": " + name + " " + what + "; known overloads: " + known);
        }
        List<String> close = closest(name, 5);
        return new KilnException("unknown operator " + qualifiedName + ": no op " + name + " is registered"
                + (close.isEmpty() ? "" : "; did you mean " + String.join(", ", close) + "?")
                + " (third-party ops must be registered with SchemaRegistry.register first)");
    }

    /** The registered op names nearest to {@code name} by edit distance, ties broken by name. */
    private List<String> closest(String name, int limit) {
        TreeMap<Integer, List<String>> byDistance = new TreeMap<>();
        int max = Math.max(3, name.length() / 3);
        for (Map.Entry<String, NavigableMap<String, OpSchema>> e : byName.entrySet()) {
            int d = distance(name, e.getKey());
            if (d <= max) {
                byDistance.computeIfAbsent(d, k -> new ArrayList<>()).add(e.getKey());
            }
        }
        List<String> out = new ArrayList<>();
        for (List<String> names : byDistance.values()) {
            for (String n : names) {
                if (out.size() < limit) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
