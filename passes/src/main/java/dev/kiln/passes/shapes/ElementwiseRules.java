package dev.kiln.passes.shapes;

import dev.kiln.ir.DType;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rules for elementwise ops: unary activations and math (same dtype, or the default float for
 * integer inputs of ops such as {@code sqrt}), broadcasting binary arithmetic with PyTorch's type
 * promotion (tensor and Python-number operands, true and rounding division), comparisons and logical
 * ops (bool results), {@code where}, {@code clamp}, and identities such as {@code clone}.
 */
final class ElementwiseRules {
    private ElementwiseRules() {
    }

    /** Ops whose output has the input's type exactly. */
    private static final String[] SAME = {
        "aten::relu", "aten::relu6", "aten::neg", "aten::abs", "aten::gelu", "aten::silu", "aten::hardswish",
        "aten::hardsigmoid", "aten::leaky_relu", "aten::elu", "aten::selu", "aten::celu", "aten::mish",
        "aten::softplus", "aten::hardtanh", "aten::prelu", "aten::sign", "aten::floor", "aten::ceil",
        "aten::round", "aten::round.decimals", "aten::trunc", "aten::frac", "aten::bitwise_not", "aten::positive",
        "aten::clone", "aten::contiguous", "aten::detach", "aten::alias", "aten::lift_fresh_copy",
        "aten::lift_fresh", "aten::dropout", "aten::feature_dropout", "aten::alpha_dropout", "aten::fill.Scalar",
        "aten::zero", "aten::flip", "aten::roll", "aten::square", "aten::log_sigmoid",
        "aten::_conj", "aten::resolve_conj", "aten::resolve_neg", "aten::detach_copy", "aten::alias_copy",
        "aten::tril", "aten::triu", "aten::nan_to_num", "aten::copy", "aten::index_put", "aten::scatter.src",
        "aten::scatter.value", "aten::scatter_add", "aten::masked_scatter", "aten::index_copy", "aten::rrelu", "aten::feature_alpha_dropout",
    };

    /** Ops that compute in floating point: integer and bool inputs give the default float. */
    private static final String[] TO_FLOAT = {
        "aten::sqrt", "aten::rsqrt", "aten::exp", "aten::exp2", "aten::expm1", "aten::log", "aten::log2",
        "aten::log10", "aten::log1p", "aten::sigmoid", "aten::tanh", "aten::sin", "aten::cos", "aten::tan",
        "aten::asin", "aten::acos", "aten::atan", "aten::sinh", "aten::cosh", "aten::asinh", "aten::acosh",
        "aten::atanh", "aten::erf", "aten::erfc", "aten::erfinv", "aten::reciprocal", "aten::logit",
    };

    static void register(Map<String, ShapeRule> r) {
        for (String op : SAME) {
            r.put(op, ctx -> List.of(ctx.tensor(first(ctx))));
        }
        // glu halves its dim (a * sigmoid(b) of the two halves)
        r.put("aten::glu", ctx -> {
            dev.kiln.ir.TensorType x = ctx.tensor("self");
            int d = ctx.dim("dim", x.rank());
            List<dev.kiln.ir.SymExpr> dims = new java.util.ArrayList<>(x.shape().dims());
            dims.set(d, dev.kiln.ir.SymExpr.floorDiv(dims.get(d), dev.kiln.ir.SymExpr.of(2)));
            return List.of(x.withShape(dev.kiln.ir.Shape.of(dims)));
        });
        for (String op : TO_FLOAT) {
            r.put(op, ctx -> {
                TensorType t = ctx.tensor("self");
                return List.of(t.withDType(TypePromotion.toFloating(t.elementType())));
            });
        }
        r.put("aten::native_dropout", ctx -> {
            TensorType t = ctx.tensor("input");
            return List.of(t, t.withDType(DType.BOOL));
        });
        r.put("aten::logical_not", ctx -> List.of(ctx.tensor("self").withDType(DType.BOOL)));
        r.put("aten::isnan", ctx -> List.of(ctx.tensor("self").withDType(DType.BOOL)));
        r.put("aten::isinf", ctx -> List.of(ctx.tensor("self").withDType(DType.BOOL)));

        // binary arithmetic, tensor and scalar forms
        for (String op : List.of("add.Tensor", "add.Scalar", "sub.Tensor", "sub.Scalar", "mul.Tensor", "mul.Scalar",
                "rsub.Tensor", "rsub.Scalar", "maximum", "minimum", "fmax", "fmin", "fmod.Tensor", "fmod.Scalar",
                "remainder.Tensor", "remainder.Scalar", "floor_divide", "floor_divide.Scalar", "bitwise_and.Tensor",
                "bitwise_and.Scalar", "bitwise_or.Tensor", "bitwise_or.Scalar", "bitwise_xor.Tensor", "bitwise_xor.Scalar")) {
            r.put("aten::" + op, ctx -> binary(ctx, "self", "other", false));
        }
        for (String op : List.of("__and__.Tensor", "__or__.Tensor", "__xor__.Tensor")) {
            r.put("aten::" + op, ctx -> binary(ctx, "self", "other", false));
        }
        r.put("aten::max.other", ctx -> binary(ctx, "self", "other", false));
        r.put("aten::min.other", ctx -> binary(ctx, "self", "other", false));
        r.put("aten::atan2", ctx -> binary(ctx, "self", "other", true));
        r.put("aten::xlogy.Tensor", ctx -> binary(ctx, "self", "other", true));
        for (String ov : List.of(".Tensor", ".Scalar")) {
            r.put("aten::div" + ov, ctx -> binary(ctx, "self", "other", true));
            r.put("aten::true_divide" + ov, ctx -> binary(ctx, "self", "other", true));
            r.put("aten::div" + ov + "_mode", ctx -> binary(ctx, "self", "other", ctx.string("rounding_mode").isEmpty()));
        }
        r.put("aten::pow.Tensor_Tensor", ctx -> binary(ctx, "self", "exponent", false));
        r.put("aten::pow.Tensor_Scalar", ctx -> binary(ctx, "self", "exponent", false));
        r.put("aten::pow.Scalar", ctx -> binary(ctx, "self", "exponent", false));
        r.put("aten::float_power.Tensor_Tensor", ctx -> withDType(binary(ctx, "self", "exponent", false), DType.FLOAT64));
        r.put("aten::float_power.Tensor_Scalar", ctx -> withDType(binary(ctx, "self", "exponent", false), DType.FLOAT64));

        // comparisons and logical ops: broadcast, bool result (the operands must still promote)
        for (String op : List.of("eq", "ne", "lt", "le", "gt", "ge")) {
            for (String ov : List.of(".Tensor", ".Scalar")) {
                r.put("aten::" + op + ov, ctx -> withDType(binary(ctx, "self", "other", false), DType.BOOL));
            }
        }
        for (String op : List.of("logical_and", "logical_or", "logical_xor")) {
            r.put("aten::" + op, ctx -> List.of(InferenceContext.tensorType(DType.BOOL, broadcast(ctx, "self", "other"))));
        }

        // where(condition, self, other) in its four forms
        for (String ov : List.of(".self", ".ScalarSelf", ".ScalarOther", ".Scalar")) {
            r.put("aten::where" + ov, ctx -> {
                TensorType cond = ctx.tensor("condition");
                List<SymExpr> dims = ctx.broadcast(List.of(cond.shape().dims(), ctx.dimsOrScalar("self"), ctx.dimsOrScalar("other")));
                return List.of(InferenceContext.tensorType(ctx.promote("self", "other"), dims));
            });
        }
        r.put("aten::masked_fill.Scalar", ElementwiseRules::maskedFill);
        r.put("aten::masked_fill.Tensor", ElementwiseRules::maskedFill);

        // clamp: shape of self (Scalar bounds) or broadcast (Tensor bounds); numbers take part in promotion
        r.put("aten::clamp", ctx -> clamp(ctx, "min", "max"));
        r.put("aten::clamp.Tensor", ctx -> clamp(ctx, "min", "max"));
        r.put("aten::clip", ctx -> clamp(ctx, "min", "max"));
        r.put("aten::clip.Tensor", ctx -> clamp(ctx, "min", "max"));
        r.put("aten::clamp_min", ctx -> clamp(ctx, "min"));
        r.put("aten::clamp_max", ctx -> clamp(ctx, "max"));
        r.put("aten::clamp_min.Tensor", ctx -> clamp(ctx, "min"));
        r.put("aten::clamp_max.Tensor", ctx -> clamp(ctx, "max"));
        r.put("aten::addcmul", ctx -> ternary(ctx, "self", "tensor1", "tensor2", false));
        r.put("aten::addcdiv", ctx -> ternary(ctx, "self", "tensor1", "tensor2", true));
        r.put("aten::lerp.Scalar", ctx -> ternary(ctx, "self", "end", "weight", false));
        r.put("aten::lerp.Tensor", ctx -> ternary(ctx, "self", "end", "weight", false));
    }

    /** The first argument's name: {@code self} for most ops, {@code input} for dropout. */
    private static String first(InferenceContext ctx) {
        return ctx.node().schema().arguments().get(0).name();
    }

    static List<SymExpr> broadcast(InferenceContext ctx, String... names) {
        List<List<SymExpr>> shapes = new ArrayList<>();
        for (String n : names) {
            shapes.add(ctx.dimsOrScalar(n));
        }
        return ctx.broadcast(shapes);
    }

    /** A broadcasting binary op; {@code toFloat} for true division and other int-to-float ops. */
    static List<Type> binary(InferenceContext ctx, String a, String b, boolean toFloat) {
        if (!(ctx.arg(a) instanceof dev.kiln.ir.Value) && !(ctx.arg(b) instanceof dev.kiln.ir.Value)) {
            throw ctx.error("neither operand is a tensor");
        }
        List<SymExpr> dims = broadcast(ctx, a, b);
        DType t = ctx.promote(a, b);
        if (toFloat) {
            t = TypePromotion.toFloating(t);
        }
        return List.of(InferenceContext.tensorType(t, dims));
    }

    private static List<Type> ternary(InferenceContext ctx, String a, String b, String c, boolean toFloat) {
        List<SymExpr> dims = broadcast(ctx, a, b, c);
        DType t = ctx.promote(a, b, c);
        if (toFloat && !t.isFloatingPoint() && !t.isComplex()) {
            throw ctx.error("integer division in addcdiv is not supported by PyTorch");
        }
        return List.of(InferenceContext.tensorType(t, dims));
    }

    static List<Type> withDType(List<Type> types, DType t) {
        return List.of(types.get(0).asTensor().withDType(t));
    }

    private static List<Type> maskedFill(InferenceContext ctx) {
        TensorType self = ctx.tensor("self");
        TensorType mask = ctx.tensor("mask");
        return List.of(InferenceContext.tensorType(self.elementType(),
                ctx.broadcast(List.of(self.shape().dims(), mask.shape().dims()))));
    }

    private static List<Type> clamp(InferenceContext ctx, String... bounds) {
        TensorType self = ctx.tensor("self");
        List<List<SymExpr>> shapes = new ArrayList<>();
        shapes.add(self.shape().dims());
        List<String> names = new ArrayList<>();
        names.add("self");
        for (String b : bounds) {
            if (!ctx.isNone(b)) {
                shapes.add(ctx.dimsOrScalar(b));
                names.add(b);
            }
        }
        DType t = self.elementType();
        if (!t.isFloatingPoint()) {
            t = ctx.promote(names.toArray(new String[0]));
        }
        return List.of(InferenceContext.tensorType(t, ctx.broadcast(shapes)));
    }
}
