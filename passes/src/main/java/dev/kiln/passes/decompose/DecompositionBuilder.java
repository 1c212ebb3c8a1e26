package dev.kiln.passes.decompose;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.passes.Ops;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Inserts the nodes of a decomposition right before the node being replaced (they inherit its
 * source location), filling default arguments; results get the replaced output's type unless told
 * otherwise, which is right for the elementwise ops decompositions mostly use.
 *
 * <pre>{@code Value y = b.call("aten::mul.Tensor", x, b.scalar(0.5));}</pre>
 */
public final class DecompositionBuilder {
    private final Node anchor;

    DecompositionBuilder(Node anchor) {
        this.anchor = anchor;
    }

    /** The node being decomposed. */
    public Node node() {
        return anchor;
    }

    /** The node's tensor argument {@code i}. */
    public Value input(int i) {
        if (anchor.arg(i) instanceof Value v) {
            return v;
        }
        throw KilnException.at(anchor, "argument " + i + " is not a tensor value");
    }

    /** The type of the node's (first) output. */
    public Type outputType() {
        return anchor.output(0).type();
    }

    /** {@code op(args...)}, all other arguments defaulted, with the node's output type. */
    public Value call(String op, Arg... args) {
        return call(op, Arrays.asList(args), Map.of(), outputType());
    }

    /** {@code op(args..., kw...)} with an explicit result type. */
    public Value call(String op, List<? extends Arg> args, Map<String, ? extends Arg> kw, Type type) {
        return Ops.insertBefore(anchor, op, args, kw, type).output();
    }

    /** The output type with another dtype (a comparison's bool result). */
    public Type outputTypeWith(DType dtype) {
        return outputType() instanceof TensorType t ? t.withDType(dtype) : TensorType.unknown();
    }

    /**
     * A 0-d floating constant; its dtype is f64 only for f64 results (0-d tensors do not promote
     * dimensioned ones, so f32 serves f16 and bf16 too).
     */
    public Value scalar(double value) {
        DType t = outputType() instanceof TensorType tt && tt.dtype().orElse(DType.FLOAT32) == DType.FLOAT64
                ? DType.FLOAT64 : DType.FLOAT32;
        return Ops.scalarConstant(anchor.graph(), "c", t, value);
    }
}
