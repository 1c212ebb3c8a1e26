package dev.kiln.passes.shapes;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Rules for ops that move data without computing: view/reshape (with {@code -1} and symbolic
 * sizes), permute, transpose, flatten/unflatten, squeeze/unsqueeze, expand, slice, select, narrow,
 * cat, stack, split/chunk/unbind (one output per piece), gather, index_select, repeat, and the
 * dtype conversions {@code to}/{@code _to_copy}/{@code type_as}.
 */
final class LayoutRules {
    private LayoutRules() {
    }

    static final long INT64_MAX = Long.MAX_VALUE;

    static void register(Map<String, ShapeRule> r) {
        for (String op : List.of("aten::view", "aten::_unsafe_view", "aten::view_copy", "aten::_reshape_copy")) {
            r.put(op, ctx -> reshape(ctx, "size"));
        }
        r.put("aten::reshape", ctx -> reshape(ctx, "shape"));
        r.put("aten::view.dtype", LayoutRules::viewDtype);
        r.put("aten::view_as", ctx -> List.of(ctx.tensor("self").withShape(ctx.tensor("other").shape())));
        r.put("aten::reshape_as", ctx -> List.of(ctx.tensor("self").withShape(ctx.tensor("other").shape())));
        r.put("aten::permute", LayoutRules::permute);
        r.put("aten::permute_copy", LayoutRules::permute);
        r.put("aten::transpose.int", LayoutRules::transpose);
        r.put("aten::transpose_copy.int", LayoutRules::transpose);
        r.put("aten::swapaxes", ctx -> swap(ctx, "axis0", "axis1"));
        r.put("aten::t", ctx -> {
            TensorType x = ctx.tensor("self");
            if (x.rank() > 2) {
                throw ctx.error("t() expects a tensor of rank <= 2 but got " + x.text());
            }
            List<SymExpr> d = new ArrayList<>(x.shape().dims());
            Collections.reverse(d);
            return List.of(InferenceContext.tensorType(x.elementType(), d));
        });
        r.put("aten::flatten.using_ints", LayoutRules::flatten);
        r.put("aten::unflatten.int", LayoutRules::unflatten);
        r.put("aten::squeeze", ctx -> squeeze(ctx, null));
        r.put("aten::squeeze.dim", ctx -> squeeze(ctx, new long[] {ctx.intArg("dim")}));
        r.put("aten::squeeze.dims", ctx -> squeeze(ctx, ctx.ints("dim")));
        r.put("aten::squeeze_copy.dim", ctx -> squeeze(ctx, new long[] {ctx.intArg("dim")}));
        r.put("aten::unsqueeze", LayoutRules::unsqueeze);
        r.put("aten::unsqueeze_copy", LayoutRules::unsqueeze);
        r.put("aten::expand", LayoutRules::expand);
        r.put("aten::expand_copy", LayoutRules::expand);
        r.put("aten::expand_as", ctx -> List.of(ctx.tensor("self").withShape(ctx.tensor("other").shape())));
        r.put("aten::slice.Tensor", LayoutRules::slice);
        r.put("aten::slice_copy.Tensor", LayoutRules::slice);
        r.put("aten::select.int", LayoutRules::select);
        r.put("aten::select_copy.int", LayoutRules::select);
        r.put("aten::narrow", ctx -> {
            TensorType x = ctx.tensor("self");
            int d = ctx.dim("dim", x.rank());
            List<SymExpr> out = new ArrayList<>(x.shape().dims());
            out.set(d, ctx.symInt("length"));
            return List.of(InferenceContext.tensorType(x.elementType(), out));
        });
        r.put("aten::cat", LayoutRules::cat);
        r.put("aten::concat", LayoutRules::cat);
        r.put("aten::concatenate", LayoutRules::cat);
        r.put("aten::stack", LayoutRules::stack);
        r.put("aten::split.Tensor", LayoutRules::splitBySize);
        r.put("aten::split_with_sizes", ctx -> splitWithSizes(ctx, "split_sizes"));
        r.put("aten::split_with_sizes_copy", ctx -> splitWithSizes(ctx, "split_sizes"));
        r.put("aten::split.sizes", ctx -> splitWithSizes(ctx, "split_size"));
        r.put("aten::chunk", LayoutRules::chunk);
        r.put("aten::unbind.int", LayoutRules::unbind);
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
        r.put("aten::index.Tensor", LayoutRules::index);
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
        // dtype conversions
        for (String op : List.of("aten::to.dtype", "aten::to.dtype_layout", "aten::to.device", "aten::to.prim_dtype",
                "aten::to.prim_Device", "aten::_to_copy", "aten::to.prim_other")) {
            r.put(op, ctx -> {
                TensorType x = ctx.tensor("self");
                return List.of(x.withDType(ctx.has("dtype") ? ctx.dtypeArg("dtype").orElse(x.elementType()) : x.elementType()));
            });
        }
        r.put("aten::to.other", ctx -> List.of(ctx.tensor("self").withDType(ctx.tensor("other").elementType())));
        r.put("aten::type_as", ctx -> List.of(ctx.tensor("self").withDType(ctx.tensor("other").elementType())));
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

    private static List<Type> reshape(InferenceContext ctx, String sizeArg) {
        TensorType x = ctx.tensor("self");
        List<SymExpr> sizes = new ArrayList<>(ctx.symInts(sizeArg));
        SymExpr numel = x.shape().numel();
        int infer = -1;
        SymExpr known = ShapeMath.ONE;
        for (int i = 0; i < sizes.size(); i++) {
            SymExpr s = sizes.get(i);
            if (s instanceof SymExpr.Const c && c.value() == -1) {
                if (infer >= 0) {
                    throw ctx.error("only one dimension can be inferred (-1) in the shape " + sizes);
                }
                infer = i;
            } else if (s instanceof SymExpr.Const c && c.value() < 0) {
                throw ctx.error("invalid size " + c.value() + " in the shape " + sizes);
            } else {
                known = SymExpr.mul(known, s);
            }
        }
        if (infer >= 0) {
            if (known instanceof SymExpr.Const k && k.value() == 0) {
                throw ctx.error("cannot infer the -1 of " + sizes + ": the other sizes multiply to 0");
            }
            if (numel instanceof SymExpr.Const n && known instanceof SymExpr.Const k && n.value() % k.value() != 0) {
                throw ctx.error("shape " + sizes + " is invalid for an input of " + n.value() + " elements");
            }
            sizes.set(infer, ShapeMath.exactDiv(numel, known));
        } else if (numel instanceof SymExpr.Const n && known instanceof SymExpr.Const k && n.value() != k.value()) {
            throw ctx.error("shape " + sizes + " is invalid for an input of " + n.value() + " elements (" + x.text() + ")");
        }
        return List.of(InferenceContext.tensorType(x.elementType(), sizes));
    }

    private static List<Type> viewDtype(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        DType to = ctx.dtypeArg("dtype").orElseThrow(() -> ctx.error("view needs a dtype"));
        int from = x.elementType().byteSize();
        if (from == to.byteSize()) {
            return List.of(x.withDType(to));
        }
        if (x.rank() == 0) {
            throw ctx.error("a 0-d tensor cannot be viewed as a dtype of another size");
        }
        List<SymExpr> d = new ArrayList<>(x.shape().dims());
        SymExpr last = d.get(d.size() - 1);
        d.set(d.size() - 1, from > to.byteSize()
                ? SymExpr.mul(last, SymExpr.of(from / to.byteSize()))
                : ShapeMath.exactDiv(last, SymExpr.of(to.byteSize() / from)));
        return List.of(InferenceContext.tensorType(to, d));
    }

    private static List<Type> permute(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        long[] dims = ctx.ints("dims");
        if (dims.length != x.rank()) {
            throw ctx.error("permute needs " + x.rank() + " dims but got " + dims.length);
        }
        boolean[] seen = new boolean[x.rank()];
        List<SymExpr> out = new ArrayList<>();
        for (long d : dims) {
            int w = ctx.wrapDim(d, x.rank());
            if (seen[w]) {
                throw ctx.error("permute: dim " + d + " appears twice");
            }
            seen[w] = true;
            out.add(x.shape().dim(w));
        }
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }

    private static List<Type> transpose(InferenceContext ctx) {
        return swap(ctx, "dim0", "dim1");
    }

    private static List<Type> swap(InferenceContext ctx, String a, String b) {
        TensorType x = ctx.tensor("self");
        if (x.rank() == 0) {
            ctx.dim(a, 0);
            ctx.dim(b, 0);
            return List.of(x);
        }
        int d0 = ctx.dim(a, x.rank());
        int d1 = ctx.dim(b, x.rank());
        List<SymExpr> out = new ArrayList<>(x.shape().dims());
        Collections.swap(out, d0, d1);
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }

    private static List<Type> flatten(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        if (x.rank() == 0) {
            return List.of(InferenceContext.tensorType(x.elementType(), List.of(ShapeMath.ONE)));
        }
        int s = ctx.dim("start_dim", x.rank());
        int e = ctx.dim("end_dim", x.rank());
        if (s > e) {
            throw ctx.error("flatten: start_dim " + s + " comes after end_dim " + e);
        }
        List<SymExpr> d = x.shape().dims();
        List<SymExpr> out = new ArrayList<>(d.subList(0, s));
        out.add(ShapeMath.product(d.subList(s, e + 1)));
        out.addAll(d.subList(e + 1, d.size()));
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }

    private static List<Type> unflatten(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        int d = ctx.dim("dim", x.rank());
        List<SymExpr> sizes = new ArrayList<>(ctx.symInts("sizes"));
        SymExpr known = ShapeMath.ONE;
        int infer = -1;
        for (int i = 0; i < sizes.size(); i++) {
            if (sizes.get(i) instanceof SymExpr.Const c && c.value() == -1) {
                infer = i;
            } else {
                known = SymExpr.mul(known, sizes.get(i));
            }
        }
        SymExpr size = x.shape().dim(d);
        if (infer >= 0) {
            sizes.set(infer, ShapeMath.exactDiv(size, known));
        } else {
            ctx.requireEqual(known, size, "unflatten: sizes " + sizes + " do not multiply to dimension " + d);
        }
        List<SymExpr> out = new ArrayList<>(x.shape().dims().subList(0, d));
        out.addAll(sizes);
        out.addAll(x.shape().dims().subList(d + 1, x.rank()));
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }

    /** Removes size-1 dims (all, or those listed); a symbolic size that may be 1 cannot be decided. */
    private static List<Type> squeeze(InferenceContext ctx, long[] which) {
        TensorType x = ctx.tensor("self");
        boolean[] listed = new boolean[Math.max(x.rank(), 1)];
        if (which == null) {
            java.util.Arrays.fill(listed, true);
        } else {
            for (long w : which) {
                listed[ctx.wrapDim(w, x.rank())] = true;
            }
        }
        List<SymExpr> out = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) {
            SymExpr s = x.shape().dim(i);
            if (!listed[i]) {
                out.add(s);
            } else if (s instanceof SymExpr.Const c) {
                if (c.value() != 1) {
                    out.add(s);
                }
            } else if (s.lowerBound() > 1 || s.upperBound() < 1) {
                out.add(s);
            } else if (s.lowerBound() == 1 && s.upperBound() == 1) {
                continue;
            } else {
                throw ctx.unresolved("squeeze of the symbolic size " + s + ", which may or may not be 1");
            }
        }
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }

    private static List<Type> unsqueeze(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        int d = ctx.dim("dim", x.rank() + 1);
        List<SymExpr> out = new ArrayList<>(x.shape().dims());
        out.add(d, ShapeMath.ONE);
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }

    private static List<Type> expand(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        List<SymExpr> sizes = ctx.symInts("size");
        if (sizes.size() < x.rank()) {
            throw ctx.error("expand: the number of sizes " + sizes.size() + " is less than the rank of " + x.text());
        }
        int lead = sizes.size() - x.rank();
        List<SymExpr> out = new ArrayList<>();
        for (int i = 0; i < sizes.size(); i++) {
            SymExpr s = sizes.get(i);
            boolean keep = s instanceof SymExpr.Const c && c.value() == -1;
            if (i < lead) {
                if (keep) {
                    throw ctx.error("expand: -1 is not allowed for the new leading dimension " + i);
                }
                out.add(s);
                continue;
            }
            SymExpr have = x.shape().dim(i - lead);
            if (keep) {
                out.add(have);
            } else {
                if (!(have instanceof SymExpr.Const c && c.value() == 1) && ShapeMath.provablyDifferent(have, s)) {
                    throw ctx.error("expand: size " + have + " of " + x.text() + " cannot expand to " + s + " (only size-1 dims expand)");
                }
                out.add(s);
            }
        }
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }

    /** ATen's slice: start/end wrap when negative, clamp to [0, size], and the length rounds up by step. */
    private static List<Type> slice(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        if (x.rank() == 0) {
            throw ctx.error("slice cannot be applied to a 0-d tensor");
        }
        int d = ctx.dim("dim", x.rank());
        SymExpr size = x.shape().dim(d);
        long step = ctx.intArg("step", 1);
        if (step <= 0) {
            throw ctx.error("slice step must be positive but is " + step);
        }
        SymExpr start = ctx.isNone("start") ? ShapeMath.ZERO : clampIndex(ctx.symInt("start"), size);
        SymExpr end = ctx.isNone("end") ? size : clampIndex(ctx.symInt("end"), size);
        SymExpr len = ShapeMath.nonNegative(SymExpr.sub(end, start));
        List<SymExpr> out = new ArrayList<>(x.shape().dims());
        out.set(d, ShapeMath.ceilDiv(len, SymExpr.of(step)));
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }

    /** A slice bound: negative constants count from the end; the result is clamped to [0, size]. */
    private static SymExpr clampIndex(SymExpr v, SymExpr size) {
        if (v instanceof SymExpr.Const c && c.value() >= INT64_MAX / 2) {
            return size;
        }
        SymExpr e = v instanceof SymExpr.Const c && c.value() < 0 ? SymExpr.add(size, v) : v;
        return ShapeMath.atMost(ShapeMath.nonNegative(e), size);
    }

    private static List<Type> select(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        if (x.rank() == 0) {
            throw ctx.error("select cannot be applied to a 0-d tensor");
        }
        int d = ctx.dim("dim", x.rank());
        SymExpr size = x.shape().dim(d);
        SymExpr index = ctx.symInt("index");
        if (index instanceof SymExpr.Const i && size instanceof SymExpr.Const s && (i.value() >= s.value() || i.value() < -s.value())) {
            throw ctx.error("select: index " + i.value() + " is out of range for dimension " + d + " of size " + s.value());
        }
        List<SymExpr> out = new ArrayList<>(x.shape().dims());
        out.remove(d);
        return List.of(InferenceContext.tensorType(x.elementType(), out));
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
