package dev.kiln.passes.shapes;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;

import java.util.List;
import java.util.Map;

/**
 * Rules for ops that create tensors: {@code arange} (its length from start/end/step, symbolic when
 * the bounds are sizes), {@code full}/{@code zeros}/{@code ones}/{@code empty} and their
 * {@code _like} and {@code new_} forms, and {@code scalar_tensor}. Without a dtype argument,
 * {@code full} takes its dtype from the fill value and the others default to f32.
 */
final class CreationRules {
    private CreationRules() {
    }

    static void register(Map<String, ShapeRule> r) {
        r.put("aten::arange", ctx -> arange(ctx, null, "end", null));
        r.put("aten::arange.start", ctx -> arange(ctx, "start", "end", null));
        r.put("aten::arange.start_step", ctx -> arange(ctx, "start", "end", "step"));
        r.put("aten::full", ctx -> List.of(InferenceContext.tensorType(
                ctx.dtypeArg("dtype").orElse(numberType(ctx, "fill_value")), ctx.symInts("size"))));
        for (String op : List.of("aten::zeros", "aten::ones", "aten::empty.memory_format", "aten::rand",
                "aten::randn", "aten::empty_strided")) {
            r.put(op, ctx -> List.of(InferenceContext.tensorType(
                    ctx.dtypeArg("dtype").orElse(TypePromotion.DEFAULT_FLOAT), ctx.symInts("size"))));
        }
        for (String op : List.of("aten::zeros_like", "aten::ones_like", "aten::empty_like", "aten::full_like",
                "aten::rand_like", "aten::randn_like")) {
            r.put(op, ctx -> {
                TensorType x = ctx.tensor("self");
                return List.of(x.withDType(ctx.dtypeArg("dtype").orElse(x.elementType())));
            });
        }
        for (String op : List.of("aten::new_zeros", "aten::new_ones", "aten::new_empty", "aten::new_full")) {
            r.put(op, ctx -> List.of(InferenceContext.tensorType(
                    ctx.dtypeArg("dtype").orElse(ctx.tensor("self").elementType()), ctx.symInts("size"))));
        }
        r.put("aten::scalar_tensor", ctx -> List.of(InferenceContext.tensorType(
                ctx.dtypeArg("dtype").orElse(TypePromotion.DEFAULT_FLOAT), List.of())));
    }

    /** The dtype {@code torch.full} infers from a fill value: bool, i64 or the default float. */
    private static DType numberType(InferenceContext ctx, String name) {
        Arg a = ctx.arg(name);
        if (a instanceof Arg.BoolLit || (a instanceof Value v && v.type() == PrimitiveType.BOOL)) {
            return DType.BOOL;
        }
        if (a instanceof Arg.IntLit || (a instanceof Value v && v.type() == PrimitiveType.INT)) {
            return DType.INT64;
        }
        if (a instanceof Arg.FloatLit || (a instanceof Value v && v.type() == PrimitiveType.FLOAT)) {
            return TypePromotion.DEFAULT_FLOAT;
        }
        throw ctx.unresolved("the kind of the fill value " + dev.kiln.ir.Args.describe(a) + " is not known");
    }

    private static boolean isFloat(InferenceContext ctx, String name) {
        return name != null && numberType(ctx, name) == TypePromotion.DEFAULT_FLOAT;
    }

    private static List<Type> arange(InferenceContext ctx, String startArg, String endArg, String stepArg) {
        boolean anyFloat = isFloat(ctx, startArg) || isFloat(ctx, endArg) || isFloat(ctx, stepArg);
        DType t = ctx.dtypeArg("dtype").orElse(anyFloat ? TypePromotion.DEFAULT_FLOAT : DType.INT64);
        SymExpr len;
        if (anyFloat) {
            double start = startArg == null ? 0 : ctx.number(startArg);
            double end = ctx.number(endArg);
            double step = stepArg == null ? 1 : ctx.number(stepArg);
            len = SymExpr.of(checkedLength(ctx, Math.ceil((end - start) / step), step));
        } else {
            SymExpr start = startArg == null ? ShapeMath.ZERO : ctx.symInt(startArg);
            SymExpr end = ctx.symInt(endArg);
            long step = stepArg == null ? 1 : ctx.intArg(stepArg);
            if (step == 0) {
                throw ctx.error("arange step must be nonzero");
            }
            SymExpr span = SymExpr.sub(end, start);
            if (span instanceof SymExpr.Const c) {
                len = SymExpr.of(checkedLength(ctx, Math.ceil((double) c.value() / step), step));
            } else if (step > 0) {
                len = ShapeMath.ceilDiv(span, SymExpr.of(step));
            } else {
                len = ShapeMath.ceilDiv(SymExpr.mul(SymExpr.of(-1), span), SymExpr.of(-step));
            }
        }
        return List.of(InferenceContext.tensorType(t, List.of(len)));
    }

    private static long checkedLength(InferenceContext ctx, double len, double step) {
        if (step == 0 || Double.isNaN(len)) {
            throw ctx.error("arange step must be nonzero and the bounds finite");
        }
        if (len < 0) {
            throw ctx.error("arange: the upper bound and lower bound are inconsistent with the step sign");
        }
        return (long) len;
    }
}
