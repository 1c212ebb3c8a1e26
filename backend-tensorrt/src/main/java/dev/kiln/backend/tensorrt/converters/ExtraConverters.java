package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import org.bytedeco.tensorrt.global.nvinfer.ActivationType;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.UnaryOperation;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.List;
import java.util.Set;

/**
 * Less common ops that exported vision and transformer models contain: more unary math (erf, sin,
 * cos, the inverse trigonometric and hyperbolic functions, floor, ceil, reciprocal, square), softplus/mish/log_sigmoid/prelu, masked_fill, floor_divide,
 * lift_fresh_copy and native_dropout (inference identities), scalar_tensor, and the export-time
 * assertions ({@code _assert_tensor_metadata}, {@code _assert_scalar},
 * {@code sym_constrain_range_for_size}), which produce nothing and are not checked inside the engine.
 *
 * <pre>{@code aten::masked_fill.Scalar(%x, %mask, -inf) -> ISelectLayer(mask, -inf, x)}</pre>
 */
public final class ExtraConverters {
    private ExtraConverters() {
    }

    @AutoService(OpConverter.class)
    public static final class Erf extends ActivationConverters.Unary {
        public Erf() {
            super("aten::erf", UnaryOperation.kERF, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Sin extends ActivationConverters.Unary {
        public Sin() {
            super("aten::sin", UnaryOperation.kSIN, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Cos extends ActivationConverters.Unary {
        public Cos() {
            super("aten::cos", UnaryOperation.kCOS, AtenConverter.NUMERIC);
        }
    }

    // inverse trigonometric and hyperbolic functions (TensorRT's unary layers; not yet run by the kit on a GPU)

    @AutoService(OpConverter.class)
    public static final class Asin extends ActivationConverters.Unary {
        public Asin() {
            super("aten::asin", UnaryOperation.kASIN, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Acos extends ActivationConverters.Unary {
        public Acos() {
            super("aten::acos", UnaryOperation.kACOS, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Atan extends ActivationConverters.Unary {
        public Atan() {
            super("aten::atan", UnaryOperation.kATAN, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Sinh extends ActivationConverters.Unary {
        public Sinh() {
            super("aten::sinh", UnaryOperation.kSINH, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Cosh extends ActivationConverters.Unary {
        public Cosh() {
            super("aten::cosh", UnaryOperation.kCOSH, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Asinh extends ActivationConverters.Unary {
        public Asinh() {
            super("aten::asinh", UnaryOperation.kASINH, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Acosh extends ActivationConverters.Unary {
        public Acosh() {
            super("aten::acosh", UnaryOperation.kACOSH, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Atanh extends ActivationConverters.Unary {
        public Atanh() {
            super("aten::atanh", UnaryOperation.kATANH, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Floor extends ActivationConverters.Unary {
        public Floor() {
            super("aten::floor", UnaryOperation.kFLOOR, AtenConverter.FLOATS);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Ceil extends ActivationConverters.Unary {
        public Ceil() {
            super("aten::ceil", UnaryOperation.kCEIL, AtenConverter.FLOATS);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Reciprocal extends ActivationConverters.Unary {
        public Reciprocal() {
            super("aten::reciprocal", UnaryOperation.kRECIP, AtenConverter.NUMERIC);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Square extends AtenConverter {
        public Square() {
            super("aten::square");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return NUMERIC;
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.cast(ctx.get(n.arg("self")), Layers.outDType(n, 0));
            ctx.bind(n.output(), Layers.elementwise(ctx, x, x, ElementWiseOperation.kPROD));
        }
    }

    /**
     * PyTorch's softplus without its threshold, {@code log1p(exp(beta x)) / beta}, as
     * {@code (max(z, 0) + log1p(exp(-|z|))) / beta} with {@code z = beta x}. TensorRT has no log1p, and its
     * {@code kSOFTPLUS} activation computes {@code log(1 + exp(z))}, which is 0 once {@code exp(z)} is below
     * half an ulp of 1 (measured: 0 for z = -17.9 in f32, where PyTorch gives 1.6e-8). Here
     * {@code log1p(y)} for {@code y = exp(-|z|)} in (0, 1] is its series {@code y (1 - y (1/2 - y (1/3 - y/4)))}
     * below {@link #LOG1P_SERIES_BELOW} (truncation error under y^4/5, relative) and {@code log(1 + y)} above
     * (relative error under 2^-24 / log(1.01)). NaN stays NaN through the second term; z = -inf gives 0.
     */
    static ITensor softplus(ConversionContext ctx, ITensor x, double beta) {
        ITensor z = Layers.scale(ctx, x, beta);
        DType t = ctx.dtype(z);
        int r = Layers.rank(z);
        ITensor positive = Layers.elementwise(ctx, z, ctx.scalar(0, t, r), ElementWiseOperation.kMAX);
        ITensor y = Layers.unary(ctx, Layers.unary(ctx, Layers.unary(ctx, z, UnaryOperation.kABS), UnaryOperation.kNEG),
                UnaryOperation.kEXP);
        // Horner: y (1 + y (-1/2 + y (1/3 - y/4)))
        ITensor series = Layers.elementwise(ctx, Layers.scale(ctx, y, -0.25), ctx.scalar(1.0 / 3, t, r), ElementWiseOperation.kSUM);
        for (double c : new double[] {-0.5, 1.0}) {
            series = Layers.elementwise(ctx, Layers.elementwise(ctx, series, y, ElementWiseOperation.kPROD), ctx.scalar(c, t, r),
                    ElementWiseOperation.kSUM);
        }
        series = Layers.elementwise(ctx, series, y, ElementWiseOperation.kPROD);
        ITensor direct = Layers.unary(ctx, Layers.elementwise(ctx, y, ctx.scalar(1, t, r), ElementWiseOperation.kSUM),
                UnaryOperation.kLOG);
        ITensor small = Layers.elementwise(ctx, y, ctx.scalar(LOG1P_SERIES_BELOW, t, r), ElementWiseOperation.kLESS);
        ITensor log1p = ElementwiseConverters.select(ctx, small, series, direct);
        return Layers.scale(ctx, Layers.elementwise(ctx, positive, log1p, ElementWiseOperation.kSUM), 1.0 / beta);
    }

    /** Where {@link #softplus} switches from log1p's series to {@code log(1 + y)}. */
    static final double LOG1P_SERIES_BELOW = 0.01;

    /**
     * PyTorch's softplus: {@code x * beta > threshold ? x : log(1 + exp(beta x)) / beta}, in f32 for f16/bf16
     * as PyTorch computes it; the switch to the identity is a select, so any threshold is exact.
     */
    @AutoService(OpConverter.class)
    public static final class Softplus extends AtenConverter {
        public Softplus() {
            super("aten::softplus");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lits = all(requireNumber(n, "beta"), requireNumber(n, "threshold"));
            if (!lits.isSupported()) {
                return lits;
            }
            return n.doubleArg("beta") > 0 ? Support.yes()
                    : Support.no("softplus with beta <= 0 is not supported (beta 0 divides by zero in PyTorch)");
        }

        @Override
        public String limits() {
            return "beta > 0";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            double beta = n.doubleArg("beta");
            double threshold = n.doubleArg("threshold");
            ctx.bind(n.output(), Layers.inOpmath(ctx, ctx.get(n.arg("self")), x -> {
                ITensor linear = Layers.elementwise(ctx, Layers.scale(ctx, x, beta), ctx.scalar(threshold, ctx.dtype(x), Layers.rank(x)),
                        ElementWiseOperation.kGREATER);
                return ElementwiseConverters.select(ctx, linear, x, softplus(ctx, x, beta));
            }));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Mish extends AtenConverter {
        public Mish() {
            super("aten::mish");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            // in f32 for f16/bf16: softplus of a bf16 input near -5 rounds 1 + exp(x) to 1 and gives 0 (measured)
            ctx.bind(n.output(), Layers.inOpmath(ctx, ctx.get(n.arg("self")), x -> {
                ITensor t = Layers.activation(ctx, softplus(ctx, x, 1.0), ActivationType.kTANH, 0, 0);
                return Layers.elementwise(ctx, x, t, ElementWiseOperation.kPROD);
            }));
        }
    }

    @AutoService(OpConverter.class)
    public static final class LogSigmoid extends AtenConverter {
        public LogSigmoid() {
            super("aten::log_sigmoid");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            // in f32 for f16/bf16: f16 softplus(-x) overflows to inf from x < -11 (measured: -inf where PyTorch gives -11.1)
            ctx.bind(n.output(), Layers.inOpmath(ctx, ctx.get(n.arg("self")), x -> {
                ITensor neg = Layers.unary(ctx, x, UnaryOperation.kNEG);
                return Layers.unary(ctx, softplus(ctx, neg, 1.0), UnaryOperation.kNEG);
            }));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Prelu extends AtenConverter {
        public Prelu() {
            super("aten::prelu");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("self", "weight");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            return type(n, "weight").rank() <= 1 ? Support.yes() : Support.no("weight must be 0-d or 1-d");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            ITensor w = ctx.cast(ctx.get(n.arg("weight")), ctx.dtype(x));
            int rank = Layers.rank(x);
            long[] ws = Layers.sizes(w);
            if (rank >= 2 && ws.length == 1 && ws[0] != 1) {
                // one slope per channel (dim 1)
                long[] shape = new long[rank];
                java.util.Arrays.fill(shape, 1);
                shape[1] = -1;
                w = ctx.reshape(w, shape);
            }
            ITensor zero = ctx.scalar(0, ctx.dtype(x), rank);
            ITensor pos = Layers.elementwise(ctx, x, zero, ElementWiseOperation.kMAX);
            ITensor neg = Layers.elementwise(ctx, x, zero, ElementWiseOperation.kMIN);
            ctx.bind(n.output(), Layers.elementwise(ctx, pos, Layers.elementwise(ctx, neg, w, ElementWiseOperation.kPROD),
                    ElementWiseOperation.kSUM));
        }
    }

    /** masked_fill: where(mask, value, self), value cast to self's dtype. */
    abstract static class MaskedFill extends AtenConverter {
        private final boolean tensorValue;

        MaskedFill(String op, boolean tensorValue) {
            super(op);
            this.tensorValue = tensorValue;
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected List<String> tensorArgs() {
            return tensorValue ? List.of("self", "mask", "value") : List.of("self", "mask");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            if (!tensorValue && !Layers.isLiteralNumber(n.arg("value")) && !(n.arg("value") instanceof Value)) {
                return Support.no("value must be a number");
            }
            return type(n, "mask").elementType() == DType.BOOL ? Support.yes() : Support.no("mask must be bool");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ITensor x = ctx.cast(ctx.get(n.arg("self")), out);
            ITensor v = tensorValue ? ctx.cast(ctx.get(n.arg("value")), out) : Layers.scalarOperand(ctx, n.arg("value"), out, Layers.rank(x));
            ctx.bind(n.output(), ElementwiseConverters.select(ctx, ctx.get(n.arg("mask")), v, x));
        }
    }

    @AutoService(OpConverter.class)
    public static final class MaskedFillScalar extends MaskedFill {
        public MaskedFillScalar() {
            super("aten::masked_fill.Scalar", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MaskedFillTensor extends MaskedFill {
        public MaskedFillTensor() {
            super("aten::masked_fill.Tensor", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class FloorDivide extends ElementwiseConverters.Div {
        public FloorDivide() {
            super("aten::floor_divide", true, false);
        }

        @Override
        String mode(Node n) {
            return "floor";
        }
    }

    @AutoService(OpConverter.class)
    public static final class LiftFreshCopy extends ShapeConverters.Identity {
        public LiftFreshCopy() {
            super("aten::lift_fresh_copy");
        }
    }

    @AutoService(OpConverter.class)
    public static final class NativeDropout extends AtenConverter {
        public NativeDropout() {
            super("aten::native_dropout");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("input");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        public String limits() {
            return "train=False (or None) and the mask unused";
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Arg train = n.arg("train");
            if (!train.isNone() && n.boolArg("train")) {
                return Support.no("dropout with train=True is random; export the model in eval() mode");
            }
            return n.outputs().size() > 1 && n.output(1).isUsed() ? Support.no("the dropout mask output is used") : Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ctx.bind(n.output(0), ctx.named(ctx.network().addIdentity(ctx.get(n.arg("input")))).getOutput(0));
        }
    }

    @AutoService(OpConverter.class)
    public static final class ScalarTensor extends AtenConverter {
        public ScalarTensor() {
            super("aten::scalar_tensor");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of();
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Arg v = n.arg("s");
            if (!Layers.isLiteralNumber(v) && !(v instanceof Value)) {
                return Support.no("'s' must be a number");
            }
            return CreationConverters.trtOutput(n);
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ctx.bind(n.output(), Layers.scalarOperand(ctx, n.arg("s"), Layers.outDType(n, 0), 0));
        }
    }

    /** Export-time assertions: nothing to compute; the engine does not re-check them. */
    abstract static class Assertion extends AtenConverter {
        Assertion(String op) {
            super(op);
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of();
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        public String limits() {
            return "not checked inside the engine (input specs and profiles bound the shapes)";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            // no outputs and no effect on values
        }
    }

    @AutoService(OpConverter.class)
    public static final class AssertTensorMetadata extends Assertion {
        public AssertTensorMetadata() {
            super("aten::_assert_tensor_metadata");
        }
    }

    @AutoService(OpConverter.class)
    public static final class AssertScalar extends Assertion {
        public AssertScalar() {
            super("aten::_assert_scalar");
        }
    }

    @AutoService(OpConverter.class)
    public static final class SymConstrainRangeForSize extends Assertion {
        public SymConstrainRangeForSize() {
            super("aten::sym_constrain_range_for_size");
        }
    }
}
