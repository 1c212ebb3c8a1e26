package dev.kiln.passes.shapes;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rules for normalizations: batch norm in all its ATen forms (the {@code native}/{@code _legit}
 * variants return the output and two statistics), layer norm, group norm and instance norm.
 * Statistics follow the CPU kernels that {@code torch.export} traces on: in eval mode batch-norm
 * statistics are empty ({@code [0]}); statistics keep the input's dtype.
 */
final class NormRules {
    private NormRules() {
    }

    static void register(Map<String, ShapeRule> r) {
        r.put("aten::batch_norm", ctx -> List.of(channelInput(ctx)));
        // cosine_similarity(a, b, dim): the broadcast shape without dim, in the promoted floating dtype
        r.put("aten::cosine_similarity", ctx -> {
            List<SymExpr> dims = new ArrayList<>(ElementwiseRules.broadcast(ctx, "x1", "x2"));
            int d = ctx.wrapDim(ctx.intArg("dim"), dims.size());
            if (!dims.isEmpty()) {
                dims.remove(d);
            }
            return List.of(InferenceContext.tensorType(TypePromotion.toFloating(ctx.promote("x1", "x2")), dims));
        });
        r.put("aten::instance_norm", ctx -> List.of(channelInput(ctx)));
        r.put("aten::_native_batch_norm_legit_no_training", ctx -> batchNormWithStats(ctx, false));
        r.put("aten::_native_batch_norm_legit", ctx -> batchNormWithStats(ctx, ctx.bool("training")));
        r.put("aten::_native_batch_norm_legit.no_stats", ctx -> batchNormWithStats(ctx, ctx.bool("training")));
        r.put("aten::native_batch_norm", ctx -> batchNormWithStats(ctx, ctx.bool("training")));
        r.put("aten::_native_batch_norm_legit_functional", ctx -> {
            List<Type> t = new ArrayList<>(batchNormWithStats(ctx, ctx.bool("training")));
            t.add(ctx.tensor("running_mean"));
            t.add(ctx.tensor("running_var"));
            return t;
        });
        r.put("aten::layer_norm", ctx -> {
            layerNormAxis(ctx);
            return List.of(ctx.tensor("input"));
        });
        r.put("aten::native_layer_norm", ctx -> {
            TensorType x = ctx.tensor("input");
            int axis = layerNormAxis(ctx);
            List<SymExpr> stats = new ArrayList<>(x.shape().dims().subList(0, axis));
            for (int i = axis; i < x.rank(); i++) {
                stats.add(ShapeMath.ONE);
            }
            TensorType s = InferenceContext.tensorType(x.elementType(), stats);
            return List.of(x, s, s);
        });
        r.put("aten::group_norm", ctx -> {
            TensorType x = channelInput(ctx);
            long groups = ctx.intArg("num_groups");
            SymExpr c = x.shape().dim(1);
            if (c instanceof SymExpr.Const v && (groups <= 0 || v.value() % groups != 0)) {
                throw ctx.error("group_norm: " + v.value() + " channels do not divide into " + groups + " groups");
            }
            return List.of(x);
        });
        r.put("aten::native_group_norm", ctx -> {
            TensorType x = ctx.tensor("input");
            TensorType s = InferenceContext.tensorType(x.elementType(), List.of(ctx.symInt("N"), SymExpr.of(ctx.intArg("group"))));
            return List.of(x, s, s);
        });
    }

    /** An input of rank >= 2 whose dim 1 is the channels; checks per-channel parameters against it. */
    private static TensorType channelInput(InferenceContext ctx) {
        TensorType x = ctx.tensor("input");
        if (x.rank() < 2) {
            throw ctx.error("expected an input with a channel dimension (rank >= 2) but got " + x.text());
        }
        SymExpr c = x.shape().dim(1);
        for (String p : List.of("weight", "bias", "running_mean", "running_var")) {
            if (ctx.has(p) && !ctx.isNone(p)) {
                TensorType t = ctx.tensor(p);
                if (t.rank() != 1) {
                    throw ctx.error("'" + p + "' must be 1-D but is " + t.text());
                }
                if (!ctx.node().op().startsWith("aten::group_norm")) {
                    ctx.requireEqual(t.shape().dim(0), c, "'" + p + "' does not match the input's channels");
                }
            }
        }
        return x;
    }

    private static List<Type> batchNormWithStats(InferenceContext ctx, boolean training) {
        TensorType x = channelInput(ctx);
        DType t = x.elementType();
        TensorType stats;
        if (training) {
            DType st = t == DType.FLOAT16 || t == DType.BFLOAT16 ? DType.FLOAT32 : t;
            stats = new TensorType(st, Shape.of(x.shape().dim(1)));
        } else {
            stats = new TensorType(t, Shape.of(0));
        }
        return List.of(x, stats, stats);
    }

    /** The first normalized dim; checks {@code normalized_shape} against the input's trailing sizes. */
    private static int layerNormAxis(InferenceContext ctx) {
        TensorType x = ctx.tensor("input");
        List<SymExpr> norm = ctx.symInts("normalized_shape");
        int axis = x.rank() - norm.size();
        if (axis < 0) {
            throw ctx.error("normalized_shape " + norm + " is longer than the input " + x.text());
        }
        for (int i = 0; i < norm.size(); i++) {
            ctx.requireEqual(x.shape().dim(axis + i), norm.get(i), "normalized_shape " + norm + " does not match the input " + x.text());
        }
        for (String p : List.of("weight", "bias")) {
            if (!ctx.isNone(p)) {
                TensorType w = ctx.tensor(p);
                if (w.rank() != norm.size()) {
                    throw ctx.error("'" + p + "' of " + w.text() + " does not match normalized_shape " + norm);
                }
            }
        }
        return axis;
    }
}
