package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import org.bytedeco.tensorrt.global.nvinfer.PaddingMode;
import org.bytedeco.tensorrt.global.nvinfer.PoolingType;
import org.bytedeco.tensorrt.global.nvinfer.ReduceOperation;
import org.bytedeco.tensorrt.nvinfer.IPoolingLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.Arrays;
import java.util.Optional;

/**
 * Pooling: {@code max_pool1d/2d/3d} (+ {@code _with_indices} when the indices are unused),
 * {@code avg_pool1d/2d/3d} (count_include_pad, ceil_mode), and adaptive average pooling
 * ({@code adaptive_avg_pool1d/2d}, {@code _adaptive_avg_pool2d}) when each input size is a multiple
 * of the output size (output 1 works with symbolic sizes: a mean). 1d pools run as 2d with a unit
 * height.
 *
 * <pre>{@code aten::max_pool2d(%x, [3, 3], [2, 2], [1, 1]) -> IPoolingLayer(kMAX)}</pre>
 */
public final class PoolingConverters {
    private PoolingConverters() {
    }

    /** Inputs are [N, C, *spatial] or unbatched [C, *spatial]; returns the pooled tensor in the input's layout. */
    static ITensor pool(ConversionContext ctx, ITensor x, int spatial, PoolingType type, long[] k, long[] s, long[] p, boolean ceil,
                        boolean excludePad) {
        boolean unbatched = Layers.rank(x) == spatial + 1;
        if (unbatched) {
            x = Layers.unsqueeze(ctx, x, 0);
        }
        if (spatial == 1) {
            x = Layers.unsqueeze(ctx, x, 2);
            k = new long[] {1, k[0]};
            s = new long[] {1, s[0]};
            p = new long[] {0, p[0]};
        }
        IPoolingLayer l = ctx.named(ctx.network().addPoolingNd(x, type, Layers.dims(k)));
        l.setStrideNd(Layers.dims(s));
        l.setPrePadding(Layers.dims(p));
        l.setPostPadding(Layers.dims(p));
        l.setPaddingMode(ceil ? PaddingMode.kEXPLICIT_ROUND_UP : PaddingMode.kEXPLICIT_ROUND_DOWN);
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
            return type == PoolingType.kMAX ? "dilation 1; indices unused" : "no divisor_override";
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
            boolean padded = false;
            for (int i = 0; i < spatial; i++) {
                if (p[i] * 2 > k[i]) {
                    return Support.no("padding " + p[i] + " is more than half the kernel " + k[i]);
                }
                padded |= p[i] > 0;
            }
            if (type == PoolingType.kAVERAGE && padded && n.boolArg("ceil_mode") && n.boolArg("count_include_pad")) {
                // PyTorch counts the explicit padding but not the ceil overhang; TensorRT counts both or neither
                return Support.no("avg pooling with ceil_mode=True, padding and count_include_pad=True is not supported; the node will run in libtorch");
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            long[] k = list(n, "kernel_size", spatial, null);
            long[] st = list(n, "stride", spatial, k);
            long[] p = list(n, "padding", spatial, new long[spatial]);
            boolean ceil = n.boolArg("ceil_mode");
            boolean padded = Arrays.stream(p).anyMatch(v -> v > 0);
            // without explicit padding, PyTorch never counts the ceil overhang: that is TensorRT's "exclude padding"
            boolean excludePad = n.schema().indexOf("count_include_pad").isPresent() && (!n.boolArg("count_include_pad") || (ceil && !padded));
            ITensor y = pool(ctx, x, spatial, type, k, st, p, ceil, excludePad);
            // the indices are unused (checked) and stay unbound
            ctx.bind(n.output(0), y);
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
            ctx.bind(n.output(), pool(ctx, x, spatial, PoolingType.kAVERAGE, k, k, new long[spatial], false, false));
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
