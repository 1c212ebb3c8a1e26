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
 * Rules for convolutions (1-3 spatial dims, transposed, groups, dilation, padding including
 * {@code "same"}/{@code "valid"}, batched or not), max/avg pooling (with indices, ceil mode),
 * adaptive pooling, upsampling (nearest, linear family; sizes or scale factors) and padding.
 */
final class ConvPoolRules {
    private ConvPoolRules() {
    }

    static void register(Map<String, ShapeRule> r) {
        r.put("aten::convolution", ctx -> conv(ctx, ctx.bool("transposed")));
        r.put("aten::_convolution", ctx -> conv(ctx, ctx.bool("transposed")));
        r.put("aten::_convolution.deprecated", ctx -> conv(ctx, ctx.bool("transposed")));
        for (String d : List.of("1d", "2d", "3d")) {
            r.put("aten::conv" + d, ctx -> conv(ctx, false));
            r.put("aten::conv" + d + ".padding", ctx -> conv(ctx, false));
            r.put("aten::conv_transpose" + d + (d.equals("1d") ? "" : ".input"), ctx -> conv(ctx, true));
        }
        for (int n = 1; n <= 3; n++) {
            final int spatial = n;
            String d = n + "d";
            r.put("aten::max_pool" + d, ctx -> List.of(pool(ctx, spatial, true)));
            r.put("aten::max_pool" + d + "_with_indices", ctx -> {
                TensorType out = pool(ctx, spatial, true);
                return List.of(out, out.withDType(DType.INT64));
            });
            r.put("aten::avg_pool" + d, ctx -> List.of(pool(ctx, spatial, false)));
            r.put("aten::adaptive_avg_pool" + d, ctx -> List.of(adaptive(ctx, spatial)));
            if (n > 1) {
                r.put("aten::_adaptive_avg_pool" + d, ctx -> List.of(adaptive(ctx, spatial)));
            }
            r.put("aten::adaptive_max_pool" + d, ctx -> {
                TensorType out = adaptive(ctx, spatial);
                return List.of(out, out.withDType(DType.INT64));
            });
        }
        for (String mode : List.of("upsample_nearest", "_upsample_nearest_exact")) {
            for (int n = 1; n <= 3; n++) {
                final int spatial = n;
                r.put("aten::" + mode + n + "d", ctx -> List.of(upsample(ctx, spatial, false)));
                r.put("aten::" + mode + n + "d.vec", ctx -> List.of(upsample(ctx, spatial, true)));
            }
        }
        String[][] linear = {{"upsample_linear1d", "1"}, {"upsample_bilinear2d", "2"}, {"_upsample_bilinear2d_aa", "2"},
            {"upsample_bicubic2d", "2"}, {"_upsample_bicubic2d_aa", "2"}, {"upsample_trilinear3d", "3"}};
        for (String[] m : linear) {
            final int spatial = Integer.parseInt(m[1]);
            r.put("aten::" + m[0], ctx -> List.of(upsample(ctx, spatial, false)));
            r.put("aten::" + m[0] + ".vec", ctx -> List.of(upsample(ctx, spatial, true)));
        }
        r.put("aten::constant_pad_nd", ctx -> List.of(pad(ctx, "self", "pad", true)));
        r.put("aten::pad", ctx -> List.of(pad(ctx, "self", "pad", ctx.string("mode").orElse("constant").equals("constant"))));
        for (String kind : List.of("reflection_pad", "replication_pad")) {
            for (String d : List.of("1d", "2d", "3d")) {
                r.put("aten::" + kind + d, ctx -> List.of(pad(ctx, "self", "padding", false)));
            }
        }
    }

    /** Any convolution overload; argument names follow the libtorch schemas. */
    private static List<Type> conv(InferenceContext ctx, boolean transposed) {
        TensorType x = ctx.tensor("input");
        TensorType w = ctx.tensor("weight");
        int n = w.rank() - 2;
        if (n < 1 || n > 3) {
            throw ctx.error("convolution weight must have rank 3 to 5 but is " + w.text());
        }
        boolean batched = x.rank() == n + 2;
        if (!batched && x.rank() != n + 1) {
            throw ctx.error("a " + n + "-d convolution expects an input of rank " + (n + 1) + " or " + (n + 2)
                    + " but got " + x.text());
        }
        List<SymExpr> xd = x.shape().dims();
        List<SymExpr> wd = w.shape().dims();
        int c = batched ? 1 : 0;
        long groups = ctx.intArg("groups", 1);
        long[] stride = ctx.ints("stride", n);
        long[] dilation = ctx.ints("dilation", n);
        long[] padding;
        boolean same = false;
        if (ctx.arg("padding") instanceof dev.kiln.ir.Arg.StrLit s) {
            if (s.value().equals("same")) {
                same = true;
                padding = new long[n];
            } else if (s.value().equals("valid")) {
                padding = new long[n];
            } else {
                throw ctx.error("unknown padding mode '" + s.value() + "'; expected 'same' or 'valid'");
            }
        } else {
            padding = ctx.ints("padding", n);
        }
        long[] outputPadding = transposed && ctx.has("output_padding") ? ctx.ints("output_padding", n) : new long[n];
        if (stride.length != n || dilation.length != n || padding.length != n || outputPadding.length != n) {
            throw ctx.error("stride, padding, dilation and output_padding must each have " + n + " entries");
        }
        SymExpr outChannels;
        if (transposed) {
            ctx.requireEqual(xd.get(c), wd.get(0), "transposed convolution: input channels and weight.size(0) differ");
            outChannels = SymExpr.mul(wd.get(1), SymExpr.of(groups));
        } else {
            ctx.requireEqual(xd.get(c), SymExpr.mul(wd.get(1), SymExpr.of(groups)),
                    "convolution: input channels differ from weight.size(1) * groups");
            outChannels = wd.get(0);
        }
        List<SymExpr> out = new ArrayList<>();
        if (batched) {
            out.add(xd.get(0));
        }
        out.add(outChannels);
        for (int i = 0; i < n; i++) {
            SymExpr in = xd.get(c + 1 + i);
            SymExpr k = wd.get(2 + i);
            if (same) {
                out.add(in);
            } else if (transposed) {
                out.add(ShapeMath.convTransposeOutput(in, k, stride[i], padding[i], dilation[i], outputPadding[i]));
            } else {
                SymExpr o = ShapeMath.convOutput(in, k, stride[i], padding[i], dilation[i]);
                if (o instanceof SymExpr.Const v && v.value() <= 0) {
                    throw ctx.error("convolution output size " + v.value() + " is not positive: the kernel is larger than the padded input " + x.text());
                }
                out.add(o);
            }
        }
        DType t = LinearAlgebraRules.sameDType(ctx, x, w);
        return List.of(InferenceContext.tensorType(t, out));
    }

    private static List<SymExpr> checkedSpatialInput(InferenceContext ctx, TensorType x, int n) {
        if (x.rank() != n + 1 && x.rank() != n + 2) {
            throw ctx.error("a " + n + "-d pooling expects an input of rank " + (n + 1) + " or " + (n + 2) + " but got " + x.text());
        }
        return x.shape().dims();
    }

    private static TensorType pool(InferenceContext ctx, int n, boolean max) {
        TensorType x = ctx.tensor("self");
        List<SymExpr> xd = checkedSpatialInput(ctx, x, n);
        long[] kernel = ctx.ints("kernel_size", n);
        long[] stride = ctx.ints("stride", n);
        if (stride.length == 0) {
            stride = kernel; // an empty stride means the kernel size
        }
        long[] padding = ctx.ints("padding", n);
        long[] dilation = max ? ctx.ints("dilation", n) : filled(n, 1);
        boolean ceil = ctx.bool("ceil_mode", false);
        if (kernel.length != n || stride.length != n || padding.length != n || dilation.length != n) {
            throw ctx.error("kernel_size, stride, padding and dilation must each have 1 or " + n + " entries");
        }
        List<SymExpr> out = new ArrayList<>(xd.subList(0, xd.size() - n));
        for (int i = 0; i < n; i++) {
            long effective = (kernel[i] - 1) * dilation[i] + 1;
            if (padding[i] < 0 || padding[i] > effective / 2) {
                throw ctx.error("pad should be at most half of the effective kernel size, but got pad=" + padding[i]
                        + ", kernel_size=" + kernel[i] + " and dilation=" + dilation[i]);
            }
            SymExpr o = ShapeMath.poolOutput(xd.get(xd.size() - n + i), kernel[i], stride[i], padding[i], dilation[i], ceil);
            if (o instanceof SymExpr.Const v && v.value() <= 0) {
                throw ctx.error("pooling output size " + v.value() + " is not positive for input " + x.text());
            }
            out.add(o);
        }
        return InferenceContext.tensorType(x.elementType(), out);
    }

    private static long[] filled(int n, long v) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private static TensorType adaptive(InferenceContext ctx, int n) {
        TensorType x = ctx.tensor("self");
        List<SymExpr> xd = checkedSpatialInput(ctx, x, n);
        List<SymExpr> size = ctx.symInts("output_size");
        if (size.size() == 1 && n > 1) {
            size = java.util.Collections.nCopies(n, size.get(0));
        }
        if (size.size() != n) {
            throw ctx.error("output_size must have " + n + " entries but has " + size.size());
        }
        List<SymExpr> out = new ArrayList<>(xd.subList(0, xd.size() - n));
        out.addAll(size);
        return InferenceContext.tensorType(x.elementType(), out);
    }

    private static TensorType upsample(InferenceContext ctx, int n, boolean vec) {
        TensorType x = ctx.tensor(vec ? "input" : "self");
        List<SymExpr> xd = x.shape().dims();
        if (xd.size() != n + 2) {
            throw ctx.error("a " + n + "-d upsample expects an input of rank " + (n + 2) + " but got " + x.text());
        }
        List<SymExpr> out = new ArrayList<>(xd.subList(0, 2));
        if (!ctx.isNone("output_size")) {
            List<SymExpr> size = ctx.symInts("output_size");
            if (size.size() != n) {
                throw ctx.error("output_size must have " + n + " entries but has " + size.size());
            }
            out.addAll(size);
        } else if (vec && !ctx.isNone("scale_factors")) {
            dev.kiln.ir.Arg a = ctx.arg("scale_factors");
            if (!(a instanceof dev.kiln.ir.Arg.ListArg l) || (l.elements().size() != n && l.elements().size() != 1)) {
                throw ctx.error("scale_factors must have " + n + " entries");
            }
            for (int i = 0; i < n; i++) {
                double s = dev.kiln.ir.Args.toDouble(l.elements().get(l.elements().size() == 1 ? 0 : i), ctx.node(), "scale_factors");
                SymExpr in = xd.get(2 + i);
                Optional<SymExpr> o = ShapeMath.scaled(in, s);
                out.add(o.orElseThrow(() -> ctx.unresolved("the symbolic size " + in + " scaled by " + s + " is not expressible")));
            }
        } else {
            throw ctx.error("upsample needs output_size or scale_factors");
        }
        return InferenceContext.tensorType(x.elementType(), out);
    }

    /** Pads (or, with negative pads, crops) the last dims: pairs of (before, after) from the last dim backwards. */
    private static TensorType pad(InferenceContext ctx, String self, String padName, boolean constant) {
        TensorType x = ctx.tensor(self);
        List<SymExpr> pads = ctx.symInts(padName);
        List<SymExpr> d = new ArrayList<>(x.shape().dims());
        if (pads.size() % 2 != 0 || pads.size() / 2 > d.size()) {
            throw ctx.error("padding length " + pads.size() + " must be even and at most twice the rank " + d.size());
        }
        for (int i = 0; i < pads.size() / 2; i++) {
            int dim = d.size() - 1 - i;
            SymExpr s = SymExpr.add(d.get(dim), SymExpr.add(pads.get(2 * i), pads.get(2 * i + 1)));
            if (s instanceof SymExpr.Const v && v.value() < 0) {
                throw ctx.error("padding makes dimension " + dim + " negative (" + v.value() + ")");
            }
            d.set(dim, s);
        }
        return InferenceContext.tensorType(x.elementType(), d);
    }
}
