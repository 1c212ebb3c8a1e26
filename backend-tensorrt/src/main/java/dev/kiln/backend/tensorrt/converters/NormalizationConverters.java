package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.ReduceOperation;
import org.bytedeco.tensorrt.global.nvinfer.UnaryOperation;
import org.bytedeco.tensorrt.nvinfer.INormalizationLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Inference normalizations: batch norm ({@code batch_norm}, {@code native_batch_norm} with
 * training=False, {@code _native_batch_norm_legit_no_training}), layer norm ({@code layer_norm},
 * {@code native_layer_norm} with its mean/rstd outputs) and group norm ({@code group_norm},
 * {@code native_group_norm}). Batch norm with constant statistics is folded into one per-channel
 * scale and shift; layer and group norm use TensorRT's normalization layer, except group norm with
 * one element per group (element-wise layers) or a symbolic group size that may be 1 (reductions): the
 * normalization layer fails to build for one-element groups.
 *
 * <pre>{@code aten::layer_norm(%x, [768], %w, %b, 1e-5) -> INormalizationLayer(axes = last dim)}</pre>
 */
public final class NormalizationConverters {
    private NormalizationConverters() {
    }

    /** {@code t} (a 1-d per-channel tensor) shaped [1, C, 1, ...] for a rank-{@code rank} input, in {@code dtype}. */
    static ITensor perChannel(ConversionContext ctx, Arg t, DType dtype, int rank) {
        long[] shape = new long[rank];
        Arrays.fill(shape, 1);
        shape[1] = -1;
        return ctx.reshape(ctx.cast(ctx.get(t), dtype), shape);
    }

    // ------------------------------------------------------------------ batch norm

    abstract static class BatchNorm extends AtenConverter {
        BatchNorm(String op) {
            super(op);
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("input", "weight", "bias", "running_mean", "running_var");
        }

        /** The training flag, absent for the no_training overload. */
        Optional<String> trainingArg() {
            return Optional.of("training");
        }

        @Override
        public String limits() {
            return "inference only (training=False, running statistics given)";
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            if (trainingArg().isPresent() && n.boolArg(trainingArg().get())) {
                return Support.no("batch norm in training mode computes batch statistics; export the model in eval() mode");
            }
            if (n.arg("running_mean").isNone() || n.arg("running_var").isNone()) {
                return Support.no("batch norm without running statistics uses batch statistics; only inference batch norm converts");
            }
            TensorType x = type(n, "input");
            if (x.rank() < 2) {
                return Support.no("batch norm needs an input of rank >= 2, got " + x.rank());
            }
            for (int i = 1; i < n.outputs().size(); i++) {
                if (n.output(i).isUsed()) {
                    return Support.no("output " + i + " (saved statistics) is used; only the normalized output converts");
                }
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("input"));
            DType dt = ctx.dtype(x);
            int rank = Layers.rank(x);
            double eps = n.doubleArg("eps");
            Optional<ConstantTensor> mean = Layers.constantValue(n.arg("running_mean"));
            Optional<ConstantTensor> var = Layers.constantValue(n.arg("running_var"));
            Optional<ConstantTensor> w = Layers.constantValue(n.arg("weight"));
            Optional<ConstantTensor> b = Layers.constantValue(n.arg("bias"));
            boolean folded = mean.isPresent() && var.isPresent() && (n.arg("weight").isNone() || w.isPresent())
                    && (n.arg("bias").isNone() || b.isPresent());
            ITensor scale;
            ITensor shift;
            long[] shape = new long[rank];
            Arrays.fill(shape, 1);
            if (folded) {
                // scale = w / sqrt(var + eps), shift = b - mean * scale, computed in double once
                int c = (int) mean.get().numel();
                double[] sc = new double[c];
                double[] sh = new double[c];
                for (int i = 0; i < c; i++) {
                    double wi = w.isPresent() ? w.get().getDouble(i) : 1.0;
                    double bi = b.isPresent() ? b.get().getDouble(i) : 0.0;
                    sc[i] = wi / Math.sqrt(var.get().getDouble(i) + eps);
                    sh[i] = bi - mean.get().getDouble(i) * sc[i];
                }
                shape[1] = c;
                scale = Layers.constant(ctx, dt, shape, sc);
                shift = Layers.constant(ctx, dt, shape, sh);
            } else {
                ITensor m = perChannel(ctx, n.arg("running_mean"), dt, rank);
                ITensor v = perChannel(ctx, n.arg("running_var"), dt, rank);
                ITensor inv = Layers.unary(ctx, Layers.unary(ctx, Layers.elementwise(ctx, v, ctx.scalar(eps, dt, rank), ElementWiseOperation.kSUM),
                        UnaryOperation.kSQRT), UnaryOperation.kRECIP);
                scale = n.arg("weight").isNone() ? inv
                        : Layers.elementwise(ctx, perChannel(ctx, n.arg("weight"), dt, rank), inv, ElementWiseOperation.kPROD);
                ITensor ms = Layers.elementwise(ctx, m, scale, ElementWiseOperation.kPROD);
                shift = n.arg("bias").isNone() ? Layers.unary(ctx, ms, UnaryOperation.kNEG)
                        : Layers.elementwise(ctx, perChannel(ctx, n.arg("bias"), dt, rank), ms, ElementWiseOperation.kSUB);
            }
            ITensor y = Layers.elementwise(ctx, Layers.elementwise(ctx, x, scale, ElementWiseOperation.kPROD), shift, ElementWiseOperation.kSUM);
            // the saved statistics are unused (checked) and stay unbound
            ctx.bind(n.output(0), y);
        }
    }

    @AutoService(OpConverter.class)
    public static final class BatchNormOp extends BatchNorm {
        public BatchNormOp() {
            super("aten::batch_norm");
        }
    }

    @AutoService(OpConverter.class)
    public static final class NativeBatchNorm extends BatchNorm {
        public NativeBatchNorm() {
            super("aten::native_batch_norm");
        }
    }

    @AutoService(OpConverter.class)
    public static final class NativeBatchNormLegitNoTraining extends BatchNorm {
        public NativeBatchNormLegitNoTraining() {
            super("aten::_native_batch_norm_legit_no_training");
        }

        @Override
        Optional<String> trainingArg() {
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ layer norm

    abstract static class LayerNorm extends AtenConverter {
        LayerNorm(String op) {
            super(op);
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("input", "weight", "bias");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lit = requireIntLiterals(n, "normalized_shape");
            if (!lit.isSupported()) {
                return lit;
            }
            int rank = type(n, "input").rank();
            long[] ns = n.intListArg("normalized_shape");
            if (ns.length == 0 || ns.length > rank) {
                return Support.no("normalized_shape " + Arrays.toString(ns) + " does not fit an input of rank " + rank);
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("input"));
            DType dt = ctx.dtype(x);
            int rank = Layers.rank(x);
            long[] ns = n.intListArg("normalized_shape");
            int k = ns.length;
            long[] pshape = new long[rank];
            Arrays.fill(pshape, 1);
            System.arraycopy(ns, 0, pshape, rank - k, k);
            ITensor scale = n.arg("weight").isNone() ? Layers.filled(ctx, dt, pshape, 1.0) : ctx.reshape(ctx.cast(ctx.get(n.arg("weight")), dt), pshape);
            ITensor bias = n.arg("bias").isNone() ? Layers.filled(ctx, dt, pshape, 0.0) : ctx.reshape(ctx.cast(ctx.get(n.arg("bias")), dt), pshape);
            int mask = 0;
            for (int i = rank - k; i < rank; i++) {
                mask |= 1 << i;
            }
            double eps = n.doubleArg("eps");
            INormalizationLayer l = ctx.named(ctx.network().addNormalization(x, scale, bias, mask));
            l.setEpsilon((float) eps);
            ctx.bind(n.output(0), l.getOutput(0));
            if (n.outputs().size() == 3) {
                ITensor[] mr = meanRstd(ctx, x, mask, eps);
                ctx.bind(n.output(1), mr[0]);
                ctx.bind(n.output(2), mr[1]);
            }
        }
    }

    /** Mean and 1/sqrt(var + eps) over {@code mask}, kept dims (the saved statistics of native norms). */
    static ITensor[] meanRstd(ConversionContext ctx, ITensor x, int mask, double eps) {
        ITensor mean = Layers.reduce(ctx, x, ReduceOperation.kAVG, mask, true);
        ITensor d = Layers.elementwise(ctx, x, mean, ElementWiseOperation.kSUB);
        ITensor var = Layers.reduce(ctx, Layers.elementwise(ctx, d, d, ElementWiseOperation.kPROD), ReduceOperation.kAVG, mask, true);
        ITensor rstd = Layers.unary(ctx, Layers.unary(ctx, Layers.elementwise(ctx, var, ctx.scalar(eps, ctx.dtype(x), Layers.rank(x)),
                ElementWiseOperation.kSUM), UnaryOperation.kSQRT), UnaryOperation.kRECIP);
        return new ITensor[] {mean, rstd};
    }

    @AutoService(OpConverter.class)
    public static final class LayerNormOp extends LayerNorm {
        public LayerNormOp() {
            super("aten::layer_norm");
        }
    }

    @AutoService(OpConverter.class)
    public static final class NativeLayerNorm extends LayerNorm {
        public NativeLayerNorm() {
            super("aten::native_layer_norm");
        }
    }

    // ------------------------------------------------------------------ group norm

    abstract static class GroupNorm extends AtenConverter {
        GroupNorm(String op) {
            super(op);
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("input", "weight", "bias");
        }

        abstract long groups(Node n);

        @Override
        public String limits() {
            return "static channel count divisible by the groups";
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            TensorType x = type(n, "input");
            if (x.rank() < 2) {
                return Support.no("group norm needs an input of rank >= 2, got " + x.rank());
            }
            Optional<Long> c = Layers.staticDim(x, 1);
            long g = groups(n);
            if (c.isEmpty()) {
                return Support.no("the channel dimension is symbolic; group norm needs a static channel count");
            }
            if (g < 1 || c.get() % g != 0) {
                return Support.no("channels " + c.get() + " are not divisible by " + g + " groups");
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("input"));
            DType dt = ctx.dtype(x);
            int rank = Layers.rank(x);
            long g = groups(n);
            double eps = n.doubleArg("eps");
            // [N, C, *] -> [N, G, C/G * prod(*)]: an instance norm over the last axis with G "channels"
            ITensor shape3 = Layers.concat(ctx, List.of(Layers.gatherShape(ctx, x, new int[] {0}), Layers.longs(ctx, g, -1)), 0);
            ITensor r = ctx.reshape(x, shape3);
            ITensor y;
            SymExpr groupSize = groupSize(type(n, "input"), g);
            if (groupSize.equals(SymExpr.of(1))) {
                // one element per group: mean = x and var = 0, so PyTorch's (x - mean) * rstd is (x - x) * rstd: 0 for finite x,
                // NaN for inf/NaN x. TensorRT's normalization layer fails to build here (a shape.cpp tactic error).
                y = Layers.elementwise(ctx, x, x, ElementWiseOperation.kSUB);
                float rstd = oneElementRstd(eps);
                if (!Float.isFinite(rstd)) {
                    // a finite rstd leaves 0 and NaN as they are (and could overflow f16, while PyTorch computes it in f32);
                    // an infinite or NaN one (eps <= 0 in f32) makes every element NaN, as in PyTorch
                    y = Layers.elementwise(ctx, y, ctx.scalar(rstd, dt, rank), ElementWiseOperation.kPROD);
                }
            } else if (mayHoldOne(groupSize)) {
                // a symbolic group size that may be 1 at run time: TensorRT's normalization layer does not build for
                // one-element groups, so the statistics come from reductions (in f32 for f16/bf16, as PyTorch computes them)
                y = ctx.reshape(Layers.inOpmath(ctx, r, v -> {
                    ITensor[] mr = meanRstd(ctx, v, 1 << 2, eps);
                    return Layers.elementwise(ctx, Layers.elementwise(ctx, v, mr[0], ElementWiseOperation.kSUB), mr[1],
                            ElementWiseOperation.kPROD);
                }), ctx.shapeOf(x));
            } else {
                INormalizationLayer l = ctx.named(ctx.network().addNormalization(r, Layers.filled(ctx, dt, new long[] {1, g, 1}, 1.0),
                        Layers.filled(ctx, dt, new long[] {1, g, 1}, 0.0), 1 << 2));
                l.setEpsilon((float) eps);
                y = ctx.reshape(l.getOutput(0), ctx.shapeOf(x));
            }
            if (!n.arg("weight").isNone()) {
                y = Layers.elementwise(ctx, y, perChannel(ctx, n.arg("weight"), dt, rank), ElementWiseOperation.kPROD);
            }
            if (!n.arg("bias").isNone()) {
                y = Layers.elementwise(ctx, y, perChannel(ctx, n.arg("bias"), dt, rank), ElementWiseOperation.kSUM);
            }
            ctx.bind(n.output(0), y);
            if (n.outputs().size() == 3) {
                // saved statistics of native_group_norm: [N, G]; for one-element groups the reductions give mean = x,
                // rstd = 1/sqrt(eps) (NaN for inf/NaN x), as PyTorch does
                ITensor[] mr = meanRstd(ctx, r, 1 << 2, eps);
                ctx.bind(n.output(1), Layers.squeeze(ctx, mr[0], 2));
                ctx.bind(n.output(2), Layers.squeeze(ctx, mr[1], 2));
            }
        }
    }

    /** Elements per group of a group norm over {@code x} (rank >= 2, static channels): C / groups * prod(sizes[2:]). */
    static SymExpr groupSize(TensorType x, long groups) {
        SymExpr size = SymExpr.of(Layers.staticDim(x, 1).orElseThrow() / groups);
        for (int i = 2; i < x.rank(); i++) {
            size = SymExpr.mul(size, x.shape().dim(i));
        }
        return size;
    }

    /** Whether a symbolic group size may be 1 at run time (its range holds 1). */
    static boolean mayHoldOne(SymExpr size) {
        return !size.isConstant() && Layers.rangeHoldsOne(size);
    }

    /**
     * PyTorch's rstd of a one-element group, 1 / sqrt(0 + eps), as an f32 (its kernels take eps in f32 for f32, f16 and bf16):
     * infinite when eps is 0 in f32, NaN when it is negative.
     */
    static float oneElementRstd(double eps) {
        return (float) (1 / Math.sqrt((float) eps));
    }

    @AutoService(OpConverter.class)
    public static final class GroupNormOp extends GroupNorm {
        public GroupNormOp() {
            super("aten::group_norm");
        }

        @Override
        long groups(Node n) {
            return n.intArg("num_groups");
        }
    }

    @AutoService(OpConverter.class)
    public static final class NativeGroupNorm extends GroupNorm {
        public NativeGroupNorm() {
            super("aten::native_group_norm");
        }

        @Override
        long groups(Node n) {
            return n.intArg("group");
        }
    }
}
