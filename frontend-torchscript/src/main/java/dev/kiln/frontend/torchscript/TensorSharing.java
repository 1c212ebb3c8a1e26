package dev.kiln.frontend.torchscript;

import dev.kiln.ir.Arg;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which values of a converted TorchScript graph may be one tensor at run time, and the refusal of models where that
 * could be seen. TorchScript has reference semantics: {@code z = y} in a branch, an in-place op, a view make two
 * variables one tensor, and a write through one is seen through the other. Kiln's values are values; the converter
 * represents the writes it can follow (write-backs of branches and loops) and {@link #check} refuses, naming the
 * node, the models where a branch or a loop would let two variables share a tensor that the model writes in place
 * later (a write before the branch or loop, or none at all, cannot show the sharing).
 *
 * <pre>{@code new TensorSharing(file, writtenLoopVariables).check(graph);}</pre>
 */
final class TensorSharing {
    private final String file;
    /** Per run-time loop: the loop variables its body writes in place and that may be given another tensor. */
    private final Map<Node, java.util.Set<Integer>> writtenLoopVariables;
    /** The node each nested graph belongs to (filled while checking). */
    private final Map<Graph, Node> enclosing = new java.util.IdentityHashMap<>();

    /** The run-time branches and loops that write an outer tensor in place (given back as write-backs). */
    private final java.util.Set<Node> writingNodes;

    TensorSharing(String file, Map<Node, java.util.Set<Integer>> writtenLoopVariables, java.util.Set<Node> writingNodes) {
        this.file = file;
        this.writtenLoopVariables = writtenLoopVariables;
        this.writingNodes = writingNodes;
    }

    /** Refuses {@code root} (a {@link KilnException} naming the node) where sharing could be seen; a model without writes passes. */
    void check(Graph root) {
        if (hasWrites(root)) {
            refuseSharedTensors(root);
        }
    }

    private boolean hasWrites(Graph g) {
        for (Node n : g.nodes()) {
            if (writes(n)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code n} writes a tensor in place: an in-place op, a run-time branch or loop that writes one of the
     * enclosing graph's tensors (a write-back, which inside may be a functional scatter), or one with such writes nested.
     */
    private boolean writes(Node n) {
        return n.schema().mutates() || writingNodes.contains(n) || n.subgraphs().stream().anyMatch(this::hasWrites);
    }

    /**
     * TorchScript shares one tensor between two variables when a branch or a loop gives one of them the other's
     * tensor ({@code x = c} inside an {@code if}); with in-place writes in the model, a write through one is seen
     * through the other. Kiln's values are kept apart, so such a model is refused where the sharing could be seen:
     * a run-time branch or loop that passes a value it reads through to a result while that value is read again
     * afterwards, or a loop that hands one carried value's tensor to another.
     */
    private void refuseSharedTensors(Graph g) {
        for (Node n : g.nodes()) {
            for (Graph sub : n.subgraphs()) {
                enclosing.put(sub, n);
                refuseSharedTensors(sub);
            }
            boolean loop = dev.kiln.ir.ControlFlow.isLoop(n);
            if (!loop && !dev.kiln.ir.ControlFlow.isCond(n)) {
                continue;
            }
            if (!writesFrom(n)) {
                continue; // nothing is written in place once the node has run: a shared tensor is never seen changing
            }
            List<Arg> sources = new ArrayList<>(loop ? dev.kiln.ir.ControlFlow.carried(n) : List.copyOf(dev.kiln.ir.ControlFlow.operands(n)));
            for (int j : writtenLoopVariables.getOrDefault(n, java.util.Set.of())) {
                if (sources.get(j) instanceof Value v && readAfter(v, n)) {
                    throw new KilnException(file + ": " + n.describe() + ": its body writes the loop variable %" + n.output(j).name()
                            + " in place, whose first trip writes into %" + v.name() + ", which the model reads after the loop;"
                            + " TorchScript shares that tensor, which Kiln's values cannot follow: start the loop from a copy"
                            + " (y = x.clone()) or write without in-place ops");
                }
            }
            int skip = loop ? 1 : 0; // a loop body's trip number and condition come first
            for (Graph sub : n.subgraphs()) {
                // which results each tensor is given: an input of the nested graph passed through (by its index), or one
                // the nested graph makes and gives twice (by its value)
                Map<Object, List<Integer>> passed = new java.util.LinkedHashMap<>();
                // (a loop's scan outputs are stacked copies: they share no tensor)
                int results = loop ? sources.size() : n.outputs().size();
                for (int i = 0; i < results; i++) {
                    Value out = sub.outputs().get(i + skip);
                    for (Value in : sameTensorAs(out)) {
                        int k = sub.inputs().indexOf(in) - skip;
                        if (k >= 0 && !(loop && k == i)) { // (a loop variable left as it was is no sharing)
                            passed.computeIfAbsent(k, x -> new ArrayList<>()).add(i);
                        }
                    }
                    Value made = viewOf(out);
                    if (made.kind() != Value.Kind.INPUT) {
                        passed.computeIfAbsent(made, x -> new ArrayList<>()).add(i);
                    }
                }
                for (Map.Entry<Object, List<Integer>> e : passed.entrySet()) {
                    int k = e.getKey() instanceof Integer index ? index : -1;
                    Value o = k >= 0 && sources.get(k) instanceof Value v ? v : null;
                    // the names that still read the one tensor after the node: the results given it, and its source
                    List<String> sharing = new ArrayList<>();
                    // every value of n's graph that holds the tensor once n has run (read later or not)
                    java.util.Set<Value> holders = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
                    for (int i : e.getValue()) {
                        holders.add(n.output(i));
                        if (loop || readAfter(n.output(i), n)) {
                            sharing.add("%" + n.output(i).name());
                        }
                    }
                    if (o != null && (loop ? k < n.outputs().size() : readAfter(o, n))) {
                        sharing.add("%" + o.name());
                    }
                    // and what shares the source's memory (x = a.contiguous() is a itself when a is contiguous)
                    if (o != null && !loop) {
                        holders.addAll(aliasesOf(o));
                        holders.add(o);
                        for (Value other : aliasesOf(o)) {
                            if (other != o && !n.outputs().contains(other) && readAfter(other, n)) {
                                sharing.add("%" + other.name());
                            }
                        }
                    }
                    if (sharing.size() > 1 && (loop || writesInto(n, holders))) {
                        throw new KilnException(file + ": " + n.describe() + ": " + (loop ? "its body" : "its " + sub.name() + " branch")
                                + " gives " + String.join(" and ", sharing) + " one tensor, and the model reads them afterwards"
                                + " and writes tensors in place after it; TorchScript then shares one tensor between them, which Kiln's"
                                + " values cannot follow: assign a copy (y = x.clone()) or write without in-place ops");
                    }
                }
            }
        }
    }

    /**
     * Whether the tensor {@code holders} (values of {@code n}'s graph) hold once {@code n}, a run-time branch, has run
     * may be written in place: by {@code n}'s own branches (which may write an operand that other holders alias), or
     * later by an in-place op or a run-time branch or loop with writes that reads one of them,
     * or a view of one of them taken later, in {@code n}'s graph after {@code n}; and, where holders leave a branch,
     * the same for what they become in the graph around it (conservatively: anything written after a loop body).
     * Written nowhere later, the tensor's sharing cannot be seen.
     */
    private boolean writesInto(Node n, java.util.Set<Value> holders) {
        if (writes(n)) {
            return true; // a branch that writes its operand in place writes the tensor the holders share
        }
        Graph g = n.graph();
        java.util.Set<Value> held = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        held.addAll(holders);
        List<Node> nodes = g.nodes();
        for (int i = g.indexOf(n) + 1; i < nodes.size(); i++) {
            Node u = nodes.get(i);
            if (u.inputs().stream().noneMatch(held::contains)) {
                continue; // nested graphs are closed: a branch or loop that is not given the tensor cannot write it
            }
            if (writes(u)) {
                return true;
            }
            if (!u.subgraphs().isEmpty()) {
                held.addAll(u.outputs()); // a branch or loop may pass the tensor through
                continue;
            }
            List<SchemaArgument> rets = u.schema().returns();
            for (int k = 0; k < u.outputs().size(); k++) {
                if (k < rets.size() && rets.get(k).alias().isPresent()) {
                    held.add(u.output(k)); // a view of (possibly) the tensor
                }
            }
        }
        Node parent = enclosing.get(g);
        if (parent == null) {
            return false;
        }
        if (dev.kiln.ir.ControlFlow.isLoop(parent)) {
            return hasWrites(g) || writesFrom(parent);
        }
        java.util.Set<Value> outer = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int j = 0; j < g.outputs().size(); j++) {
            if (held.contains(g.outputs().get(j))) {
                outer.add(parent.output(j));
            }
        }
        List<Value> operands = dev.kiln.ir.ControlFlow.operands(parent);
        for (int k = 0; k < g.inputs().size() && k < operands.size(); k++) {
            if (held.contains(g.inputs().get(k))) {
                outer.add(operands.get(k));
                outer.addAll(aliasesOf(operands.get(k)));
            }
        }
        return !outer.isEmpty() && writesInto(parent, outer);
    }

    /**
     * Whether anything may be written in place once {@code n} (a run-time branch or loop) runs: its own branches or
     * body (a branch writing an operand, a loop's next trip), a later node of {@code n}'s graph or one nested in it, and the same from the node
     * that holds {@code n}'s graph (all of a loop body's nodes, which the next trip runs again). Sharing a tensor
     * between two names can only be seen through such a write, so where there is none nothing is refused.
     */
    private boolean writesFrom(Node n) {
        if (writes(n)) {
            return true; // its own branches or body (a branch writing its operand, a loop's next trip)
        }
        Graph g = n.graph();
        List<Node> nodes = g.nodes();
        for (int i = g.indexOf(n) + 1; i < nodes.size(); i++) {
            Node u = nodes.get(i);
            if (writes(u)) {
                return true;
            }
        }
        Node parent = enclosing.get(g);
        if (parent == null) {
            return false;
        }
        return dev.kiln.ir.ControlFlow.isLoop(parent) && hasWrites(g) || writesFrom(parent);
    }

    /**
     * The inputs of {@code v}'s graph whose tensor {@code v} may be at run time: itself if it is one, what an in-place op
     * or a view was applied to, and through run-time branches and loops what they pass through on some path.
     */
    private static java.util.Set<Value> sameTensorAs(Value v) {
        java.util.Set<Value> out = new java.util.LinkedHashSet<>();
        collectSameTensor(v, out, new java.util.HashSet<>());
        return out;
    }

    /**
     * Whether {@code v} is, on every path, the tensor of {@code in} (an input of {@code v}'s graph): {@code in} itself,
     * written in place, passed through every branch, or carried through a loop that never gives it another tensor.
     */
    static boolean alwaysTheTensorOf(Value v, Value in) {
        if (v == in) {
            return true;
        }
        Node p = v.producer().orElse(null);
        if (p == null) {
            return false;
        }
        int i = p.outputs().indexOf(v);
        if (dev.kiln.ir.ControlFlow.isCond(p)) {
            List<Value> operands = dev.kiln.ir.ControlFlow.operands(p);
            for (Graph sub : p.subgraphs()) {
                boolean kept = false;
                for (int k = 0; k < operands.size() && !kept; k++) {
                    kept = alwaysTheTensorOf(sub.outputs().get(i), sub.inputs().get(k)) && alwaysTheTensorOf(operands.get(k), in);
                }
                if (!kept) {
                    return false;
                }
            }
            return true;
        }
        if (dev.kiln.ir.ControlFlow.isLoop(p)) {
            Graph body = dev.kiln.ir.ControlFlow.body(p);
            List<Arg> carried = dev.kiln.ir.ControlFlow.carried(p);
            return i < carried.size() && carried.get(i) instanceof Value initial && alwaysTheTensorOf(initial, in)
                    && alwaysTheTensorOf(body.outputs().get(i + 1), body.inputs().get(i + 1));
        }
        Value same = sameTensor(v);
        return same != v && alwaysTheTensorOf(same, in);
    }

    private static void collectSameTensor(Value v, java.util.Set<Value> out, java.util.Set<Value> seen) {
        if (!seen.add(v)) {
            return;
        }
        if (v.kind() == Value.Kind.INPUT) {
            out.add(v);
            return;
        }
        Node p = v.producer().orElse(null);
        if (p == null) {
            return; // a constant: never a graph input's tensor
        }
        int i = p.outputs().indexOf(v);
        if (dev.kiln.ir.ControlFlow.isCond(p)) {
            List<Value> operands = dev.kiln.ir.ControlFlow.operands(p);
            for (Graph sub : p.subgraphs()) {
                for (Value in : sameTensorAs(sub.outputs().get(i))) {
                    collectSameTensor(operands.get(sub.inputs().indexOf(in)), out, seen);
                }
            }
        } else if (dev.kiln.ir.ControlFlow.isLoop(p)) {
            List<Arg> carried = dev.kiln.ir.ControlFlow.carried(p);
            if (i >= carried.size()) {
                return; // a scan output: the trips' values stacked into a new tensor
            }
            if (carried.get(i) instanceof Value initial) {
                collectSameTensor(initial, out, seen); // no trip
            }
            Graph body = dev.kiln.ir.ControlFlow.body(p);
            for (Value in : sameTensorAs(body.outputs().get(i + 1))) {
                int k = body.inputs().indexOf(in) - 1;
                if (k >= 0 && carried.get(k) instanceof Value c) {
                    collectSameTensor(c, out, seen);
                }
            }
        } else {
            Value root = viewOf(v);
            if (root != v) {
                collectSameTensor(root, out, seen);
            }
        }
    }

    /**
     * Whether {@code v} is read by a node after {@code n} in {@code n}'s graph, or leaves the graph and is read after
     * that: a branch's output when the cond's result is, a loop body's always (the next trip reads it), the model's.
     */
    private boolean readAfter(Value v, Node n) {
        Graph g = n.graph();
        int at = g.indexOf(n);
        for (Node u : v.users()) {
            if (u.graph() == g && g.indexOf(u) > at) {
                return true;
            }
        }
        Node parent = enclosing.get(g);
        for (int j = 0; j < g.outputs().size(); j++) {
            if (g.outputs().get(j) == v) {
                if (parent == null || dev.kiln.ir.ControlFlow.isLoop(parent) || readAfter(parent.output(j), parent)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Follows in-place ops back ({@code relu_(x)} is x): the tensor {@code v} is. */
    static Value sameTensor(Value v) {
        return dev.kiln.ir.Aliases.tensorRoot(v);
    }

    /** Follows in-place ops and views back ({@code x[0]}, {@code x.view(...)}): the tensor whose memory {@code v} uses. */
    static Value viewOf(Value v) {
        return dev.kiln.ir.Aliases.memoryRoot(v);
    }

    /** Whether {@code v} is a view of another tensor ({@code x[0]}), not just that tensor after in-place ops. */
    /** The values of {@code v}'s graph whose memory is {@code v}'s: its root, and the views and in-place results of it. */
    static List<Value> aliasesOf(Value v) {
        Value root = viewOf(v);
        List<Value> out = new ArrayList<>();
        out.add(root);
        for (Node u : v.graph().nodes()) {
            for (Value o : u.outputs()) {
                if (o != root && viewOf(o) == root) {
                    out.add(o);
                }
            }
        }
        return out;
    }

    /** Every view already taken of {@code v} in its graph ({@code x.contiguous()} and {@code x.reshape(...)} may be one). */
    static List<Value> viewsTakenOf(Value v) {
        List<Value> views = new ArrayList<>();
        for (Node u : v.users()) {
            for (Value out : u.outputs()) {
                if (isView(out) && viewOf(out) == viewOf(v)) {
                    views.add(out);
                }
            }
        }
        return views;
    }

    static boolean isView(Value v) {
        return viewOf(v) != sameTensor(v);
    }
}
