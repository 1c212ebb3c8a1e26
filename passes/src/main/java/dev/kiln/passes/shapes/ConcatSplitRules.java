package dev.kiln.passes.shapes;

import dev.kiln.ir.DType;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Rules for ops that join or split tensors: {@code cat} (with type promotion and the legacy skip of
 * empty 1-D tensors), {@code stack}, and {@code split}/{@code split_with_sizes}/{@code chunk}/
 * {@code unbind}, which return one tensor per piece (as separate outputs or as a tensor list).
 */
final class ConcatSplitRules {
    private ConcatSplitRules() {
    }

    static void register(Map<String, ShapeRule> r) {
        r.put("aten::cat", ConcatSplitRules::cat);
        r.put("aten::concat", ConcatSplitRules::cat);
        r.put("aten::concatenate", ConcatSplitRules::cat);
        r.put("aten::stack", ConcatSplitRules::stack);
        r.put("aten::split.Tensor", ConcatSplitRules::splitBySize);
        r.put("aten::split_with_sizes", ctx -> splitWithSizes(ctx, "split_sizes"));
        r.put("aten::split_with_sizes_copy", ctx -> splitWithSizes(ctx, "split_sizes"));
        r.put("aten::split.sizes", ctx -> splitWithSizes(ctx, "split_size"));
        r.put("aten::chunk", ConcatSplitRules::chunk);
        r.put("aten::unbind.int", ConcatSplitRules::unbind);
    }

    private static List<Type> cat(InferenceContext ctx) {
        List<TensorType> all = ctx.tensorList("tensors");
        // legacy: 1-D empty tensors are skipped
        List<TensorType> ts = new ArrayList<>();
        for (TensorType t : all) {
            if (!(t.rank() == 1 && t.shape().dim(0) instanceof SymExpr.Const c && c.value() == 0)) {
                ts.add(t);
            }
        }
        List<TypePromotion.Operand> ops = new ArrayList<>();
        for (TensorType t : all) {
            ops.add(new TypePromotion.Operand(t.elementType(), TypePromotion.Kind.DIMENSIONED));
        }
        DType dtype = ctx.promote(ops);
        if (ts.isEmpty()) {
            return List.of(InferenceContext.tensorType(dtype, List.of(SymExpr.of(0))));
        }
        int rank = ts.get(0).rank();
        if (rank == 0) {
            throw ctx.error("cat cannot concatenate 0-d tensors");
        }
        int d = ctx.dim("dim", rank);
        List<SymExpr> out = new ArrayList<>(ts.get(0).shape().dims());
        SymExpr total = ShapeMath.ZERO;
        for (TensorType t : ts) {
            if (t.rank() != rank) {
                throw ctx.error("cat: tensors must have the same rank, got " + ts.get(0).text() + " and " + t.text());
            }
            for (int i = 0; i < rank; i++) {
                if (i != d) {
                    ctx.requireEqual(out.get(i), t.shape().dim(i), "cat: sizes differ in dimension " + i);
                }
            }
            total = SymExpr.add(total, t.shape().dim(d));
        }
        out.set(d, total);
        return List.of(InferenceContext.tensorType(dtype, out));
    }

    private static List<Type> stack(InferenceContext ctx) {
        List<TensorType> ts = ctx.tensorList("tensors");
        if (ts.isEmpty()) {
            throw ctx.error("stack needs at least one tensor");
        }
        TensorType first = ts.get(0);
        for (TensorType t : ts) {
            if (t.rank() != first.rank()) {
                throw ctx.error("stack expects tensors of equal shape, got " + first.text() + " and " + t.text());
            }
            for (int i = 0; i < t.rank(); i++) {
                ctx.requireEqual(first.shape().dim(i), t.shape().dim(i), "stack expects tensors of equal shape");
            }
        }
        List<TypePromotion.Operand> ops = new ArrayList<>();
        for (TensorType t : ts) {
            ops.add(new TypePromotion.Operand(t.elementType(), TypePromotion.Kind.DIMENSIONED));
        }
        int d = ctx.dim("dim", first.rank() + 1);
        List<SymExpr> out = new ArrayList<>(first.shape().dims());
        out.add(d, SymExpr.of(ts.size()));
        return List.of(InferenceContext.tensorType(ctx.promote(ops), out));
    }

    private static List<Type> pieces(TensorType x, int d, List<SymExpr> sizes) {
        List<Type> out = new ArrayList<>();
        for (SymExpr s : sizes) {
            List<SymExpr> dims = new ArrayList<>(x.shape().dims());
            dims.set(d, s);
            out.add(InferenceContext.tensorType(x.elementType(), dims));
        }
        return out;
    }

    /** split.Tensor: pieces of split_size, the last one smaller; a symbolic size splits into as many pieces as the node has outputs. */
    private static List<Type> splitBySize(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        if (x.rank() == 0) {
            throw ctx.error("split cannot be applied to a 0-d tensor");
        }
        int d = ctx.dim("dim", x.rank());
        SymExpr size = x.shape().dim(d);
        SymExpr split = ctx.symInt("split_size");
        return pieces(x, d, evenPieces(ctx, size, split));
    }

    private static List<SymExpr> evenPieces(InferenceContext ctx, SymExpr size, SymExpr split) {
        List<SymExpr> sizes = new ArrayList<>();
        if (size instanceof SymExpr.Const s && split instanceof SymExpr.Const p) {
            if (p.value() <= 0 && s.value() > 0) {
                throw ctx.error("split size must be positive but is " + p.value());
            }
            long n = s.value() == 0 ? 1 : (s.value() + p.value() - 1) / p.value();
            for (long i = 0; i < n; i++) {
                sizes.add(SymExpr.of(Math.min(p.value(), s.value() - i * p.value())));
            }
            return sizes;
        }
        int n = ctx.node().outputs().size();
        if (n <= 1 && ctx.node().outputs().get(0).type() instanceof dev.kiln.ir.ListType) {
            throw ctx.unresolved("the number of pieces of the symbolic size " + size + " is not known");
        }
        for (int i = 0; i < n - 1; i++) {
            sizes.add(split);
        }
        sizes.add(SymExpr.sub(size, SymExpr.mul(SymExpr.of(n - 1), split)));
        return sizes;
    }

    private static List<Type> splitWithSizes(InferenceContext ctx, String arg) {
        TensorType x = ctx.tensor("self");
        if (x.rank() == 0) {
            throw ctx.error("split cannot be applied to a 0-d tensor");
        }
        int d = ctx.dim("dim", x.rank());
        List<SymExpr> sizes = ctx.symInts(arg);
        ctx.requireEqual(ShapeMath.sum(sizes), x.shape().dim(d), "split_with_sizes: sizes " + sizes
                + " do not add up to dimension " + d + " of " + x.text());
        return pieces(x, d, sizes);
    }

    /** chunk: pieces of ceil(size / chunks), possibly fewer than chunks. */
    private static List<Type> chunk(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        if (x.rank() == 0) {
            throw ctx.error("chunk cannot be applied to a 0-d tensor");
        }
        int d = ctx.dim("dim", x.rank());
        long chunks = ctx.intArg("chunks");
        if (chunks <= 0) {
            throw ctx.error("chunk expects a positive number of chunks but got " + chunks);
        }
        SymExpr size = x.shape().dim(d);
        SymExpr split = ShapeMath.ceilDiv(size, SymExpr.of(chunks));
        if (size instanceof SymExpr.Const s && s.value() == 0) {
            return pieces(x, d, Collections.nCopies((int) chunks, SymExpr.of(0)));
        }
        return pieces(x, d, evenPieces(ctx, size, split));
    }

    private static List<Type> unbind(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        if (x.rank() == 0) {
            throw ctx.error("unbind cannot be applied to a 0-d tensor");
        }
        int d = ctx.dim("dim", x.rank());
        SymExpr size = x.shape().dim(d);
        long n;
        if (size instanceof SymExpr.Const s) {
            n = s.value();
        } else if (!(ctx.node().outputs().get(0).type() instanceof dev.kiln.ir.ListType)) {
            n = ctx.node().outputs().size();
        } else {
            throw ctx.unresolved("unbind over the symbolic size " + size);
        }
        List<SymExpr> dims = new ArrayList<>(x.shape().dims());
        dims.remove(d);
        return Collections.nCopies((int) n, InferenceContext.tensorType(x.elementType(), dims));
    }
}
