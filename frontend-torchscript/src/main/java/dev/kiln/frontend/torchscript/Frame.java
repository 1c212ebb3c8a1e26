package dev.kiln.frontend.torchscript;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The graph nodes go to: the model's graph, or a branch of a run-time {@code prim::If} being converted. A branch's
 * graph is closed: an IR value of an enclosing graph that the branch reads becomes an input of the branch (and,
 * through its parent, an operand of the {@code kiln::cond} node).
 */
final class Frame {
    final Graph graph;
    final Frame parent;
    /** What the frame converts: "model", "branch" (of a run-time if) or "loop" (a run-time loop's body). */
    final String construct;
    /** Values of the parent's graph the branch reads, in order: the cond node's operands. */
    final List<Value> operands = new ArrayList<>();
    /** Parent-graph value -> the branch input standing for it. */
    final Map<Value, Value> captured = new java.util.IdentityHashMap<>();
    /** Parent-graph value -> the input made for it when first captured (what {@link #captured} held before any rebinding). */
    final Map<Value, Value> standIns = new java.util.IdentityHashMap<>();
    /**
     * A branch frame's appends to lists built outside it (a {@link Bound.Scanning} of the loop around, or a list key
     * of a frame around): the element each gets on this path; both branches must append (convertRuntimeIf).
     */
    final Map<AppendTarget, Bound> appends = new java.util.LinkedHashMap<>();
    /** The same, as values of the branch's graph: what the branch gives for each, after its own outputs. */
    final Map<AppendTarget, Value> appendOuts = new java.util.LinkedHashMap<>();

    /**
     * A list that run-time branches or loop bodies inside its {@link #home} frame append to: a {@link Bound.Scanning}
     * of a run-time loop, or a list built in a frame whose run-time branches append to it. Keys of {@link #appends} by
     * identity.
     */
    interface AppendTarget {
        /** The frame the list lives in: an append there is the list's own; one in a frame inside waits in {@link #appends}. */
        Frame home();

        /** The list's name in TorchScript, for messages and IR names. */
        String name();

        /** Takes {@code e}, appended where the list lives. */
        void take(Bound e);
    }


    Frame(Graph graph, Frame parent, String construct) {
        this.graph = graph;
        this.parent = parent;
        this.construct = construct;
    }

    /** {@code v} (of this frame's graph or an enclosing one) as a value of this frame's graph. */
    Value local(Value v) {
        if (parent == null || v.graph() == graph) {
            return v;
        }
        Value outer = parent.local(v);
        return captured.computeIfAbsent(outer, o -> {
            operands.add(o);
            Value in = graph.addInput(graph.freshName(o.name()), o.type());
            standIns.put(o, in);
            return in;
        });
    }
}
