package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An SSA value of a {@link Graph}: a graph input, a constant (with its {@link ConstantTensor}), or
 * an output of a {@link Node}. It has a name unique in its graph ({@code %conv1.weight}), a type,
 * and knows its users.
 *
 * <pre>{@code Value x = graph.addInput("x", new TensorType(DType.FLOAT32, Shape.of(1, 3)));}</pre>
 */
public final class Value implements Arg {
    /** How a value is defined. */
    public enum Kind { INPUT, CONSTANT, NODE_OUTPUT }

    private final Graph graph;
    private final Kind kind;
    private String name;
    private Type type;
    private final Node producer;
    private ConstantTensor constant;
    private final List<Node> users = new ArrayList<>();

    Value(Graph graph, Kind kind, String name, Type type, Node producer, ConstantTensor constant) {
        this.graph = graph;
        this.kind = kind;
        this.name = name;
        this.type = Objects.requireNonNull(type, "type");
        this.producer = producer;
        this.constant = constant;
    }

    public Graph graph() {
        return graph;
    }

    public Kind kind() {
        return kind;
    }

    public String name() {
        return name;
    }

    public Type type() {
        return type;
    }

    /** Sets the type; shape propagation and precision passes refine types in place. */
    public void setType(Type type) {
        this.type = Objects.requireNonNull(type, "type");
    }

    /** The tensor type of this value; throws with the value's name when it is not a tensor. */
    public TensorType tensorType() {
        if (type instanceof TensorType t) {
            return t;
        }
        throw new KilnException("value %" + name + " is a " + type.text() + ", not a tensor");
    }

    /** The node that computes this value, absent for inputs and constants. */
    public Optional<Node> producer() {
        return Optional.ofNullable(producer);
    }

    /** The data of a constant, absent for other values. */
    public Optional<ConstantTensor> constant() {
        return Optional.ofNullable(constant);
    }

    /** Replaces a constant's data (same dtype and sizes expected by users; the type is updated). */
    public void setConstant(ConstantTensor data) {
        if (kind != Kind.CONSTANT) {
            throw new IllegalStateException("%" + name + " is not a constant");
        }
        this.constant = Objects.requireNonNull(data, "data");
        this.type = data.type();
    }

    /** Nodes that use this value, once per use, in no guaranteed order. */
    public List<Node> users() {
        return Collections.unmodifiableList(users);
    }

    /** True when a node or the graph's outputs use this value. */
    public boolean isUsed() {
        return !users.isEmpty() || graph.outputs().contains(this);
    }

    /** Makes every use of this value (in nodes and graph outputs) use {@code replacement} instead. */
    public void replaceAllUsesWith(Value replacement) {
        if (replacement == this) {
            return;
        }
        for (Node user : List.copyOf(users)) {
            user.replaceInput(this, replacement);
        }
        graph.replaceOutput(this, replacement);
    }

    void addUser(Node n) {
        users.add(n);
    }

    void removeUser(Node n) {
        users.remove(n);
    }

    void rename(String newName) {
        this.name = newName;
    }

    @Override
    public String toString() {
        return "%" + name;
    }
}
