package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.ReduceOperation;
import org.bytedeco.tensorrt.global.nvinfer.UnaryOperation;
import org.bytedeco.tensorrt.nvinfer.ISoftMaxLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.List;
import java.util.Optional;

/**
 * Softmax and log-softmax ({@code softmax.int}, {@code _softmax}, {@code log_softmax.int},
 * {@code _log_softmax}; log-softmax is computed stably as {@code x - max - log(sum(exp(x - max)))}),
 * and {@code scaled_dot_product_attention} decomposed into matmul, scale, mask, softmax, matmul
 * (boolean or additive masks, {@code is_causal}, {@code scale}).
 *
 * <pre>{@code aten::softmax.int(%x, -1) -> ISoftMaxLayer(axes = 1 << (rank-1))}</pre>
 */
public final class SoftmaxConverters {
    private SoftmaxConverters() {
    }

    /** Softmax along {@code axis}; TensorRT's softmax layer needs rank >= 2, so a vector runs as a one-row matrix. */
    static ITensor softmax(ConversionContext ctx, ITensor x, int axis) {
        boolean vector = Layers.rank(x) == 1;
        if (vector) {
            x = Layers.unsqueeze(ctx, x, 0);
            axis = 1;
        }
        ISoftMaxLayer s = ctx.named(ctx.network().addSoftMax(x));
        s.setAxes(1 << axis);
        ITensor y = s.getOutput(0);
        return vector ? Layers.squeeze(ctx, y, 0) : y;
    }

    static ITensor logSoftmax(ConversionContext ctx, ITensor x, int axis) {
        ITensor m = Layers.reduce(ctx, x, ReduceOperation.kMAX, 1 << axis, true);
        ITensor s = Layers.elementwise(ctx, x, m, ElementWiseOperation.kSUB);
        ITensor sum = Layers.reduce(ctx, Layers.unary(ctx, s, UnaryOperation.kEXP), ReduceOperation.kSUM, 1 << axis, true);
        return Layers.elementwise(ctx, s, Layers.unary(ctx, sum, UnaryOperation.kLOG), ElementWiseOperation.kSUB);
    }

    abstract static class Softmax extends AtenConverter {
        private final boolean log;

        Softmax(String op, boolean log) {
            super(op);
            this.log = log;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            if (!Layers.validAxis(n.intArg("dim"), rank)) {
                return Support.no("dim " + n.intArg("dim") + " is out of range for rank " + rank);
            }
            return Layers.isTrtFloat(Layers.outDType(n, 0)) ? Support.yes() : Support.no("the result dtype must be a float type");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.cast(ctx.get(n.arg("self")), Layers.outDType(n, 0));
            int rank = Layers.rank(x);
            boolean scalar = rank == 0;
            if (scalar) {
                x = ctx.reshape(x, 1);
            }
            int axis = Layers.axis(n, n.intArg("dim"), Layers.rank(x));
            ITensor y = log ? logSoftmax(ctx, x, axis) : softmax(ctx, x, axis);
            ctx.bind(n.output(), scalar ? ctx.reshape(y, new long[0]) : y);
        }
    }

    @AutoService(OpConverter.class)
    public static final class SoftmaxInt extends Softmax {
        public SoftmaxInt() {
            super("aten::softmax.int", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class UnderscoreSoftmax extends Softmax {
        public UnderscoreSoftmax() {
            super("aten::_softmax", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class LogSoftmaxInt extends Softmax {
        public LogSoftmaxInt() {
            super("aten::log_softmax.int", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class UnderscoreLogSoftmax extends Softmax {
        public UnderscoreLogSoftmax() {
            super("aten::_log_softmax", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class ScaledDotProductAttention extends AtenConverter {
        public ScaledDotProductAttention() {
            super("aten::scaled_dot_product_attention");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("query", "key", "value");
        }

        @Override
        public String limits() {
            return "dropout_p=0; is_causal needs static sequence lengths; no enable_gqa; default scale needs a static head dim";
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            if (n.doubleArg("dropout_p") != 0.0) {
                return Support.no("dropout_p=" + n.doubleArg("dropout_p") + " is random; export the model in eval() mode");
            }
            if (n.schema().indexOf("enable_gqa").isPresent() && n.boolArg("enable_gqa")) {
                return Support.no("enable_gqa=True is not supported; repeat the key/value heads in the model");
            }
            TensorType q = type(n, "query");
            TensorType k = type(n, "key");
            if (q.rank() < 2 || k.rank() < 2 || type(n, "value").rank() < 2) {
                return Support.no("query, key and value must have rank >= 2");
            }
            Arg mask = n.arg("attn_mask");
            if (!mask.isNone()) {
                Optional<TensorType> m = Layers.tensorType(n, "attn_mask");
                if (m.isEmpty()) {
                    return Support.no("the dtype or rank of 'attn_mask' is not known; run shape propagation");
                }
                DType md = m.get().elementType();
                if (md != DType.BOOL && !Layers.isTrtFloat(md)) {
                    return Support.no("attn_mask of dtype " + md + " (expected bool or a float type)");
                }
            }
            if (n.boolArg("is_causal")) {
                if (!mask.isNone()) {
                    return Support.no("is_causal=True together with attn_mask is an error in PyTorch");
                }
                if (Layers.staticDim(q, q.rank() - 2).isEmpty() || Layers.staticDim(k, k.rank() - 2).isEmpty()) {
                    return Support.no("is_causal=True with symbolic sequence lengths is not supported (the causal mask is built at engine build time)");
                }
            }
            if (n.arg("scale").isNone() && Layers.staticDim(q, q.rank() - 1).isEmpty()) {
                return Support.no("the head dimension is symbolic and no scale is given");
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType dt = Layers.outDType(n, 0);
            ITensor q = ctx.cast(ctx.get(n.arg("query")), dt);
            ITensor k = ctx.cast(ctx.get(n.arg("key")), dt);
            ITensor v = ctx.cast(ctx.get(n.arg("value")), dt);
            TensorType qt = type(n, "query");
            double scale = n.arg("scale").isNone() ? 1.0 / Math.sqrt(Layers.staticDim(qt, qt.rank() - 1).orElseThrow()) : n.doubleArg("scale");
            ITensor scores = Layers.scale(ctx, MatmulConverters.matmul(ctx, q, k, true), scale);
            int rank = Layers.rank(scores);
            Arg mask = n.arg("attn_mask");
            if (!mask.isNone()) {
                ITensor m = ctx.get(mask);
                if (ctx.dtype(m) == DType.BOOL) {
                    ITensor ninf = ctx.scalar(Double.NEGATIVE_INFINITY, dt, rank);
                    scores = ElementwiseConverters.select(ctx, m, scores, ninf);
                } else {
                    scores = Layers.elementwise(ctx, scores, ctx.cast(m, dt), ElementWiseOperation.kSUM);
                }
            } else if (n.boolArg("is_causal")) {
                TensorType kt = type(n, "key");
                long l = Layers.staticDim(qt, qt.rank() - 2).orElseThrow();
                long s = Layers.staticDim(kt, kt.rank() - 2).orElseThrow();
                double[] bias = new double[(int) (l * s)];
                for (int i = 0; i < l; i++) {
                    for (int j = 0; j < s; j++) {
                        bias[(int) (i * s + j)] = j <= i ? 0.0 : Double.NEGATIVE_INFINITY;
                    }
                }
                ITensor c = Layers.constant(ctx, dt, new long[] {l, s}, bias);
                scores = Layers.elementwise(ctx, scores, c, ElementWiseOperation.kSUM);
            }
            ITensor attn = softmax(ctx, scores, rank - 1);
            ctx.bind(n.output(), MatmulConverters.matmul(ctx, attn, v, false));
        }
    }
}
