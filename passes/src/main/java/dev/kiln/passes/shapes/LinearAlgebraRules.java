package dev.kiln.passes.shapes;

import dev.kiln.ir.DType;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Rules for matrix products ({@code mm}, {@code bmm}, {@code addmm}, {@code linear}, {@code matmul}
 * with all its 1-D and batch-broadcasting cases, {@code baddbmm}), scaled dot-product attention and
 * embedding lookups. Operand dtypes must match, as ATen requires.
 */
final class LinearAlgebraRules {
    private LinearAlgebraRules() {
    }

    static void register(Map<String, ShapeRule> r) {
        r.put("aten::mm", ctx -> {
            TensorType a = rank(ctx, "self", 2);
            TensorType b = rank(ctx, "mat2", 2);
            DType t = sameDType(ctx, a, b);
            ctx.requireEqual(a.shape().dim(1), b.shape().dim(0), "mm: the inner sizes differ");
            return List.of(InferenceContext.tensorType(t, List.of(a.shape().dim(0), b.shape().dim(1))));
        });
        r.put("aten::bmm", ctx -> {
            TensorType a = rank(ctx, "self", 3);
            TensorType b = rank(ctx, "mat2", 3);
            DType t = sameDType(ctx, a, b);
            ctx.requireEqual(a.shape().dim(0), b.shape().dim(0), "bmm: the batch sizes differ");
            ctx.requireEqual(a.shape().dim(2), b.shape().dim(1), "bmm: the inner sizes differ");
            return List.of(InferenceContext.tensorType(t, List.of(a.shape().dim(0), a.shape().dim(1), b.shape().dim(2))));
        });
        r.put("aten::addmm", ctx -> {
            TensorType a = rank(ctx, "mat1", 2);
            TensorType b = rank(ctx, "mat2", 2);
            TensorType self = ctx.tensor("self");
            DType t = sameDType(ctx, a, b);
            sameDType(ctx, self, a);
            ctx.requireEqual(a.shape().dim(1), b.shape().dim(0), "addmm: the inner sizes of mat1 and mat2 differ");
            List<SymExpr> out = List.of(a.shape().dim(0), b.shape().dim(1));
            requireBroadcastsTo(ctx, self.shape().dims(), out, "self");
            return List.of(InferenceContext.tensorType(t, out));
        });
        r.put("aten::baddbmm", ctx -> {
            TensorType a = rank(ctx, "batch1", 3);
            TensorType b = rank(ctx, "batch2", 3);
            TensorType self = ctx.tensor("self");
            DType t = sameDType(ctx, a, b);
            ctx.requireEqual(a.shape().dim(2), b.shape().dim(1), "baddbmm: the inner sizes differ");
            List<SymExpr> out = List.of(a.shape().dim(0), a.shape().dim(1), b.shape().dim(2));
            requireBroadcastsTo(ctx, self.shape().dims(), out, "self");
            return List.of(InferenceContext.tensorType(t, out));
        });
        r.put("aten::linear", ctx -> {
            TensorType x = ctx.tensor("input");
            TensorType w = ctx.tensor("weight");
            DType t = sameDType(ctx, x, w);
            List<SymExpr> xd = x.shape().dims();
            if (xd.isEmpty()) {
                throw ctx.error("linear needs an input with at least one dimension");
            }
            List<SymExpr> out = new ArrayList<>(xd.subList(0, xd.size() - 1));
            if (w.rank() == 2) {
                ctx.requireEqual(xd.get(xd.size() - 1), w.shape().dim(1), "linear: input features and weight columns differ");
                out.add(w.shape().dim(0));
            } else if (w.rank() == 1) {
                ctx.requireEqual(xd.get(xd.size() - 1), w.shape().dim(0), "linear: input features and weight size differ");
            } else {
                throw ctx.error("linear needs a 1-D or 2-D weight, got " + w.text());
            }
            Optional<TensorType> bias = ctx.optionalTensor("bias");
            if (bias.isPresent()) {
                requireBroadcastsTo(ctx, bias.get().shape().dims(), out, "bias");
            }
            return List.of(InferenceContext.tensorType(t, out));
        });
        r.put("aten::matmul", ctx -> {
            TensorType a = ctx.tensor("self");
            TensorType b = ctx.tensor("other");
            return List.of(InferenceContext.tensorType(sameDType(ctx, a, b), matmul(ctx, a.shape().dims(), b.shape().dims())));
        });
        r.put("aten::scaled_dot_product_attention", LinearAlgebraRules::attention);
        r.put("aten::embedding", ctx -> {
            TensorType w = rank(ctx, "weight", 2);
            TensorType idx = ctx.tensor("indices");
            if (idx.elementType() != DType.INT64 && idx.elementType() != DType.INT32) {
                throw ctx.error("embedding indices must be i64 or i32 but are " + idx.elementType());
            }
            List<SymExpr> out = new ArrayList<>(idx.shape().dims());
            out.add(w.shape().dim(1));
            return List.of(InferenceContext.tensorType(w.elementType(), out));
        });
    }

    /** {@code torch.matmul}'s shape rule: 1-D operands gain and then lose a dimension; batch dims broadcast. */
    static List<SymExpr> matmul(InferenceContext ctx, List<SymExpr> a, List<SymExpr> b) {
        if (a.isEmpty() || b.isEmpty()) {
            throw ctx.error("matmul needs operands with at least one dimension, got " + a + " and " + b);
        }
        boolean aVec = a.size() == 1;
        boolean bVec = b.size() == 1;
        List<SymExpr> am = aVec ? List.of(ShapeMath.ONE, a.get(0)) : a;
        List<SymExpr> bm = bVec ? List.of(b.get(0), ShapeMath.ONE) : b;
        SymExpr k1 = am.get(am.size() - 1);
        SymExpr k2 = bm.get(bm.size() - 2);
        if (ShapeMath.provablyDifferent(k1, k2)) {
            throw ctx.error("matmul: shapes " + a + " and " + b + " cannot be multiplied (" + k1 + " != " + k2 + ")");
        }
        List<SymExpr> batch = ctx.broadcast(List.of(am.subList(0, am.size() - 2), bm.subList(0, bm.size() - 2)));
        List<SymExpr> out = new ArrayList<>(batch);
        if (!aVec) {
            out.add(am.get(am.size() - 2));
        }
        if (!bVec) {
            out.add(bm.get(bm.size() - 1));
        }
        return out;
    }

    /** (..., L, E) x (..., S, E) x (..., S, Ev) -> (..., L, Ev); batch dims broadcast (query's heads under GQA). */
    private static List<Type> attention(InferenceContext ctx) {
        TensorType q = ctx.tensor("query");
        TensorType k = ctx.tensor("key");
        TensorType v = ctx.tensor("value");
        if (q.rank() < 2 || k.rank() < 2 || v.rank() < 2) {
            throw ctx.error("scaled_dot_product_attention needs query, key and value of rank >= 2");
        }
        DType t = sameDType(ctx, q, k);
        sameDType(ctx, q, v);
        List<SymExpr> qd = q.shape().dims();
        List<SymExpr> kd = k.shape().dims();
        List<SymExpr> vd = v.shape().dims();
        ctx.requireEqual(qd.get(qd.size() - 1), kd.get(kd.size() - 1), "scaled_dot_product_attention: query and key embedding sizes differ");
        ctx.requireEqual(kd.get(kd.size() - 2), vd.get(vd.size() - 2), "scaled_dot_product_attention: key and value lengths differ");
        List<SymExpr> qb = qd.subList(0, qd.size() - 2);
        List<SymExpr> batch;
        if (ctx.bool("enable_gqa", false)) {
            batch = qb; // key/value heads are repeated to the query's
        } else {
            batch = ctx.broadcast(List.of(qb, kd.subList(0, kd.size() - 2), vd.subList(0, vd.size() - 2)));
        }
        List<SymExpr> out = new ArrayList<>(batch);
        out.add(qd.get(qd.size() - 2));
        out.add(vd.get(vd.size() - 1));
        return List.of(InferenceContext.tensorType(t, out));
    }

    static TensorType rank(InferenceContext ctx, String name, int rank) {
        TensorType t = ctx.tensor(name);
        if (t.rank() != rank) {
            throw ctx.error("'" + name + "' must have rank " + rank + " but is " + t.text());
        }
        return t;
    }

    static DType sameDType(InferenceContext ctx, TensorType a, TensorType b) {
        if (a.elementType() != b.elementType()) {
            throw ctx.error("operands must have the same dtype but are " + a.elementType() + " and " + b.elementType()
                    + "; insert a cast (to / _to_copy)");
        }
        return a.elementType();
    }

    /** Throws when {@code from} cannot broadcast to exactly {@code to}. */
    static void requireBroadcastsTo(InferenceContext ctx, List<SymExpr> from, List<SymExpr> to, String what) {
        if (from.size() > to.size()) {
            throw ctx.error("'" + what + "' of shape " + from + " does not broadcast to " + to);
        }
        for (int i = 0; i < from.size(); i++) {
            SymExpr f = from.get(i);
            SymExpr d = to.get(to.size() - from.size() + i);
            if (!(f instanceof SymExpr.Const c && c.value() == 1) && ShapeMath.provablyDifferent(f, d)) {
                throw ctx.error("'" + what + "' of shape " + from + " does not broadcast to " + to);
            }
        }
    }
}
