package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.PaddingMode;
import org.bytedeco.tensorrt.global.nvinfer.PoolingType;
import org.bytedeco.tensorrt.global.nvinfer.ReduceOperation;
import org.bytedeco.tensorrt.nvinfer.IPoolingLayer;
import org.bytedeco.tensorrt.nvinfer.ISliceLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Pooling: {@code max_pool1d/2d/3d} (+ {@code _with_indices} when the indices are unused),
 * {@code avg_pool1d/2d/3d} (count_include_pad, ceil_mode), and adaptive average pooling
 * ({@code adaptive_avg_pool1d/2d}, {@code _adaptive_avg_pool2d}) when each input size is a multiple
 * of the output size (output 1 works with symbolic sizes: a mean). 1d pools run as 2d with a unit
 * height. ceil_mode follows PyTorch's size rule (the last window starts inside the input or its left
 * padding) through explicit post padding, so it needs static spatial sizes; where PyTorch's
 * count_include_pad divisor differs from TensorRT's, a constant per output position rescales the average.
 *
 * <pre>{@code aten::max_pool2d(%x, [3, 3], [2, 2], [1, 1]) -> IPoolingLayer(kMAX)}</pre>
 */
public final class PoolingConverters {
    private PoolingConverters() {
    }

    /**
     * Inputs are [N, C, *spatial] or unbatched [C, *spatial]; returns the pooled tensor in the input's layout.
     * TensorRT rounds down over the input padded by {@code pre} and {@code post}, so the caller picks
     * {@code post} to give PyTorch's output size (see {@link #postPadding}).
     */
    static ITensor pool(ConversionContext ctx, ITensor x, int spatial, PoolingType type, long[] k, long[] s, long[] pre, long[] post,
                        boolean excludePad) {
        return pool(ctx, x, spatial, type, k, s, pre, post, excludePad, PaddingMode.kEXPLICIT_ROUND_DOWN);
    }

    private static ITensor pool(ConversionContext ctx, ITensor x, int spatial, PoolingType type, long[] k, long[] s, long[] pre,
                                long[] post, boolean excludePad, PaddingMode rounding) {
        boolean unbatched = Layers.rank(x) == spatial + 1;
        if (unbatched) {
            x = Layers.unsqueeze(ctx, x, 0);
        }
        if (spatial == 1) {
            x = Layers.unsqueeze(ctx, x, 2);
            k = new long[] {1, k[0]};
            s = new long[] {1, s[0]};
            pre = new long[] {0, pre[0]};
            post = new long[] {0, post[0]};
        }
        IPoolingLayer l = ctx.named(ctx.network().addPoolingNd(x, type, Layers.dims(k)));
        l.setStrideNd(Layers.dims(s));
        l.setPrePadding(Layers.dims(pre));
        l.setPostPadding(Layers.dims(post));
        l.setPaddingMode(rounding);
        if (type == PoolingType.kAVERAGE) {
            l.setAverageCountExcludesPadding(excludePad);
        }
        ITensor y = l.getOutput(0);
        if (spatial == 1) {
            y = Layers.squeeze(ctx, y, 2);
        }
        if (unbatched) {
            y = Layers.squeeze(ctx, y, 0);
        }
        return y;
    }

    /**
     * PyTorch's pooled size of one spatial dim (ATen {@code Pool.h pooling_output_shape}): in ceil mode
     * the last window must start inside the input or its left padding, a rule TensorRT's round-up lacks.
     *
     * <pre>{@code outputSize(2, 1, 2, 0, 1, true) == 1   // TensorRT's kEXPLICIT_ROUND_UP gives 2}</pre>
     */
    static long outputSize(long in, long k, long s, long p, long d, boolean ceil) {
        long span = in + 2 * p - d * (k - 1) - 1;
        long out = Math.floorDiv(ceil ? span + s - 1 : span, s) + 1;
        if (ceil && (out - 1) * s >= in + p) {
            out--;
        }
        return out;
    }

    /**
     * {@code y}, TensorRT's round-up max pooling of {@code x}, cropped to PyTorch's ceil-mode size where the sizes
     * are symbolic: a window starts at {@code o*s - p} and PyTorch keeps it only if that is inside the input, so
     * {@code out = min(roundUp, floor((L + p - 1) / s) + 1)} per spatial dim, computed on shape tensors.
     */
    static ITensor ceilModeCrop(ConversionContext ctx, ITensor x, ITensor y, int spatial, long[] s, long[] p) {
        int rank = Layers.rank(y);
        List<ITensor> size = new ArrayList<>();
        for (int a = 0; a < rank - spatial; a++) {
            size.add(ctx.dim(y, a));
        }
        for (int i = 0; i < spatial; i++) {
            int a = rank - spatial + i;
            ITensor starts = ShapeConverters.shapeOp(ctx, ctx.dim(x, a), Layers.longs(ctx, p[i] - 1), ElementWiseOperation.kSUM);
            starts = ShapeConverters.shapeOp(ctx, starts, Layers.longs(ctx, s[i]), ElementWiseOperation.kFLOOR_DIV);
            starts = ShapeConverters.shapeOp(ctx, starts, Layers.longs(ctx, 1), ElementWiseOperation.kSUM);
            size.add(ShapeConverters.shapeOp(ctx, starts, ctx.dim(y, a), ElementWiseOperation.kMIN));
        }
        long[] ones = new long[rank];
        Arrays.fill(ones, 1);
        ISliceLayer sl = ctx.named(ctx.network().addSlice(y, Layers.dims(new long[rank]), Layers.dims(new long[rank]), Layers.dims(ones)));
        sl.setInput(2, Layers.concat(ctx, size, 0));
        return sl.getOutput(0);
    }

    /**
     * The padding after the input that makes TensorRT's round-down size {@code out}: the last window
     * ends exactly at the padded end. Never negative (TensorRT's floor drops an unused tail), and below
     * the effective kernel because PyTorch's last window starts inside the input.
     */
    static long postPadding(long in, long out, long k, long s, long p, long d) {
        return Math.max(0, (out - 1) * s + d * (k - 1) + 1 - in - p);
    }

    /**
     * PyTorch's avg_pool divisor at each output position of one spatial dim: the window clipped to
     * {@code [-p, in + p)} with {@code count_include_pad} (the explicit padding counts, a ceil-mode
     * overhang does not), else to the input {@code [0, in)}.
     */
    static long[] divisors(long in, long out, long k, long s, long p, boolean countPad) {
        long[] c = new long[Math.toIntExact(out)];
        for (int o = 0; o < c.length; o++) {
            long start = o * s - p;
            long end = Math.min(start + k, in + p);
            if (!countPad) {
                start = Math.max(start, 0);
                end = Math.min(end, in);
            }
            c[o] = end - start;
        }
        return c;
    }

    /**
     * What TensorRT's include-padding average (a division by the kernel volume) is multiplied by to give
     * PyTorch's {@code count_include_pad} average, row-major over the output positions.
     */
    static double[] includePadRescale(long[] in, long[] out, long[] k, long[] s, long[] p) {
        long volume = 1;
        long positions = 1;
        long[][] div = new long[in.length][];
        for (int i = 0; i < in.length; i++) {
            volume *= k[i];
            positions *= out[i];
            div[i] = divisors(in[i], out[i], k[i], s[i], p[i], true);
        }
        double[] f = new double[Math.toIntExact(positions)];
        for (int flat = 0; flat < f.length; flat++) {
            long d = 1;
            int rest = flat;
            for (int i = in.length - 1; i >= 0; i--) {
                d *= div[i][(int) (rest % out[i])];
                rest /= (int) out[i];
            }
            f[flat] = (double) volume / d;
        }
        return f;
    }

    static long[] list(Node n, String name, int spatial, long[] dflt) {
        long[] v = n.intListArg(name);
        if (v.length == 0) {
            return dflt;
        }
        if (v.length == spatial) {
            return v;
        }
        long[] out = new long[spatial];
        Arrays.fill(out, v[0]);
        return out;
    }

    abstract static class Pool extends AtenConverter {
        private final int spatial;
        private final PoolingType type;

        Pool(String op, int spatial, PoolingType type) {
            super(op);
            this.spatial = spatial;
            this.type = type;
        }

        @Override
        public String limits() {
            return (type == PoolingType.kMAX ? "dilation 1; indices unused" : "no divisor_override")
                    + (type == PoolingType.kAVERAGE ? "; ceil_mode with static spatial sizes" : "");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            if (rank != spatial + 1 && rank != spatial + 2) {
                return Support.no("input of rank " + rank + " for a " + spatial + "d pool");
            }
            for (String a : new String[] {"kernel_size", "stride", "padding"}) {
                Support lit = requireIntLiterals(n, a);
                if (!lit.isSupported()) {
                    return lit;
                }
            }
            if (n.schema().indexOf("dilation").isPresent()) {
                for (long d : n.intListArg("dilation")) {
                    if (d != 1) {
                        return Support.no("dilation " + Arrays.toString(n.intListArg("dilation")) + " is not supported (TensorRT pooling has no dilation)");
                    }
                }
            }
            if (n.schema().indexOf("divisor_override").isPresent() && !n.arg("divisor_override").isNone()) {
                return Support.no("divisor_override is not supported");
            }
            for (int i = 1; i < n.outputs().size(); i++) {
                if (n.output(i).isUsed()) {
                    return Support.no("the indices output is used; TensorRT pooling does not produce indices (the node will run in libtorch)");
                }
            }
            long[] k = list(n, "kernel_size", spatial, null);
            long[] p = list(n, "padding", spatial, new long[spatial]);
            for (int i = 0; i < spatial; i++) {
                if (p[i] * 2 > k[i]) {
                    return Support.no("padding " + p[i] + " is more than half the kernel " + k[i]);
                }
            }
            if (n.boolArg("ceil_mode") && type == PoolingType.kAVERAGE) {
                // max pooling crops TensorRT's round-up result to PyTorch's size at run time (ceilModeCrop); an average's
                // divisors near the end depend on the sizes, which must then be known when converting
                TensorType t = type(n, "self");
                for (int axis = rank - spatial; axis < rank; axis++) {
                    if (Layers.staticDim(t, axis).isEmpty()) {
                        return Support.no("avg pooling with ceil_mode=True and the symbolic spatial size " + t.shape().dim(axis)
                                + " is not supported: PyTorch's ceil-mode divisors are set at conversion time from static sizes"
                                + " (the node will run in libtorch)");
                    }
                }
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            TensorType t = type(n, "self");
            long[] k = list(n, "kernel_size", spatial, null);
            long[] st = list(n, "stride", spatial, k);
            long[] p = list(n, "padding", spatial, new long[spatial]);
            long[] in = new long[spatial];
            long[] out = new long[spatial];
            // without ceil mode, padding p after the input and TensorRT's round-down give PyTorch's size, symbolic sizes too
            long[] post = p.clone();
            boolean symbolic = false;
            for (int i = 0; i < spatial; i++) {
                symbolic |= Layers.staticDim(t, t.rank() - spatial + i).isEmpty();
            }
            if (n.boolArg("ceil_mode") && symbolic) {
                // max pooling only (checked): TensorRT's round-up, cropped to PyTorch's size at run time
                ITensor y = pool(ctx, x, spatial, type, k, st, p, p, false, PaddingMode.kEXPLICIT_ROUND_UP);
                ctx.bind(n.output(0), ceilModeCrop(ctx, x, y, spatial, st, p));
                return;
            }
            if (n.boolArg("ceil_mode")) {
                for (int i = 0; i < spatial; i++) {
                    in[i] = Layers.staticDim(t, t.rank() - spatial + i).orElseThrow(); // checked
                    out[i] = outputSize(in[i], k[i], st[i], p[i], 1, true);
                    post[i] = postPadding(in[i], out[i], k[i], st[i], p[i], 1);
                }
            }
            // the indices are unused (checked) and stay unbound
            if (type == PoolingType.kMAX) {
                // TensorRT's max pooling ignores padding, so the extra post padding changes no value
                ctx.bind(n.output(0), pool(ctx, x, spatial, type, k, st, p, post, false));
                return;
            }
            boolean countPad = n.boolArg("count_include_pad");
            boolean overhang = false;
            boolean padded = false;
            for (int i = 0; i < spatial; i++) {
                overhang |= post[i] > p[i];
                padded |= p[i] > 0;
            }
            if (!countPad || !overhang) {
                // TensorRT excludes all padding or counts all of it; without an overhang past the padding that is PyTorch's divisor
                ctx.bind(n.output(0), pool(ctx, x, spatial, type, k, st, p, post, !countPad));
                return;
            }
            if (!padded) {
                // no explicit padding: PyTorch's window clipped to [-0, in + 0) counts the input elements only
                ctx.bind(n.output(0), pool(ctx, x, spatial, type, k, st, p, post, true));
                return;
            }
            // PyTorch counts the explicit padding but not the ceil-mode overhang, which TensorRT cannot count apart:
            // rescale TensorRT's kernel-volume average per output position, in f32 so f16/bf16 round once
            DType dtype = ctx.dtype(x);
            ITensor y = pool(ctx, ctx.cast(x, DType.FLOAT32), spatial, type, k, st, p, post, false);
            long[] shape = new long[Layers.rank(y)];
            Arrays.fill(shape, 1);
            System.arraycopy(out, 0, shape, shape.length - spatial, spatial);
            ITensor rescale = Layers.constant(ctx, DType.FLOAT32, shape, includePadRescale(in, out, k, st, p));
            y = Layers.elementwise(ctx, y, rescale, ElementWiseOperation.kPROD);
            ctx.bind(n.output(0), ctx.cast(y, dtype));
        }
    }

    @AutoService(OpConverter.class)
    public static final class MaxPool1d extends Pool {
        public MaxPool1d() {
            super("aten::max_pool1d", 1, PoolingType.kMAX);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MaxPool2d extends Pool {
        public MaxPool2d() {
            super("aten::max_pool2d", 2, PoolingType.kMAX);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MaxPool3d extends Pool {
        public MaxPool3d() {
            super("aten::max_pool3d", 3, PoolingType.kMAX);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MaxPool1dWithIndices extends Pool {
        public MaxPool1dWithIndices() {
            super("aten::max_pool1d_with_indices", 1, PoolingType.kMAX);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MaxPool2dWithIndices extends Pool {
        public MaxPool2dWithIndices() {
            super("aten::max_pool2d_with_indices", 2, PoolingType.kMAX);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MaxPool3dWithIndices extends Pool {
        public MaxPool3dWithIndices() {
            super("aten::max_pool3d_with_indices", 3, PoolingType.kMAX);
        }
    }

    @AutoService(OpConverter.class)
    public static final class AvgPool1d extends Pool {
        public AvgPool1d() {
            super("aten::avg_pool1d", 1, PoolingType.kAVERAGE);
        }
    }

    @AutoService(OpConverter.class)
    public static final class AvgPool2d extends Pool {
        public AvgPool2d() {
            super("aten::avg_pool2d", 2, PoolingType.kAVERAGE);
        }
    }

    @AutoService(OpConverter.class)
    public static final class AvgPool3d extends Pool {
        public AvgPool3d() {
            super("aten::avg_pool3d", 3, PoolingType.kAVERAGE);
        }
    }

    /** Adaptive average pooling as a regular pool (input a multiple of output) or a mean (output 1). */
    abstract static class Adaptive extends AtenConverter {
        private final int spatial;

        Adaptive(String op, int spatial) {
            super(op);
            this.spatial = spatial;
        }

        @Override
        public String limits() {
            return "each input size a multiple of the output size (output 1: any size, symbolic too)";
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            TensorType t = type(n, "self");
            if (t.rank() != spatial + 1 && t.rank() != spatial + 2) {
                return Support.no("input of rank " + t.rank() + " for a " + spatial + "d adaptive pool");
            }
            Support lit = requireIntLiterals(n, "output_size");
            if (!lit.isSupported()) {
                return lit;
            }
            long[] out = list(n, "output_size", spatial, null);
            for (int i = 0; i < spatial; i++) {
                if (out[i] == 1) {
                    continue;
                }
                int axis = t.rank() - spatial + i;
                Optional<Long> in = Layers.staticDim(t, axis);
                if (in.isEmpty()) {
                    return Support.no("spatial size " + t.shape().dim(axis) + " is symbolic and output size " + out[i] + " is not 1");
                }
                if (out[i] < 1 || in.get() % out[i] != 0) {
                    return Support.no("input size " + in.get() + " is not a multiple of output size " + out[i]
                            + " (uneven adaptive windows are not supported; the node will run in libtorch)");
                }
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int rank = Layers.rank(x);
            long[] out = list(n, "output_size", spatial, null);
            boolean allOne = true;
            for (long o : out) {
                allOne &= o == 1;
            }
            if (allOne) {
                int mask = 0;
                for (int i = rank - spatial; i < rank; i++) {
                    mask |= 1 << i;
                }
                ctx.bind(n.output(), Layers.reduce(ctx, x, ReduceOperation.kAVG, mask, true));
                return;
            }
            long[] sz = Layers.sizes(x);
            long[] k = new long[spatial];
            for (int i = 0; i < spatial; i++) {
                k[i] = sz[rank - spatial + i] / out[i];
            }
            ctx.bind(n.output(), pool(ctx, x, spatial, PoolingType.kAVERAGE, k, k, new long[spatial], new long[spatial], false));
        }
    }

    @AutoService(OpConverter.class)
    public static final class AdaptiveAvgPool1d extends Adaptive {
        public AdaptiveAvgPool1d() {
            super("aten::adaptive_avg_pool1d", 1);
        }
    }

    @AutoService(OpConverter.class)
    public static final class AdaptiveAvgPool2d extends Adaptive {
        public AdaptiveAvgPool2d() {
            super("aten::adaptive_avg_pool2d", 2);
        }
    }

    @AutoService(OpConverter.class)
    public static final class UnderscoreAdaptiveAvgPool2d extends Adaptive {
        public UnderscoreAdaptiveAvgPool2d() {
            super("aten::_adaptive_avg_pool2d", 2);
        }
    }
}
