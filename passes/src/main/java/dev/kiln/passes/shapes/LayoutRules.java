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
 * Rules for ops that move data without computing: view/reshape (with {@code -1} and symbolic
 * sizes), permute, transpose, flatten/unflatten, squeeze/unsqueeze, expand, slice, select, narrow,
 * and the dtype conversions {@code to}/{@code _to_copy}/{@code type_as}.
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
        for (String op : List.of("aten::narrow", "aten::narrow_copy")) {
            r.put(op, ctx -> {
                TensorType x = ctx.tensor("self");
                int d = ctx.dim("dim", x.rank());
                List<SymExpr> out = new ArrayList<>(x.shape().dims());
                out.set(d, ctx.symInt("length"));
                return List.of(InferenceContext.tensorType(x.elementType(), out));
            });
        }
        r.put("aten::swapdims", ctx -> swap(ctx, "dim0", "dim1"));
        for (String op : List.of("aten::movedim.int", "aten::movedim.intlist", "aten::moveaxis.int", "aten::moveaxis.intlist")) {
            r.put(op, LayoutRules::movedim);
        }
        r.put("aten::unfold", LayoutRules::unfold);
        // same type as the input: shuffles and the functional forms of slice and select writes
        for (String op : List.of("aten::channel_shuffle", "aten::native_channel_shuffle", "aten::slice_scatter", "aten::select_scatter")) {
            r.put(op, ctx -> List.of(ctx.tensor("self")));
        }
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

    private static List<Type> movedim(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        long[] order = ShapeMath.movedimOrder(ctx.ints("source"), ctx.ints("destination"), Math.max(x.rank(), 1));
        if (order == null) {
            throw ctx.error("movedim: source and destination must be as many distinct dims in range for " + x.text());
        }
        if (x.rank() == 0) {
            return List.of(x);
        }
        List<SymExpr> out = new ArrayList<>();
        for (long d : order) {
            out.add(x.shape().dim((int) d));
        }
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }

    /** {@code unfold(x, dim, size, step)}: {@code dim} becomes the window count, the window size a new last dim. */
    private static List<Type> unfold(InferenceContext ctx) {
        TensorType x = ctx.tensor("self");
        long size = ctx.intArg("size");
        long step = ctx.intArg("step");
        if (step <= 0) {
            throw ctx.error("unfold: step must be positive but is " + step);
        }
        List<SymExpr> out = new ArrayList<>(x.shape().dims());
        if (x.rank() == 0) {
            ctx.dim("dimension", 0);
            out.add(SymExpr.of(size));
            return List.of(InferenceContext.tensorType(x.elementType(), out));
        }
        int d = ctx.dim("dimension", x.rank());
        SymExpr length = out.get(d);
        if (length instanceof SymExpr.Const c && c.value() < size) {
            throw ctx.error("unfold: size " + size + " is larger than the dim's " + c.value());
        }
        out.set(d, SymExpr.add(SymExpr.floorDiv(SymExpr.sub(length, SymExpr.of(size)), SymExpr.of(step)), SymExpr.of(1)));
        out.add(SymExpr.of(size));
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
        // the result's shape does not depend on the index (a loop's trip number, say); a literal one is checked
        if (ctx.arg("index") instanceof dev.kiln.ir.Arg.IntLit i && size instanceof SymExpr.Const s
                && (i.value() >= s.value() || i.value() < -s.value())) {
            throw ctx.error("select: index " + i.value() + " is out of range for dimension " + d + " of size " + s.value());
        }
        List<SymExpr> out = new ArrayList<>(x.shape().dims());
        out.remove(d);
        return List.of(InferenceContext.tensorType(x.elementType(), out));
    }
}
