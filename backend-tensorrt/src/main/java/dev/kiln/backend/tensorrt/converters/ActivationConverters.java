package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import org.bytedeco.tensorrt.global.nvinfer.ActivationType;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.UnaryOperation;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.List;
import java.util.Set;

/**
 * Activations and unary math: relu, gelu (none/tanh), silu, sigmoid, tanh, hardswish, hardsigmoid,
 * leaky_relu, elu, clamp (+clamp_min/max, clamp.Tensor, hardtanh), sqrt, rsqrt, exp, log, neg, abs,
 * logical_not, bitwise_not (bool). Integer inputs of float-valued math are cast to the output dtype
 * first, as PyTorch promotes them.
 *
 * <pre>{@code aten::gelu(%x, approximate="tanh") -> IActivationLayer(kGELU_TANH)}</pre>
 */
public final class ActivationConverters {
    private ActivationConverters() {
    }

    /** A converter whose result is one activation layer on the (cast) input. */
    abstract static class Act extends AtenConverter {
        private final ActivationType type;
        private final double alpha;
        private final double beta;

        Act(String op, ActivationType type, double alpha, double beta) {
            super(op);
            this.type = type;
            this.alpha = alpha;
            this.beta = beta;
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.cast(ctx.get(n.arg(0)), Layers.outDType(n, 0));
            ctx.bind(n.output(), Layers.activation(ctx, x, type, alpha, beta));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Relu extends Act {
        public Relu() {
            super("aten::relu", ActivationType.kRELU, 0, 0);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Sigmoid extends Act {
        public Sigmoid() {
            super("aten::sigmoid", ActivationType.kSIGMOID, 0, 0);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Tanh extends Act {
        public Tanh() {
            super("aten::tanh", ActivationType.kTANH, 0, 0);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Hardsigmoid extends Act {
        public Hardsigmoid() {
            // relu6(x + 3) / 6 == max(0, min(1, x/6 + 1/2))
            super("aten::hardsigmoid", ActivationType.kHARD_SIGMOID, 1.0 / 6, 0.5);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Gelu extends AtenConverter {
        public Gelu() {
            super("aten::gelu");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            String a = approximate(n);
            return a.equals("none") || a.equals("tanh") ? Support.yes()
                    : Support.no("approximate='" + a + "' is not a gelu approximation PyTorch defines; use 'none' or 'tanh'");
        }

        @Override
        public String limits() {
            return "approximate 'none' or 'tanh'";
        }

        private static String approximate(Node n) {
            Arg a = n.arg("approximate");
            return a instanceof Arg.StrLit s ? s.value() : "?";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ActivationType t = approximate(n).equals("tanh") ? ActivationType.kGELU_TANH : ActivationType.kGELU_ERF;
            ITensor x = ctx.get(n.arg("self"));
            // bf16 in f32 (PyTorch's opmath): TensorRT's bf16 gelu was off by 0.399 of the output's magnitude in
            // the kit (bound 0.4); f16 stays native, where it met the f16 bound, so fp16 models keep their kernels
            ctx.bind(n.output(), ctx.dtype(x) == DType.BFLOAT16
                    ? Layers.inOpmath(ctx, x, v -> Layers.activation(ctx, v, t, 0, 0))
                    : Layers.activation(ctx, x, t, 0, 0));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Silu extends AtenConverter {
        public Silu() {
            super("aten::silu");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            ITensor sig = Layers.activation(ctx, x, ActivationType.kSIGMOID, 0, 0);
            ctx.bind(n.output(), Layers.elementwise(ctx, x, sig, ElementWiseOperation.kPROD));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Hardswish extends AtenConverter {
        public Hardswish() {
            super("aten::hardswish");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            ITensor hs = Layers.activation(ctx, x, ActivationType.kHARD_SIGMOID, 1.0 / 6, 0.5);
            ctx.bind(n.output(), Layers.elementwise(ctx, x, hs, ElementWiseOperation.kPROD));
        }
    }

    @AutoService(OpConverter.class)
    public static final class LeakyRelu extends AtenConverter {
        public LeakyRelu() {
            super("aten::leaky_relu");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            return requireNumber(n, "negative_slope");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ctx.bind(n.output(), Layers.activation(ctx, ctx.get(n.arg("self")), ActivationType.kLEAKY_RELU,
                    n.doubleArg("negative_slope"), 0));
        }
    }

    /**
     * PyTorch's elu: {@code scale * (x > 0 ? x : alpha * (exp(input_scale * x) - 1))}, in f32 for f16/bf16 as
     * PyTorch computes it. TensorRT's ELU activation covers {@code input_scale = 1}; any other is built
     * from exp and a select.
     */
    @AutoService(OpConverter.class)
    public static final class Elu extends AtenConverter {
        public Elu() {
            super("aten::elu");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            return all(requireNumber(n, "alpha"), requireNumber(n, "scale"), requireNumber(n, "input_scale"));
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            double alpha = n.doubleArg("alpha");
            double scale = n.doubleArg("scale");
            double inputScale = n.doubleArg("input_scale");
            ctx.bind(n.output(), Layers.inOpmath(ctx, ctx.get(n.arg("self")), x -> {
                ITensor y;
                if (inputScale == 1.0) {
                    y = Layers.activation(ctx, x, ActivationType.kELU, alpha, 0);
                } else {
                    int rank = Layers.rank(x);
                    DType dt = ctx.dtype(x);
                    ITensor e = Layers.unary(ctx, Layers.scale(ctx, x, inputScale), UnaryOperation.kEXP);
                    ITensor neg = Layers.scale(ctx, Layers.elementwise(ctx, e, ctx.scalar(1.0, dt, rank), ElementWiseOperation.kSUB), alpha);
                    // NaN compares false and takes the negative branch, which is NaN too, as in PyTorch
                    ITensor positive = Layers.elementwise(ctx, x, ctx.scalar(0.0, dt, rank), ElementWiseOperation.kGREATER);
                    y = ElementwiseConverters.select(ctx, positive, x, neg);
                }
                return Layers.scale(ctx, y, scale);
            }));
        }
    }

    /** Clamps between optional scalar bounds (max then min, so min > max gives max as PyTorch does). */
    abstract static class ClampBase extends AtenConverter {
        ClampBase(String op) {
            super(op);
        }

        @Override
        public Set<DType> supportedDTypes() {
            return NUMERIC;
        }

        abstract Arg lower(Node n);

        abstract Arg upper(Node n);

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            for (Arg b : List.of(lower(n), upper(n))) {
                if (!b.isNone() && !Layers.isLiteralNumber(b) && !(b instanceof dev.kiln.ir.Value)) {
                    return Support.no("clamp bound " + dev.kiln.ir.Args.describe(b) + " is not a number");
                }
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ITensor x = ctx.cast(ctx.get(n.arg("self")), out);
            Arg lo = lower(n);
            Arg hi = upper(n);
            if (!lo.isNone()) {
                x = Layers.withScalar(ctx, x, lo, ElementWiseOperation.kMAX, false);
            }
            if (!hi.isNone()) {
                x = Layers.withScalar(ctx, x, hi, ElementWiseOperation.kMIN, false);
            }
            if (lo.isNone() && hi.isNone()) {
                x = ctx.named(ctx.network().addIdentity(x)).getOutput(0);
            }
            ctx.bind(n.output(), x);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Clamp extends ClampBase {
        public Clamp() {
            super("aten::clamp");
        }

        @Override
        Arg lower(Node n) {
            return n.arg("min");
        }

        @Override
        Arg upper(Node n) {
            return n.arg("max");
        }
    }

    @AutoService(OpConverter.class)
    public static final class ClampMin extends ClampBase {
        public ClampMin() {
            super("aten::clamp_min");
        }

        @Override
        Arg lower(Node n) {
            return n.arg("min");
        }

        @Override
        Arg upper(Node n) {
            return Arg.NONE;
        }
    }

    @AutoService(OpConverter.class)
    public static final class ClampMax extends ClampBase {
        public ClampMax() {
            super("aten::clamp_max");
        }

        @Override
        Arg lower(Node n) {
            return Arg.NONE;
        }

        @Override
        Arg upper(Node n) {
            return n.arg("max");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Hardtanh extends ClampBase {
        public Hardtanh() {
            super("aten::hardtanh");
        }

        @Override
        Arg lower(Node n) {
            return n.arg("min_val");
        }

        @Override
        Arg upper(Node n) {
            return n.arg("max_val");
        }
    }

    @AutoService(OpConverter.class)
    public static final class ClampTensor extends AtenConverter {
        public ClampTensor() {
            super("aten::clamp.Tensor");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("self", "min", "max");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return NUMERIC;
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ITensor x = ctx.cast(ctx.get(n.arg("self")), out);
            if (!n.arg("min").isNone()) {
                x = Layers.elementwise(ctx, x, ctx.cast(ctx.get(n.arg("min")), out), ElementWiseOperation.kMAX);
            }
            if (!n.arg("max").isNone()) {
                x = Layers.elementwise(ctx, x, ctx.cast(ctx.get(n.arg("max")), out), ElementWiseOperation.kMIN);
            }
            ctx.bind(n.output(), x);
        }
    }

    /** A unary op computed in the output dtype (ints promoted to float for float-valued math). */
    abstract static class Unary extends AtenConverter {
        private final UnaryOperation op;
        private final Set<DType> dtypes;

        Unary(String name, UnaryOperation op, Set<DType> dtypes) {
            super(name);
            this.op = op;
            this.dtypes = dtypes;
        }

        @Override
        public Set<DType> supportedDTypes() {
            return dtypes;
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.cast(ctx.get(n.arg("self")), Layers.outDType(n, 0));
            ctx.bind(n.output(), post(ctx, Layers.unary(ctx, x, op)));
        }

        ITensor post(ConversionContext ctx, ITensor y) {
            return y;
        }
    }

    @AutoService(OpConverter.class)
    public static final class Sqrt extends Unary {
        public Sqrt() {
            super("aten::sqrt", UnaryOperation.kSQRT, NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Rsqrt extends Unary {
        public Rsqrt() {
            super("aten::rsqrt", UnaryOperation.kSQRT, NUMERIC);
        }

        @Override
        ITensor post(ConversionContext ctx, ITensor y) {
            return Layers.unary(ctx, y, UnaryOperation.kRECIP);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Exp extends Unary {
        public Exp() {
            super("aten::exp", UnaryOperation.kEXP, NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Log extends Unary {
        public Log() {
            super("aten::log", UnaryOperation.kLOG, NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Neg extends Unary {
        public Neg() {
            super("aten::neg", UnaryOperation.kNEG, NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Abs extends Unary {
        public Abs() {
            super("aten::abs", UnaryOperation.kABS, NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class BitwiseNot extends AtenConverter {
        public BitwiseNot() {
            super("aten::bitwise_not");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return Set.of(DType.BOOL);
        }

        @Override
        public String limits() {
            return "bool tensors only (integer bitwise not has no TensorRT layer)";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ctx.bind(n.output(), Layers.unary(ctx, ctx.get(n.arg("self")), UnaryOperation.kNOT));
        }
    }

    @AutoService(OpConverter.class)
    public static final class LogicalNot extends AtenConverter {
        public LogicalNot() {
            super("aten::logical_not");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            ITensor y = ctx.dtype(x) == DType.BOOL ? Layers.unary(ctx, x, UnaryOperation.kNOT)
                    : Layers.elementwise(ctx, x, ctx.scalar(0, ctx.dtype(x), Layers.rank(x)), ElementWiseOperation.kEQUAL);
            ctx.bind(n.output(), ctx.cast(y, Layers.outDType(n, 0)));
        }
    }
}
