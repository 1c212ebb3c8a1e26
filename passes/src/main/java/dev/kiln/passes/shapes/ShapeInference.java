package dev.kiln.passes.shapes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Computes every node's output dtype and shape from its inputs, in graph order, with one
 * {@link ShapeRule} per op overload. Symbolic sizes come out as {@link SymExpr}s over the graph's
 * symbols ({@code (s0 - 1) // 2 + 1}); ints computed from sizes ({@code sym_size}, int arithmetic) are
 * tracked as expressions too, so a {@code view(x, [%sym_size, -1])} gets a symbolic shape.
 * An op without a rule keeps its outputs' types and is reported in {@link Result#notes()}, never
 * guessed. Provably incompatible shapes throw a {@link KilnException} naming the node.
 *
 * <pre>{@code ShapeInference.Result r = ShapeInference.standard().infer(graph, true);}</pre>
 */
public final class ShapeInference {
    private static final ShapeInference STANDARD = new ShapeInference(standardRules());

    private final Map<String, ShapeRule> rules;

    private ShapeInference(Map<String, ShapeRule> rules) {
        this.rules = Collections.unmodifiableMap(new TreeMap<>(rules));
    }

    /** The rules for every op of the converter set, and the symbolic int ops. */
    public static ShapeInference standard() {
        return STANDARD;
    }

    private static Map<String, ShapeRule> standardRules() {
        Map<String, ShapeRule> r = new TreeMap<>();
        ElementwiseRules.register(r);
        LinearAlgebraRules.register(r);
        ConvPoolRules.register(r);
        NormRules.register(r);
        ReductionRules.register(r);
        LayoutRules.register(r);
        ConcatSplitRules.register(r);
        IndexRules.register(r);
        CreationRules.register(r);
        SymIntRules.register(r);
        return r;
    }

    /** A copy with {@code rule} for {@code qualifiedOp} ({@code mylib::fused_gelu}), replacing any rule it had. */
    public ShapeInference withRule(String qualifiedOp, ShapeRule rule) {
        Map<String, ShapeRule> r = new TreeMap<>(rules);
        r.put(qualifiedOp, rule);
        return new ShapeInference(r);
    }

    public boolean hasRule(String qualifiedOp) {
        return rules.containsKey(qualifiedOp);
    }

    /** The ops with a rule, in name order. */
    public Set<String> ops() {
        return rules.keySet();
    }

    /**
     * What a run found: whether any type changed, the expression of every int value computed from
     * sizes, the type of each element of every returned tensor list, and notes about nodes left untyped (no rule, or a case the rule cannot decide).
     */
    public record Result(boolean changed, Map<Value, SymExpr> symbolicInts, Map<Value, List<Type>> listElements,
                         List<String> notes) {
        public Result {
            symbolicInts = Collections.unmodifiableMap(new LinkedHashMap<>(symbolicInts));
            listElements = Collections.unmodifiableMap(new LinkedHashMap<>(listElements));
            notes = List.copyOf(notes);
        }
    }

    /**
     * Types every node of {@code graph} in order and sets its outputs' types.
     *
     * @param checkExisting when true, an output that already has a complete type (from the frontend)
     *                      must agree with the computed one: a provable disagreement throws, and sizes
     *                      that only print differently keep the existing form
     */
    public Result infer(Graph graph, boolean checkExisting) {
        Map<Value, SymExpr> ints = new LinkedHashMap<>();
        Map<Value, List<Type>> lists = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        boolean changed = false;
        for (Value in : graph.inputs()) {
            if (in.type() instanceof TensorType t && !t.isComplete()) {
                notes.add("input " + in + " has type " + t.text() + "; give its dtype and shape (an input spec such as"
                        + " --input " + in.name() + "=1x3x224x224) so the shapes that depend on it can be computed");
            }
        }
        for (Node node : List.copyOf(graph.nodes())) {
            if (node.outputs().isEmpty()) {
                continue; // asserts and other effects: nothing to type
            }
            if (dev.kiln.ir.ControlFlow.isCond(node) || dev.kiln.ir.ControlFlow.isLoop(node)) {
                List<Type> types = dev.kiln.ir.ControlFlow.isCond(node) ? inferCond(node, notes) : inferLoop(node, ints, notes);
                changed |= assign(node, types, new InferenceContext(node, ints, lists), ints, lists, checkExisting);
                continue;
            }
            ShapeRule rule = rules.get(node.op());
            if (rule == null && isInPlaceOnSelf(node)) {
                rule = IN_PLACE;
            }
            if (rule == null) {
                notes.add(node.describe() + ": no shape rule for " + node.op() + "; its outputs keep their types ("
                        + describeOutputs(node) + ")");
                continue;
            }
            InferenceContext ctx = new InferenceContext(node, ints, lists);
            List<Type> types;
            try {
                types = rule.infer(ctx);
            } catch (InferenceContext.Unresolved u) {
                if (!u.quiet) {
                    notes.add(node.describe() + ": shape not inferred: " + u.getMessage());
                }
                continue;
            } catch (KilnException e) {
                throw e;
            } catch (RuntimeException e) {
                throw KilnException.at(node, "shape inference failed: " + e);
            }
            changed |= assign(node, types, ctx, ints, lists, checkExisting);
        }
        return new Result(changed, ints, lists, notes);
    }

    /**
     * A {@code kiln::cond}: each branch typed with the operands' types as its inputs; an output both branches give
     * the same type has it, else its dtype (when they agree) with an unknown shape (which the branch taken decides).
     */
    private List<Type> inferCond(Node node, List<String> notes) {
        List<Value> operands = dev.kiln.ir.ControlFlow.operands(node);
        List<List<Type>> branches = new ArrayList<>();
        for (dev.kiln.ir.Graph sub : node.subgraphs()) {
            if (sub.inputs().size() != operands.size() || sub.outputs().size() != node.outputs().size()) {
                throw KilnException.at(node, "branch @" + sub.name() + " takes " + sub.inputs().size() + " inputs and gives "
                        + sub.outputs().size() + " outputs, but the node passes " + operands.size() + " operands and has "
                        + node.outputs().size() + " outputs");
            }
            for (int i = 0; i < operands.size(); i++) {
                sub.inputs().get(i).setType(operands.get(i).type());
            }
            Result r = infer(sub, false);
            r.notes().forEach(note -> notes.add(node.describe() + ": in branch @" + sub.name() + ": " + note));
            branches.add(sub.outputs().stream().map(Value::type).toList());
        }
        List<Type> out = new ArrayList<>();
        for (int i = 0; i < node.outputs().size(); i++) {
            Type a = branches.get(0).get(i);
            Type b = branches.get(branches.size() - 1).get(i);
            out.add(a.equals(b) || a instanceof TensorType && b instanceof TensorType ? join(a, b) : node.output(i).type());
        }
        return out;
    }

    /**
     * A {@code kiln::loop}: the body typed with the carried values' types, again with the join of what goes in and
     * what comes out until they agree (a carried tensor whose shape changes from trip to trip ends with an unknown
     * shape); the node's outputs have the carried values' types, then each scan output the type of what the body gives
     * for it with the trip count in front: {@code max_trips} where the loop runs every trip ({@link #tripsOf}), else
     * not known (the scan's rank and dtype unknown too: a shape has no size without an expression).
     */
    private List<Type> inferLoop(Node node, Map<Value, SymExpr> ints, List<String> notes) {
        dev.kiln.ir.Graph body = dev.kiln.ir.ControlFlow.body(node);
        List<dev.kiln.ir.Arg> carried = dev.kiln.ir.ControlFlow.carried(node);
        int scans = dev.kiln.ir.ControlFlow.scans(node);
        if (body.inputs().size() != carried.size() + 1 || scans < 0 || body.outputs().size() != carried.size() + 1 + scans) {
            throw KilnException.at(node, "the loop carries " + carried.size() + " values but its body takes "
                    + body.inputs().size() + " inputs (the trip number first) and gives " + body.outputs().size()
                    + " outputs (the condition first, then the carried values, then one per scan output), and the node has "
                    + node.outputs().size() + " outputs");
        }
        List<Type> in = new ArrayList<>();
        for (dev.kiln.ir.Arg a : carried) {
            in.add(a instanceof Value v ? v.type() : a instanceof dev.kiln.ir.Arg.IntLit ? PrimitiveType.INT
                    : a instanceof dev.kiln.ir.Arg.FloatLit ? PrimitiveType.FLOAT : PrimitiveType.BOOL);
        }
        body.inputs().get(0).setType(PrimitiveType.INT);
        for (int round = 0; ; round++) {
            for (int j = 0; j < in.size(); j++) {
                body.inputs().get(j + 1).setType(in.get(j));
            }
            Result r = infer(body, false);
            List<Type> joined = new ArrayList<>();
            for (int j = 0; j < in.size(); j++) {
                joined.add(join(in.get(j), body.outputs().get(j + 1).type()));
            }
            if (joined.equals(in) || round == 3) {
                r.notes().forEach(note -> notes.add(node.describe() + ": in its body: " + note));
                SymExpr trips = tripsOf(node, ints);
                for (int k = 0; k < scans; k++) {
                    Type element = body.outputs().get(1 + in.size() + k).type();
                    if (trips != null && element instanceof TensorType t && t.shape().isRanked()) {
                        List<SymExpr> dims = new ArrayList<>();
                        dims.add(trips);
                        dims.addAll(t.shape().dims());
                        joined.add(new TensorType(t.dtype(), dev.kiln.ir.Shape.of(dims)));
                    } else {
                        joined.add(new TensorType(element instanceof TensorType t ? t.dtype() : java.util.Optional.empty(),
                                dev.kiln.ir.Shape.unranked()));
                    }
                }
                return joined;
            }
            in = joined;
        }
    }

    /**
     * The number of trips of a loop that runs until its trip count ({@code for i in range(n)}, {@link
     * dev.kiln.ir.ControlFlow#runsEveryTrip}): {@code max_trips} as an expression; else null.
     */
    private static SymExpr tripsOf(Node loop, Map<Value, SymExpr> ints) {
        if (!dev.kiln.ir.ControlFlow.runsEveryTrip(loop)) {
            return null;
        }
        dev.kiln.ir.Arg max = loop.arg(0);
        if (max instanceof dev.kiln.ir.Arg.IntLit lit) {
            return SymExpr.of(Math.max(0, lit.value()));
        }
        SymExpr n = max instanceof Value v ? ints.get(v) : null;
        if (n == null || n instanceof SymExpr.Sym sym && sym.symbol().min() >= 0) {
            return n; // a size (x.size(0)): never negative
        }
        return SymExpr.max(SymExpr.of(0), n); // range(x.size(0) - 2) runs no trips, not -1, for a size of 1
    }

    /** The type of a value that is {@code a} on one path and {@code b} on another. */
    private static Type join(Type a, Type b) {
        if (a.equals(b)) {
            return a;
        }
        if (a instanceof TensorType ta && b instanceof TensorType tb) {
            return new TensorType(ta.dtype().equals(tb.dtype()) ? ta.dtype() : java.util.Optional.empty(), dev.kiln.ir.Shape.unranked());
        }
        return a;
    }

    /** An in-place op ({@code relu_}, {@code add_.Tensor}) returns its first argument, written. */
    private static final ShapeRule IN_PLACE = ctx -> List.of(ctx.tensorOf(ctx.node().arg(0), "self"));

    private static boolean isInPlaceOnSelf(Node node) {
        List<dev.kiln.ir.schema.SchemaArgument> args = node.schema().arguments();
        List<dev.kiln.ir.schema.SchemaArgument> rets = node.schema().returns();
        return !args.isEmpty() && args.get(0).isMutated() && rets.size() == 1 && node.outputs().size() == 1
                && args.get(0).type().isTensor() && rets.get(0).alias().equals(args.get(0).alias());
    }

    private static String describeOutputs(Node node) {
        List<String> s = new ArrayList<>();
        for (Value v : node.outputs()) {
            s.add(v + ": " + v.type().text());
        }
        return String.join(", ", s);
    }

    private static boolean assign(Node node, List<Type> types, InferenceContext ctx, Map<Value, SymExpr> ints,
                                  Map<Value, List<Type>> lists, boolean checkExisting) {
        List<Value> outs = node.outputs();
        if (outs.size() == 1 && outs.get(0).type() instanceof ListType && !(types.size() == 1 && types.get(0) instanceof ListType)) {
            // a returned tensor list: remember each element's type for the ListUnpack that follows
            lists.put(outs.get(0), List.copyOf(types));
            return setType(node, outs.get(0), listOf(types), checkExisting);
        }
        if (types.size() != outs.size()) {
            throw KilnException.at(node, "the op computes " + types.size() + " outputs but the node has "
                    + outs.size() + "; the graph is inconsistent");
        }
        boolean changed = false;
        for (int i = 0; i < outs.size(); i++) {
            changed |= setType(node, outs.get(i), types.get(i), checkExisting);
            SymExpr e = ctx.definedInt(i);
            if (e != null) {
                ints.put(outs.get(i), e);
            }
        }
        return changed;
    }

    /** A list output: its element type when all pieces agree, else a tensor of their dtype with unknown shape. */
    private static Type listOf(List<Type> types) {
        if (types.isEmpty()) {
            return new ListType(TensorType.unknown());
        }
        Type first = types.get(0);
        for (Type t : types) {
            if (!t.equals(first)) {
                return new ListType(new TensorType(first.asTensor().dtype(), dev.kiln.ir.Shape.unranked()));
            }
        }
        return new ListType(first);
    }

    private static boolean setType(Node node, Value out, Type computed, boolean checkExisting) {
        Type old = out.type();
        if (old.equals(computed)) {
            return false;
        }
        if (old instanceof TensorType o && o.isComplete() && computed instanceof TensorType c && !c.isComplete()) {
            return false; // never replace a known type by a less known one
        }
        if (checkExisting && old instanceof TensorType o && o.isComplete() && computed instanceof TensorType c) {
            if (agrees(o, c)) {
                return false; // equal up to how the sizes are written: keep the frontend's form
            }
            throw KilnException.at(node, "output " + out + " is recorded as " + o.text() + " but its inputs give "
                    + c.text() + "; the graph is inconsistent (or this op's shape rule is wrong: please report it)");
        }
        if (old instanceof TensorType o && o.isComplete() && !(computed instanceof TensorType)) {
            return false;
        }
        if (old != PrimitiveType.INT && computed == PrimitiveType.INT && !(old instanceof TensorType)) {
            // keep a frontend's more specific scalar type (a number known to be an int is still an int)
            if (old == PrimitiveType.NUMBER) {
                out.setType(computed);
                return true;
            }
            return false;
        }
        out.setType(computed);
        return true;
    }

    /** Same dtype and rank, and every size equal or equal at several bindings of its symbols. */
    static boolean agrees(TensorType a, TensorType b) {
        if (!a.dtype().equals(b.dtype()) || a.rank() != b.rank()) {
            return false;
        }
        for (int i = 0; i < a.rank(); i++) {
            if (!ShapeMath.agreeAtProbes(a.shape().dim(i), b.shape().dim(i))) {
                return false;
            }
        }
        return true;
    }
}
