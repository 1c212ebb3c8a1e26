package dev.kiln.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * Control flow decided at run time, as IR.
 *
 * <p>{@code kiln::cond(pred, [operands...])} holds two nested graphs, the
 * branch taken when {@code pred} is true and the one taken when it is false. Both take the operands as their
 * inputs, in order, and return as many values as the node has outputs. {@code pred} is a bool (TorchScript's
 * {@code if}) or a one-element tensor ({@code torch.cond}). Nested graphs are closed: what a branch reads from the
 * enclosing graph arrives as an operand, so each branch can be typed, printed and run on its own. Passes treat the
 * node as one opaque op; it always runs in libtorch.
 *
 * <p>{@code kiln::loop(max_trips, cond, [carried...])} holds one nested graph, the body, with TorchScript's
 * {@code prim::Loop} semantics: while the trip number {@code i} is below {@code max_trips} and {@code cond} holds, the
 * body runs on {@code (i, carried...)} and gives {@code (cond, carried...)} for the next trip; the node's outputs are
 * the carried values after the last trip (the initial ones when there is none). {@code max_trips} is an int (a
 * {@code while} loop has a huge one), {@code cond} a bool or one-element tensor; a carried value may be a literal.
 * Values the body only reads are carried through unchanged, so the body graph is closed too.
 *
 * <p>A loop may also have <em>scan outputs</em>, as ONNX's {@code Loop} has: the body gives, after
 * {@code (cond, carried...)}, one more tensor per scan each trip, and the node's outputs after the carried ones are
 * those tensors stacked along a new leading dimension, one row per trip ({@code [trips, ...]}). That is a Python list
 * built by one {@code append} per trip ({@code outs.append(h)} in an RNN's loop), whose length is known only at run
 * time. A loop that runs no trips gives an empty scan ({@code [0, ...]}) when the element's shape is known statically.
 *
 * <pre>{@code
 * %y : tensor<f32, [4]> = kiln::cond(%p, [%x, %w]) {
 *   graph @then(%a: tensor<f32, [4]>, %b: tensor<f32, [4]>) { ... return %r }
 *   graph @else(%a: tensor<f32, [4]>, %b: tensor<f32, [4]>) { ... return %s }
 * }}</pre>
 */
public final class ControlFlow {
    /** The op of a run-time branch. */
    public static final String COND = "kiln::cond";
    /** The op of a run-time loop. */
    public static final String LOOP = "kiln::loop";

    private ControlFlow() {
    }

    public static boolean isCond(Node n) {
        return n.op().equals(COND);
    }

    public static boolean isLoop(Node n) {
        return n.op().equals(LOOP);
    }

    /** A loop's initial carried values: values or literals. */
    public static List<Arg> carried(Node loop) {
        return loop.arg(2) instanceof Arg.ListArg l ? l.elements() : List.of();
    }

    /** The number of a loop's scan outputs: its outputs after the carried ones. */
    public static int scans(Node loop) {
        return loop.outputs().size() - carried(loop).size();
    }

    /**
     * Whether a loop runs until its trip count whatever its values ({@code for i in range(n)}): its condition starts as
     * a literal or constant true and the body gives back, as the condition, a carried constant true that it passes
     * through unchanged. Then nothing need read the condition at run time (on a GPU, reading it waits for the device).
     */
    public static boolean runsEveryTrip(Node loop) {
        if (!isTrue(loop.arg(1))) {
            return false;
        }
        Graph body = body(loop);
        Value cond = body.outputs().get(0);
        int j = body.inputs().indexOf(cond) - 1;
        List<Arg> carried = carried(loop);
        return j >= 0 && j < carried.size() && isTrue(carried.get(j)) && body.outputs().get(j + 1) == cond;
    }

    /** A literal true, or a constant true (a bool, or a one-element tensor holding non-zero). */
    private static boolean isTrue(Arg a) {
        if (a instanceof Arg.BoolLit b) {
            return b.value();
        }
        if (a instanceof Value v && v.constant().isPresent()) {
            ConstantTensor c = v.constant().get();
            return c.numel() == 1 && c.getDouble(0) != 0;
        }
        return false;
    }

    /** A loop's body. */
    public static Graph body(Node loop) {
        return loop.subgraphs().get(0);
    }

    /** A cond node's operands, the inputs of both branches. */
    public static List<Value> operands(Node cond) {
        List<Value> out = new ArrayList<>();
        if (cond.arg(1) instanceof Arg.ListArg l) {
            for (Arg a : l.elements()) {
                out.add((Value) a);
            }
        }
        return out;
    }

    /** The branch a cond takes for {@code pred}. */
    public static Graph branch(Node cond, boolean pred) {
        return cond.subgraphs().get(pred ? 0 : 1);
    }
}
