package dev.kiln.passes.shapes;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rules for indexing and selection ops: {@code gather}, {@code index_select}, advanced indexing
 * ({@code index.Tensor} with integer index tensors), {@code topk}, {@code sort} and {@code repeat}.
 */
final class IndexRules {
    private IndexRules() {
    }

    static void register(Map<String, ShapeRule> r) {
        // one_hot(x, n): a new last dim of n classes, i64; n = -1 takes the count from the data
        r.put("aten::one_hot", ctx -> {
            TensorType x = ctx.tensor("self");
            long classes = ctx.intArg("num_classes");
            if (classes < 0) {
                throw ctx.unresolved("one_hot with num_classes=-1 takes its size from the data; give num_classes");
            }
            java.util.List<SymExpr> out = new java.util.ArrayList<>(x.shape().dims());
            out.add(SymExpr.of(classes));
            return List.of(InferenceContext.tensorType(dev.kiln.ir.DType.INT64, out));
        });
        r.put("aten::gather", ctx -> {
            TensorType x = ctx.tensor("self");
            TensorType idx = ctx.tensor("index");
            ctx.dim("dim", x.rank());
            if (idx.rank() != x.rank() && !(idx.rank() <= 1 && x.rank() <= 1)) {
                throw ctx.error("gather: index " + idx.text() + " must have the rank of self " + x.text());
            }
            return List.of(InferenceContext.tensorType(x.elementType(), idx.shape().dims()));
        });
        r.put("aten::index_select", ctx -> {
            TensorType x = ctx.tensor("self");
            TensorType idx = ctx.tensor("index");
            if (idx.rank() > 1) {
                throw ctx.error("index_select: index must be 0-d or 1-D but is " + idx.text());
            }
            List<SymExpr> out = new ArrayList<>(x.shape().dims());
            if (!out.isEmpty()) {
                out.set(ctx.dim("dim", x.rank()), idx.shape().numel());
            }
            return List.of(InferenceContext.tensorType(x.elementType(), out));
        });
        r.put("aten::index.Tensor", IndexRules::index);
        r.put("aten::topk", ctx -> {
            TensorType x = ctx.tensor("self");
            List<SymExpr> out = new ArrayList<>(x.shape().dims());
            if (!out.isEmpty()) {
                int d = ctx.dim("dim", x.rank());
                SymExpr k = ctx.symInt("k");
                if (k instanceof SymExpr.Const kc && out.get(d) instanceof SymExpr.Const n && (kc.value() < 0 || kc.value() > n.value())) {
                    throw ctx.error("topk: k = " + kc.value() + " is out of range for dimension " + d + " of size " + n.value());
                }
                out.set(d, k);
            }
            TensorType v = InferenceContext.tensorType(x.elementType(), out);
            return List.of(v, v.withDType(DType.INT64));
        });
        r.put("aten::sort", ctx -> {
            TensorType x = ctx.tensor("self");
            ctx.dim("dim", x.rank());
            return List.of(x, x.withDType(DType.INT64));
        });
        r.put("aten::repeat", ctx -> {
            TensorType x = ctx.tensor("self");
            List<SymExpr> reps = ctx.symInts("repeats");
            if (reps.size() < x.rank()) {
                throw ctx.error("repeat needs at least " + x.rank() + " repeat counts but got " + reps.size());
            }
            List<SymExpr> out = new ArrayList<>();
            int lead = reps.size() - x.rank();
            for (int i = 0; i < reps.size(); i++) {
                out.add(i < lead ? reps.get(i) : SymExpr.mul(reps.get(i), x.shape().dim(i - lead)));
            }
            return List.of(InferenceContext.tensorType(x.elementType(), out));
        });
    }

    /**
     * Advanced indexing with integer index tensors ({@code x[:, idx]}): the indexed dims are replaced
     * by the broadcast shape of the indices, in place when the indexed dims are adjacent and in front
     * otherwise. Boolean masks give data-dependent sizes and stay unknown.
     */
    private static List<Type> index(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        Arg a = ctx.arg("indices");
        if (!(a instanceof Arg.ListArg l)) {
            throw ctx.error("indices must be a list");
        }
        List<Arg> idx = l.elements();
        if (idx.size() > x.rank()) {
            throw ctx.error("too many indices (" + idx.size() + ") for a tensor of rank " + x.rank());
        }
        List<List<SymExpr>> shapes = new ArrayList<>();
        int first = -1;
        int last = -1;
        boolean adjacent = true;
        for (int i = 0; i < idx.size(); i++) {
            if (idx.get(i).isNone()) {
                continue;
            }
            TensorType t = ctx.tensorOf(idx.get(i), "indices[" + i + "]");
            if (t.elementType() == DType.BOOL || t.elementType() == DType.UINT8) {
                throw ctx.unresolved("indexing with a boolean mask gives a data-dependent size");
            }
            if (first >= 0 && last != i - 1) {
                adjacent = false;
            }
            if (first < 0) {
                first = i;
            }
            last = i;
            shapes.add(t.shape().dims());
        }
        List<SymExpr> dims = x.shape().dims();
        if (first < 0) {
            return List.of(x);
        }
        List<SymExpr> b = ctx.broadcast(shapes);
        List<SymExpr> out = new ArrayList<>();
        if (adjacent) {
            out.addAll(dims.subList(0, first));
            out.addAll(b);
            out.addAll(dims.subList(last + 1, dims.size()));
        } else {
            out.addAll(b);
            for (int i = 0; i < dims.size(); i++) {
                if (i >= idx.size() || idx.get(i).isNone()) {
                    out.add(dims.get(i));
                }
            }
        }
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }
}
