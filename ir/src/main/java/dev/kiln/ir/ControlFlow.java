package dev.kiln.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * Control flow decided at run time, as IR: {@code kiln::cond(pred, [operands...])} holds two nested graphs, the
 * branch taken when {@code pred} is true and the one taken when it is false. Both take the operands as their
 * inputs, in order, and return as many values as the node has outputs. {@code pred} is a bool (TorchScript's
 * {@code if}) or a one-element tensor ({@code torch.cond}). Nested graphs are closed: what a branch reads from the
 * enclosing graph arrives as an operand, so each branch can be typed, printed and run on its own. Passes treat the
 * node as one opaque op; it always runs in libtorch.
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

    private ControlFlow() {
    }

    public static boolean isCond(Node n) {
        return n.op().equals(COND);
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
