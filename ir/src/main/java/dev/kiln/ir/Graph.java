package dev.kiln.ir;

import dev.kiln.ir.schema.OpSchema;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A dataflow graph at the ATen level: declared symbols (dynamic sizes with ranges), inputs,
 * constants (weights, off-heap), nodes in a topological order, and outputs. Every value has a name
 * unique in the graph. Graphs print to and parse from a stable text form ({@code dev.kiln.ir.text}).
 *
 * <pre>{@code
 * Graph g = new Graph("main");
 * Value x = g.addInput("x", new TensorType(DType.FLOAT32, Shape.of(2, 3)));
 * Node r = g.append(registry.get("aten::relu"), List.of(x), List.of(x.type()));
 * g.setOutputs(List.of(r.output()));
 * }</pre>
 */
public final class Graph {
    private String name;
    private final Map<String, Symbol> symbols = new LinkedHashMap<>();
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> constants = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final Map<String, Value> valuesByName = new HashMap<>();
    private final Map<String, Integer> nameCounters = new HashMap<>();
    private final Map<String, String> attributes = new LinkedHashMap<>();

    public Graph(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    // --- symbols ---

    /** Declares a symbol; declaring the same symbol again is allowed, a conflicting one is not. */
    public Symbol declare(Symbol s) {
        Symbol old = symbols.putIfAbsent(s.name(), s);
        if (old != null && !old.equals(s)) {
            throw new KilnException("symbol " + s.name() + " declared twice with different ranges: "
                    + old.declaration() + " and " + s.declaration());
        }
        return old != null ? old : s;
    }

    /** Declared symbols in declaration order. */
    public Collection<Symbol> symbols() {
        return Collections.unmodifiableCollection(symbols.values());
    }

    public Optional<Symbol> symbol(String symbolName) {
        return Optional.ofNullable(symbols.get(symbolName));
    }

    // --- free-form attributes (frontend, source file, ...) printed with the graph ---

    /** Ordered string attributes of the graph (e.g. {@code source}, {@code frontend}). */
    public Map<String, String> attributes() {
        return attributes;
    }

    // --- values ---

    public Value addInput(String valueName, Type type) {
        Value v = new Value(this, Value.Kind.INPUT, claimName(valueName), type, null, null);
        register(v);
        inputs.add(v);
        declareSymbolsOf(type);
        return v;
    }

    /** Adds a constant named {@code valueName} (made unique when taken) holding {@code data}. */
    public Value addConstant(String valueName, ConstantTensor data) {
        Value v = new Value(this, Value.Kind.CONSTANT, claimName(valueName), data.type(), null, data);
        register(v);
        constants.add(v);
        return v;
    }

    /** Removes a constant nobody uses. */
    public void removeConstant(Value c) {
        if (c.kind() != Value.Kind.CONSTANT || c.graph() != this) {
            throw new IllegalArgumentException(c + " is not a constant of this graph");
        }
        if (c.isUsed()) {
            throw new KilnException("constant " + c + " is still used and cannot be removed");
        }
        constants.remove(c);
        valuesByName.remove(c.name());
    }

    public List<Value> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public List<Value> constants() {
        return Collections.unmodifiableList(constants);
    }

    public List<Value> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    public void setOutputs(List<Value> outs) {
        for (Value v : outs) {
            requireOwn(v);
        }
        outputs.clear();
        outputs.addAll(outs);
    }

    /** The value called {@code valueName} (without the {@code %}). */
    public Optional<Value> value(String valueName) {
        return Optional.ofNullable(valuesByName.get(valueName));
    }

    /** A name not yet used in this graph, derived from {@code hint} ({@code hint}, {@code hint_1}, ...). */
    public String freshName(String hint) {
        String base = sanitize(hint);
        if (!valuesByName.containsKey(base)) {
            return base;
        }
        int n = nameCounters.getOrDefault(base, 0);
        String candidate;
        do {
            n++;
            candidate = base + "_" + n;
        } while (valuesByName.containsKey(candidate));
        nameCounters.put(base, n);
        return candidate;
    }

    /** Renames a value (to a fresh name derived from {@code newName} when that is taken). */
    public void rename(Value v, String newName) {
        requireOwn(v);
        if (v.name().equals(newName)) {
            return;
        }
        valuesByName.remove(v.name());
        v.rename(freshName(newName));
        valuesByName.put(v.name(), v);
    }

    // --- nodes ---

    /** Nodes in order (a live, read-only view; copy it before mutating the graph while iterating). */
    public List<Node> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    /** Creates a node at the end of the graph with outputs of the given types. */
    public Node append(OpSchema schema, List<? extends Arg> args, List<? extends Type> outputTypes) {
        return create(nodes.size(), schema, args, outputTypes, null, null);
    }

    /** Creates a node right before {@code anchor}. */
    public Node insertBefore(Node anchor, OpSchema schema, List<? extends Arg> args, List<? extends Type> outputTypes) {
        return create(indexOf(anchor), schema, args, outputTypes, null, anchor);
    }

    /** Creates a node right after {@code anchor}. */
    public Node insertAfter(Node anchor, OpSchema schema, List<? extends Arg> args, List<? extends Type> outputTypes) {
        return create(indexOf(anchor) + 1, schema, args, outputTypes, null, anchor);
    }

    /**
     * Creates a node at {@code index} with outputs named after {@code outputNames} (made unique).
     * The node takes the first output's name. Used by frontends and the text parser, which know names.
     */
    public Node insertAt(int index, OpSchema schema, List<? extends Arg> args, List<? extends Type> outputTypes,
                         List<String> outputNames) {
        return create(index, schema, args, outputTypes, outputNames, null);
    }

    /** New nodes made by rewriting {@code like} inherit its source location. */
    private Node create(int index, OpSchema schema, List<? extends Arg> args, List<? extends Type> outputTypes,
                          List<String> outputNames, Node like) {
        for (Arg a : args) {
            for (Value v : a.values()) {
                requireOwn(v);
            }
        }
        String hint = schema.name().substring(schema.name().indexOf("::") + 2);
        Node n = new Node(this, schema, args, hint);
        for (int i = 0; i < outputTypes.size(); i++) {
            String want = outputNames != null && i < outputNames.size() ? outputNames.get(i) : hint;
            Value v = new Value(this, Value.Kind.NODE_OUTPUT, claimName(want), outputTypes.get(i), n, null);
            register(v);
            n.addOutput(v);
            declareSymbolsOf(v.type());
        }
        n.setName(n.outputs().isEmpty() ? freshNodeName(hint) : n.outputs().get(0).name());
        if (like != null) {
            like.location().ifPresent(n::setLocation);
        }
        n.attach();
        nodes.add(index, n);
        return n;
    }

    /** Removes a node whose outputs nobody uses. */
    public void remove(Node n) {
        requireOwn(n);
        for (Value out : n.outputs()) {
            if (out.isUsed()) {
                throw KilnException.at(n, "cannot remove the node: its output " + out + " is still used");
            }
        }
        nodes.remove(n);
        n.detach();
        for (Value out : n.outputs()) {
            valuesByName.remove(out.name());
        }
    }

    /** Moves {@code n} to right before {@code anchor} (the caller keeps the order topological). */
    public void moveBefore(Node n, Node anchor) {
        requireOwn(n);
        nodes.remove(n);
        nodes.add(indexOf(anchor), n);
    }

    public int indexOf(Node n) {
        int i = nodes.indexOf(n);
        if (i < 0) {
            throw new IllegalArgumentException(n + " is not in graph " + name);
        }
        return i;
    }

    /** The graph's nodes whose op is {@code qualifiedOp} ({@code aten::add.Tensor}), in order. */
    public List<Node> nodesOf(String qualifiedOp) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (n.op().equals(qualifiedOp)) {
                out.add(n);
            }
        }
        return out;
    }

    /** Op histogram: qualified op name to count, ordered by name. */
    public Map<String, Integer> opHistogram() {
        Map<String, Integer> h = new java.util.TreeMap<>();
        for (Node n : nodes) {
            h.merge(n.op(), 1, Integer::sum);
        }
        return h;
    }

    // --- internals ---

    void replaceOutput(Value old, Value replacement) {
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i) == old) {
                outputs.set(i, replacement);
            }
        }
    }

    private String freshNodeName(String hint) {
        return freshName(hint);
    }

    private String claimName(String wanted) {
        return freshName(wanted == null || wanted.isEmpty() ? "v" : wanted);
    }

    private void register(Value v) {
        valuesByName.put(v.name(), v);
    }

    private void declareSymbolsOf(Type t) {
        if (t instanceof TensorType tt && tt.shape().isRanked()) {
            for (Symbol s : tt.shape().symbols()) {
                declare(s);
            }
        } else if (t instanceof ListType l) {
            declareSymbolsOf(l.element());
        } else if (t instanceof OptionalType o) {
            declareSymbolsOf(o.element());
        }
    }

    private void requireOwn(Value v) {
        if (v.graph() != this) {
            throw new IllegalArgumentException(v + " belongs to graph " + v.graph().name() + ", not " + name);
        }
    }

    private void requireOwn(Node n) {
        if (n.graph() != this || n.isRemoved()) {
            throw new IllegalArgumentException(n + " is not in graph " + name);
        }
    }

    /** Value names are identifiers with dots ({@code conv1.weight}); anything else becomes {@code _}. */
    static String sanitize(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '.' ? c : '_');
        }
        if (sb.length() == 0) {
            sb.append('v');
        }
        return sb.toString();
    }
}
