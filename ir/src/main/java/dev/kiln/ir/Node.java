package dev.kiln.ir;

import dev.kiln.ir.schema.OpSchema;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One operation of a {@link Graph}: an exact operator overload ({@link OpSchema}), its arguments in
 * schema order with every default filled in, its output values, a name (the frontend's node name)
 * and, when known, the Python source location it came from.
 *
 * <pre>{@code Node relu = graph.append(registry.get("aten::relu"), List.of(x), List.of(x.type()));}</pre>
 */
public final class Node {
    private final Graph graph;
    private final OpSchema schema;
    private final List<Arg> args;
    private final List<Value> outputs = new ArrayList<>();
    private final List<Graph> subgraphs = new ArrayList<>();
    private String name;
    private SourceLocation location;
    private boolean removed;

    Node(Graph graph, OpSchema schema, List<? extends Arg> args, String name) {
        this.graph = graph;
        this.schema = Objects.requireNonNull(schema, "schema");
        this.args = new ArrayList<>(args);
        this.name = name;
    }

    public Graph graph() {
        return graph;
    }

    public OpSchema schema() {
        return schema;
    }

    /** The exact overload: {@code aten::add.Tensor}, {@code aten::relu}. */
    public String op() {
        return schema.qualifiedName();
    }

    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    public Optional<SourceLocation> location() {
        return Optional.ofNullable(location);
    }

    public void setLocation(SourceLocation location) {
        this.location = location;
    }

    /** Arguments in schema order. */
    public List<Arg> args() {
        return Collections.unmodifiableList(args);
    }

    public Arg arg(int i) {
        return args.get(i);
    }

    /** The argument called {@code argName} in the schema; throws naming the node when there is none. */
    public Arg arg(String argName) {
        OptionalInt i = schema.indexOf(argName);
        if (i.isEmpty() || i.getAsInt() >= args.size()) {
            throw KilnException.at(this, "the schema " + schema.qualifiedName() + " has no argument '" + argName + "'");
        }
        return args.get(i.getAsInt());
    }

    /** Replaces argument {@code i}, keeping use lists right. */
    public void setArg(int i, Arg a) {
        Objects.requireNonNull(a, "arg");
        for (Value v : args.get(i).values()) {
            v.removeUser(this);
        }
        args.set(i, a);
        for (Value v : a.values()) {
            v.addUser(this);
        }
    }

    /** Every value this node reads, in argument order (lists flattened), with repeats. */
    public List<Value> inputs() {
        List<Value> out = new ArrayList<>();
        for (Arg a : args) {
            out.addAll(a.values());
        }
        return out;
    }

    public List<Value> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    /** The single output; throws naming the node when it has several. */
    public Value output() {
        if (outputs.size() != 1) {
            throw KilnException.at(this, "expected one output but the node has " + outputs.size());
        }
        return outputs.get(0);
    }

    public Value output(int i) {
        return outputs.get(i);
    }

    /** Nested graphs of higher-order ops (empty for ATen ops). */
    public List<Graph> subgraphs() {
        return Collections.unmodifiableList(subgraphs);
    }

    public void addSubgraph(Graph g) {
        subgraphs.add(Objects.requireNonNull(g));
    }

    /** True once the node was removed from its graph. */
    public boolean isRemoved() {
        return removed;
    }

    /** {@code node conv2d_1 (aten::conv2d) at model.py:12} — the prefix of every message about it. */
    public String describe() {
        return "node " + name + " (" + op() + ")" + (location != null ? " at " + location : "");
    }

    // --- typed argument readers for converters and passes ---

    public long intArg(String argName) {
        return Args.toLong(arg(argName), this, argName);
    }

    public double doubleArg(String argName) {
        return Args.toDouble(arg(argName), this, argName);
    }

    public boolean boolArg(String argName) {
        return Args.toBool(arg(argName), this, argName);
    }

    /** An {@code int[]} argument of literals; a single int is broadcast as ATen does for {@code int[N]}. */
    public long[] intListArg(String argName) {
        return Args.toLongs(arg(argName), this, argName);
    }

    public Optional<Value> tensorArg(String argName) {
        Arg a = arg(argName);
        return a instanceof Value v ? Optional.of(v) : Optional.empty();
    }

    void addOutput(Value v) {
        outputs.add(v);
    }

    void replaceInput(Value old, Value replacement) {
        for (int i = 0; i < args.size(); i++) {
            Arg a = args.get(i);
            Arg r = substitute(a, old, replacement);
            if (r != a) {
                setArg(i, r);
            }
        }
    }

    private static Arg substitute(Arg a, Value old, Value replacement) {
        if (a == old) {
            return replacement;
        }
        if (a instanceof Arg.ListArg l) {
            List<Arg> out = null;
            for (int i = 0; i < l.elements().size(); i++) {
                Arg e = l.elements().get(i);
                Arg r = substitute(e, old, replacement);
                if (r != e) {
                    if (out == null) {
                        out = new ArrayList<>(l.elements());
                    }
                    out.set(i, r);
                }
            }
            return out == null ? a : new Arg.ListArg(out);
        }
        return a;
    }

    void detach() {
        for (Arg a : args) {
            for (Value v : a.values()) {
                v.removeUser(this);
            }
        }
        removed = true;
    }

    void attach() {
        for (Arg a : args) {
            for (Value v : a.values()) {
                v.addUser(this);
            }
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
