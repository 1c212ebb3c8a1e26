package dev.kiln.passes.shapes;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Rules for reductions over dims ({@code sum}, {@code mean}, {@code amax}, {@code amin},
 * {@code max.dim}/{@code min.dim} with indices, {@code argmax}, {@code any}/{@code all},
 * {@code prod}, {@code var}/{@code std}, {@code logsumexp}) with negative dims, keepdim and the
 * dtype argument, and for ops along one dim that keep the shape ({@code softmax},
 * {@code log_softmax}, {@code cumsum}).
 */
final class ReductionRules {
    private ReductionRules() {
    }

    static void register(Map<String, ShapeRule> r) {
        r.put("aten::sum", ctx -> reduce(ctx, null, false, sumType(ctx)));
        r.put("aten::sum.dim_IntList", ctx -> reduce(ctx, "dim", keepdim(ctx), sumType(ctx)));
        r.put("aten::prod", ctx -> reduce(ctx, null, false, sumType(ctx)));
        r.put("aten::prod.dim_int", ctx -> reduce(ctx, "dim", keepdim(ctx), sumType(ctx)));
        r.put("aten::mean", ctx -> reduce(ctx, null, false, meanType(ctx)));
        r.put("aten::mean.dim", ctx -> reduce(ctx, "dim", keepdim(ctx), meanType(ctx)));
        r.put("aten::amax", ctx -> reduce(ctx, "dim", keepdim(ctx), ctx.tensor("self").elementType()));
        r.put("aten::amin", ctx -> reduce(ctx, "dim", keepdim(ctx), ctx.tensor("self").elementType()));
        r.put("aten::logsumexp", ctx -> reduce(ctx, "dim", keepdim(ctx), TypePromotion.toFloating(ctx.tensor("self").elementType())));
        for (String op : List.of("var", "std")) {
            r.put("aten::" + op + ".correction", ctx -> reduce(ctx, "dim", keepdim(ctx), realType(ctx)));
            r.put("aten::" + op + ".dim", ctx -> reduce(ctx, "dim", keepdim(ctx), realType(ctx)));
            r.put("aten::" + op, ctx -> reduce(ctx, null, false, realType(ctx)));
        }
        for (String op : List.of("max", "min")) {
            r.put("aten::" + op, ctx -> reduce(ctx, null, false, ctx.tensor("self").elementType()));
            r.put("aten::" + op + ".dim", ctx -> {
                List<Type> v = reduce(ctx, "dim", keepdim(ctx), ctx.tensor("self").elementType());
                return List.of(v.get(0), v.get(0).asTensor().withDType(DType.INT64));
            });
        }
        for (String op : List.of("argmax", "argmin")) {
            r.put("aten::" + op, ctx -> reduce(ctx, "dim", keepdim(ctx), DType.INT64));
        }
        for (String op : List.of("any", "all")) {
            r.put("aten::" + op, ctx -> reduce(ctx, null, false, anyType(ctx)));
            r.put("aten::" + op + ".dim", ctx -> reduce(ctx, "dim", keepdim(ctx), anyType(ctx)));
            r.put("aten::" + op + ".dims", ctx -> reduce(ctx, "dim", keepdim(ctx), anyType(ctx)));
        }
        r.put("aten::softmax.int", ctx -> alongDim(ctx, ctx.dtypeArg("dtype").orElse(ctx.tensor("self").elementType())));
        r.put("aten::log_softmax.int", ctx -> alongDim(ctx, ctx.dtypeArg("dtype").orElse(ctx.tensor("self").elementType())));
        r.put("aten::_softmax", ctx -> alongDim(ctx, halfToFloat(ctx)));
        r.put("aten::_log_softmax", ctx -> alongDim(ctx, halfToFloat(ctx)));
        r.put("aten::cumsum", ctx -> alongDim(ctx, sumType(ctx)));
        r.put("aten::cumprod", ctx -> alongDim(ctx, sumType(ctx)));
    }

    private static boolean keepdim(InferenceContext ctx) {
        return ctx.bool("keepdim", false);
    }

    /** sum/prod/cumsum: the dtype argument, else i64 for integers and bool, else the input's. */
    private static DType sumType(InferenceContext ctx) {
        DType in = ctx.tensor("self").elementType();
        return ctx.dtypeArg("dtype").orElse(in.isIntegral() || in == DType.BOOL ? DType.INT64 : in);
    }

    private static DType meanType(InferenceContext ctx) {
        DType t = ctx.dtypeArg("dtype").orElse(ctx.tensor("self").elementType());
        if (!t.isFloatingPoint() && !t.isComplex()) {
            throw ctx.error("mean needs a floating-point or complex input (or dtype=) but got " + t);
        }
        return t;
    }

    private static DType realType(InferenceContext ctx) {
        DType t = ctx.tensor("self").elementType();
        return t == DType.COMPLEX64 ? DType.FLOAT32 : t == DType.COMPLEX128 ? DType.FLOAT64 : t;
    }

    private static DType anyType(InferenceContext ctx) {
        return ctx.tensor("self").elementType() == DType.UINT8 ? DType.UINT8 : DType.BOOL;
    }

    private static DType halfToFloat(InferenceContext ctx) {
        DType t = ctx.tensor("self").elementType();
        return ctx.bool("half_to_float") && (t == DType.FLOAT16 || t == DType.BFLOAT16) ? DType.FLOAT32 : t;
    }

    private static List<Type> alongDim(InferenceContext ctx, DType t) {
        TensorType x = ctx.tensor("self");
        ctx.dim("dim", x.rank());
        return List.of(x.withDType(t));
    }

    /**
     * Reduces {@code self} over the dims in argument {@code dimArg} (an int, an int list, or none;
     * none and an empty list mean every dim).
     */
    static List<Type> reduce(InferenceContext ctx, String dimArg, boolean keepdim, DType t) {
        TensorType x = ctx.tensor("self");
        int rank = x.rank();
        TreeSet<Integer> dims = new TreeSet<>();
        if (dimArg != null && !ctx.isNone(dimArg)) {
            Arg a = ctx.arg(dimArg);
            long[] ds = a instanceof Arg.ListArg ? ctx.ints(dimArg) : new long[] {ctx.intArg(dimArg)};
            for (long d : ds) {
                if (!dims.add(ctx.wrapDim(d, rank))) {
                    throw ctx.error("dim " + d + " appears more than once in the reduction dims " + dev.kiln.ir.Args.describe(a));
                }
            }
        }
        boolean all = dims.isEmpty();
        List<SymExpr> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            if (all || dims.contains(i)) {
                if (keepdim) {
                    out.add(ShapeMath.ONE);
                }
            } else {
                out.add(x.shape().dim(i));
            }
        }
        return List.of(InferenceContext.tensorType(t, out));
    }
}
