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
import dev.kiln.ir.Value;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.UnaryOperation;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.List;
import java.util.Set;

/**
 * Binary element-wise ops with NumPy broadcasting and PyTorch's type promotion made explicit by
 * casts: add/sub/mul/div (Tensor and Scalar forms, {@code alpha}, {@code rounding_mode} trunc/floor),
 * rsub, pow (three forms), maximum/minimum, comparisons (bool result), logical and/or/xor, where.
 *
 * <pre>{@code aten::add.Tensor(%a, %b, alpha=2) -> a + 2*b}</pre>
 */
public final class ElementwiseConverters {
    private ElementwiseConverters() {
    }

    /** Arithmetic whose operands are cast to the output dtype. */
    abstract static class Arith extends AtenConverter {
        private final boolean tensorOther;

        Arith(String op, boolean tensorOther) {
            super(op);
            this.tensorOther = tensorOther;
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected List<String> tensorArgs() {
            return tensorOther ? List.of("self", "other") : List.of("self");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            DType out = Layers.outDType(n, 0);
            if (!NUMERIC.contains(out)) {
                return Support.no("the result dtype " + out + " is not supported (supported: " + Layers.describeDTypes(NUMERIC) + ")");
            }
            if (!tensorOther && !Layers.isLiteralNumber(n.arg("other")) && !(n.arg("other") instanceof Value)) {
                return Support.no("'other' must be a number but is " + dev.kiln.ir.Args.describe(n.arg("other")));
            }
            if (n.schema().indexOf("alpha").isPresent()) {
                return requireNumber(n, "alpha");
            }
            return extraCheck(n, out);
        }

        Support extraCheck(Node n, DType out) {
            return Support.yes();
        }

        /** self and other as tensors of the output dtype (other scaled by alpha when the op has one). */
        ITensor[] operands(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ITensor a = ctx.cast(ctx.get(n.arg("self")), out);
            ITensor b = tensorOther ? ctx.cast(ctx.get(n.arg("other")), out)
                    : Layers.scalarOperand(ctx, n.arg("other"), out, Layers.rank(a));
            return new ITensor[] {a, b};
        }

        double alpha(Node n) {
            return n.schema().indexOf("alpha").isPresent() ? n.doubleArg("alpha") : 1.0;
        }
    }

    /** self op alpha*other. */
    abstract static class Simple extends Arith {
        private final ElementWiseOperation op;
        private final boolean reversed;

        Simple(String name, boolean tensorOther, ElementWiseOperation op, boolean reversed) {
            super(name, tensorOther);
            this.op = op;
            this.reversed = reversed;
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor[] ab = operands(ctx, n);
            ITensor a = ab[0];
            ITensor b = ab[1];
            double alpha = alpha(n);
            DType out = ctx.dtype(a);
            DType op32 = Layers.opmath(out);
            if (alpha != 1.0 && op32 != out) {
                // PyTorch computes a + alpha*b in float for f16/bf16 and rounds once; rounding alpha*b first
                // loses the difference when the two nearly cancel (measured: bf16 rsub 0.0688 vs 0.0625)
                a = ctx.cast(a, op32);
                b = ctx.cast(b, op32);
            }
            ITensor y = reversed
                    // rsub: other - alpha * self
                    ? Layers.elementwise(ctx, b, Layers.scale(ctx, a, alpha), op)
                    : Layers.elementwise(ctx, a, Layers.scale(ctx, b, alpha), op);
            ctx.bind(n.output(), ctx.cast(y, out));
        }
    }

    @AutoService(OpConverter.class)
    public static final class AddTensor extends Simple {
        public AddTensor() {
            super("aten::add.Tensor", true, ElementWiseOperation.kSUM, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class AddScalar extends Simple {
        public AddScalar() {
            super("aten::add.Scalar", false, ElementWiseOperation.kSUM, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class SubTensor extends Simple {
        public SubTensor() {
            super("aten::sub.Tensor", true, ElementWiseOperation.kSUB, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class SubScalar extends Simple {
        public SubScalar() {
            super("aten::sub.Scalar", false, ElementWiseOperation.kSUB, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class RsubTensor extends Simple {
        public RsubTensor() {
            super("aten::rsub.Tensor", true, ElementWiseOperation.kSUB, true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class RsubScalar extends Simple {
        public RsubScalar() {
            super("aten::rsub.Scalar", false, ElementWiseOperation.kSUB, true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MulTensor extends Simple {
        public MulTensor() {
            super("aten::mul.Tensor", true, ElementWiseOperation.kPROD, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MulScalar extends Simple {
        public MulScalar() {
            super("aten::mul.Scalar", false, ElementWiseOperation.kPROD, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Maximum extends Simple {
        public Maximum() {
            super("aten::maximum", true, ElementWiseOperation.kMAX, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Minimum extends Simple {
        public Minimum() {
            super("aten::minimum", true, ElementWiseOperation.kMIN, false);
        }
    }

    /** Division with an optional rounding mode (none = true division, "trunc", "floor"). */
    abstract static class Div extends Arith {
        private final boolean hasMode;

        Div(String op, boolean tensorOther, boolean hasMode) {
            super(op, tensorOther);
            this.hasMode = hasMode;
        }

        String mode(Node n) {
            if (!hasMode) {
                return "none";
            }
            Arg m = n.arg("rounding_mode");
            if (m.isNone()) {
                return "none";
            }
            return m instanceof Arg.StrLit s ? s.value() : "?";
        }

        @Override
        Support extraCheck(Node n, DType out) {
            String m = mode(n);
            if (!m.equals("none") && !m.equals("trunc") && !m.equals("floor")) {
                return Support.no("rounding_mode=" + m + " is not one PyTorch defines; use None, 'trunc' or 'floor'");
            }
            return Support.yes();
        }

        @Override
        public String limits() {
            return hasMode ? "rounding_mode None, 'trunc' or 'floor'" : "";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor[] ab = operands(ctx, n);
            DType out = Layers.outDType(n, 0);
            String m = mode(n);
            ITensor y;
            if (out.isFloatingPoint()) {
                y = Layers.elementwise(ctx, ab[0], ab[1], ElementWiseOperation.kDIV);
                if (m.equals("floor")) {
                    y = Layers.unary(ctx, y, UnaryOperation.kFLOOR);
                } else if (m.equals("trunc")) {
                    y = trunc(ctx, y);
                }
            } else if (m.equals("trunc")) {
                // |a| floor-div |b| is exact on non-negatives; the sign comes back when exactly one operand is negative
                ITensor q = Layers.elementwise(ctx, Layers.unary(ctx, ab[0], UnaryOperation.kABS),
                        Layers.unary(ctx, ab[1], UnaryOperation.kABS), ElementWiseOperation.kFLOOR_DIV);
                ITensor na = Layers.elementwise(ctx, ab[0], ctx.scalar(0, out, Layers.rank(ab[0])), ElementWiseOperation.kLESS);
                ITensor nb = Layers.elementwise(ctx, ab[1], ctx.scalar(0, out, Layers.rank(ab[1])), ElementWiseOperation.kLESS);
                ITensor neg = Layers.elementwise(ctx, na, nb, ElementWiseOperation.kXOR);
                y = select(ctx, neg, Layers.unary(ctx, q, UnaryOperation.kNEG), q);
            } else {
                y = Layers.elementwise(ctx, ab[0], ab[1], ElementWiseOperation.kFLOOR_DIV);
            }
            ctx.bind(n.output(), y);
        }

        static ITensor trunc(ConversionContext ctx, ITensor y) {
            ITensor neg = Layers.elementwise(ctx, y, ctx.scalar(0, ctx.dtype(y), Layers.rank(y)), ElementWiseOperation.kLESS);
            return select(ctx, neg, Layers.unary(ctx, y, UnaryOperation.kCEIL), Layers.unary(ctx, y, UnaryOperation.kFLOOR));
        }
    }

    @AutoService(OpConverter.class)
    public static final class DivTensor extends Div {
        public DivTensor() {
            super("aten::div.Tensor", true, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class DivScalar extends Div {
        public DivScalar() {
            super("aten::div.Scalar", false, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class DivTensorMode extends Div {
        public DivTensorMode() {
            super("aten::div.Tensor_mode", true, true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class DivScalarMode extends Div {
        public DivScalarMode() {
            super("aten::div.Scalar_mode", false, true);
        }
    }

    /** {@code cond ? a : b} with the three operands brought to one rank. */
    static ITensor select(ConversionContext ctx, ITensor cond, ITensor a, ITensor b) {
        int r = Math.max(Layers.rank(cond), Math.max(Layers.rank(a), Layers.rank(b)));
        return ctx.named(ctx.network().addSelect(toRank(ctx, cond, r), toRank(ctx, a, r), toRank(ctx, b, r))).getOutput(0);
    }

    /** {@code t} with leading size-1 dimensions up to {@code rank}. */
    static ITensor toRank(ConversionContext ctx, ITensor t, int rank) {
        int r = Layers.rank(t);
        if (r >= rank) {
            return t;
        }
        int[] axes = new int[rank - r];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i;
        }
        return Layers.unsqueeze(ctx, t, axes);
    }

    @AutoService(OpConverter.class)
    public static final class PowTensorScalar extends AtenConverter {
        public PowTensorScalar() {
            super("aten::pow.Tensor_Scalar");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return NUMERIC;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lit = requireNumber(n, "exponent");
            if (!lit.isSupported()) {
                return lit;
            }
            DType out = Layers.outDType(n, 0);
            double e = n.doubleArg("exponent");
            if (!out.isFloatingPoint() && !(e == 1 || e == 2 || e == 3)) {
                return Support.no("integer pow is only converted for exponents 1, 2 and 3 (got " + e + ")");
            }
            return Support.yes();
        }

        @Override
        public String limits() {
            return "integer tensors: exponent 1, 2 or 3";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ITensor x = ctx.cast(ctx.get(n.arg("self")), out);
            double e = n.doubleArg("exponent");
            ITensor y;
            if (e == 1) {
                y = ctx.named(ctx.network().addIdentity(x)).getOutput(0);
            } else if (e == 2 || e == 3) {
                // exact and defined for negative bases, unlike exp(e*log(x))
                y = Layers.elementwise(ctx, x, x, ElementWiseOperation.kPROD);
                if (e == 3) {
                    y = Layers.elementwise(ctx, y, x, ElementWiseOperation.kPROD);
                }
            } else if (e == 0.5) {
                y = Layers.unary(ctx, x, UnaryOperation.kSQRT);
            } else {
                // in f32 for f16/bf16: TensorRT 10.6's bf16 pow gave half the value (x^2.5 at x=3.9: 15.6, PyTorch 31.1)
                y = Layers.inOpmath(ctx, x, v -> Layers.elementwise(ctx, v, ctx.scalar(e, ctx.dtype(v), Layers.rank(v)),
                        ElementWiseOperation.kPOW));
            }
            ctx.bind(n.output(), y);
        }
    }

    @AutoService(OpConverter.class)
    public static final class PowTensorTensor extends AtenConverter {
        public PowTensorTensor() {
            super("aten::pow.Tensor_Tensor");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("self", "exponent");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return NUMERIC;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            return Layers.isTrtFloat(Layers.outDType(n, 0)) ? Support.yes()
                    : Support.no("pow of integer tensors is not supported (TensorRT's pow is float-only); cast to float first");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ctx.bind(n.output(), Layers.elementwise(ctx, ctx.cast(ctx.get(n.arg("self")), out),
                    ctx.cast(ctx.get(n.arg("exponent")), out), ElementWiseOperation.kPOW));
        }
    }

    @AutoService(OpConverter.class)
    public static final class PowScalar extends AtenConverter {
        public PowScalar() {
            super("aten::pow.Scalar");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("exponent");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return NUMERIC;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lit = requireNumber(n, "self");
            if (!lit.isSupported()) {
                return lit;
            }
            return Layers.isTrtFloat(Layers.outDType(n, 0)) ? Support.yes()
                    : Support.no("pow with an integer result is not supported (TensorRT's pow is float-only)");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ITensor e = ctx.cast(ctx.get(n.arg("exponent")), out);
            ITensor base = ctx.scalar(n.doubleArg("self"), out, Layers.rank(e));
            ctx.bind(n.output(), Layers.elementwise(ctx, base, e, ElementWiseOperation.kPOW));
        }
    }

    /** Comparisons: operands cast to their promoted type (bool compared as i32), result bool. */
    abstract static class Compare extends AtenConverter {
        private final String kind;
        private final boolean tensorOther;

        Compare(String op, String kind, boolean tensorOther) {
            super(op);
            this.kind = kind;
            this.tensorOther = tensorOther;
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected List<String> tensorArgs() {
            return tensorOther ? List.of("self", "other") : List.of("self");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            if (!tensorOther && !Layers.isLiteralNumber(n.arg("other")) && !(n.arg("other") instanceof Value)) {
                return Support.no("'other' must be a number but is " + dev.kiln.ir.Args.describe(n.arg("other")));
            }
            return Support.yes();
        }

        DType computeType(Node n) {
            TensorType a = type(n, "self");
            DType t;
            if (tensorOther) {
                TensorType b = type(n, "other");
                if (a.rank() == 0 && b.rank() > 0 && sameCategory(a.elementType(), b.elementType())) {
                    t = b.elementType();
                } else if (b.rank() == 0 && a.rank() > 0 && sameCategory(a.elementType(), b.elementType())) {
                    t = a.elementType();
                } else {
                    t = Layers.promote(a.elementType(), b.elementType());
                }
            } else {
                Arg o = n.arg("other");
                t = Layers.promoteWithScalar(a.elementType(), o instanceof Arg.FloatLit, o instanceof Arg.BoolLit);
            }
            return t == DType.BOOL || t == DType.INT8 || t == DType.UINT8 ? DType.INT32 : t;
        }

        private static boolean sameCategory(DType a, DType b) {
            return a.isFloatingPoint() == b.isFloatingPoint() && (a == DType.BOOL) == (b == DType.BOOL);
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType t = computeType(n);
            ITensor a = ctx.cast(ctx.get(n.arg("self")), t);
            ITensor b = tensorOther ? ctx.cast(ctx.get(n.arg("other")), t) : Layers.scalarOperand(ctx, n.arg("other"), t, Layers.rank(a));
            ITensor y;
            switch (kind) {
                case "eq":
                    y = Layers.elementwise(ctx, a, b, ElementWiseOperation.kEQUAL);
                    break;
                case "ne":
                    y = Layers.unary(ctx, Layers.elementwise(ctx, a, b, ElementWiseOperation.kEQUAL), UnaryOperation.kNOT);
                    break;
                case "lt":
                    y = Layers.elementwise(ctx, a, b, ElementWiseOperation.kLESS);
                    break;
                case "gt":
                    y = Layers.elementwise(ctx, a, b, ElementWiseOperation.kGREATER);
                    break;
                case "le":
                    // less OR equal (not NOT greater: NaN compares false both ways)
                    y = Layers.elementwise(ctx, Layers.elementwise(ctx, a, b, ElementWiseOperation.kLESS),
                            Layers.elementwise(ctx, a, b, ElementWiseOperation.kEQUAL), ElementWiseOperation.kOR);
                    break;
                default:
                    y = Layers.elementwise(ctx, Layers.elementwise(ctx, a, b, ElementWiseOperation.kGREATER),
                            Layers.elementwise(ctx, a, b, ElementWiseOperation.kEQUAL), ElementWiseOperation.kOR);
                    break;
            }
            ctx.bind(n.output(), ctx.cast(y, Layers.outDType(n, 0)));
        }
    }

    @AutoService(OpConverter.class)
    public static final class EqTensor extends Compare {
        public EqTensor() {
            super("aten::eq.Tensor", "eq", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class EqScalar extends Compare {
        public EqScalar() {
            super("aten::eq.Scalar", "eq", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class NeTensor extends Compare {
        public NeTensor() {
            super("aten::ne.Tensor", "ne", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class NeScalar extends Compare {
        public NeScalar() {
            super("aten::ne.Scalar", "ne", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class LtTensor extends Compare {
        public LtTensor() {
            super("aten::lt.Tensor", "lt", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class LtScalar extends Compare {
        public LtScalar() {
            super("aten::lt.Scalar", "lt", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class LeTensor extends Compare {
        public LeTensor() {
            super("aten::le.Tensor", "le", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class LeScalar extends Compare {
        public LeScalar() {
            super("aten::le.Scalar", "le", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class GtTensor extends Compare {
        public GtTensor() {
            super("aten::gt.Tensor", "gt", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class GtScalar extends Compare {
        public GtScalar() {
            super("aten::gt.Scalar", "gt", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class GeTensor extends Compare {
        public GeTensor() {
            super("aten::ge.Tensor", "ge", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class GeScalar extends Compare {
        public GeScalar() {
            super("aten::ge.Scalar", "ge", false);
        }
    }

    /** Logical ops: operands made bool ({@code x != 0}), result cast to the output dtype (bool). */
    abstract static class Logical extends AtenConverter {
        private final ElementWiseOperation op;

        Logical(String name, ElementWiseOperation op) {
            super(name);
            this.op = op;
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("self", "other");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor a = toBool(ctx, ctx.get(n.arg("self")));
            ITensor b = toBool(ctx, ctx.get(n.arg("other")));
            ctx.bind(n.output(), ctx.cast(Layers.elementwise(ctx, a, b, op), Layers.outDType(n, 0)));
        }
    }

    /** {@code t != 0} as bool (bool tensors unchanged). */
    static ITensor toBool(ConversionContext ctx, ITensor t) {
        DType d = ctx.dtype(t);
        if (d == DType.BOOL) {
            return t;
        }
        if (d == DType.INT8 || d == DType.UINT8) {
            t = ctx.cast(t, DType.INT32);
            d = DType.INT32;
        }
        ITensor eq = Layers.elementwise(ctx, t, ctx.scalar(0, d, Layers.rank(t)), ElementWiseOperation.kEQUAL);
        return Layers.unary(ctx, eq, UnaryOperation.kNOT);
    }

    @AutoService(OpConverter.class)
    public static final class LogicalAnd extends Logical {
        public LogicalAnd() {
            super("aten::logical_and", ElementWiseOperation.kAND);
        }
    }

    @AutoService(OpConverter.class)
    public static final class LogicalOr extends Logical {
        public LogicalOr() {
            super("aten::logical_or", ElementWiseOperation.kOR);
        }
    }

    @AutoService(OpConverter.class)
    public static final class LogicalXor extends Logical {
        public LogicalXor() {
            super("aten::logical_xor", ElementWiseOperation.kXOR);
        }
    }

    @AutoService(OpConverter.class)
    public static final class WhereSelf extends AtenConverter {
        public WhereSelf() {
            super("aten::where.self");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("condition", "self", "other");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ITensor c = toBool(ctx, ctx.get(n.arg("condition")));
            ITensor a = ctx.cast(ctx.get(n.arg("self")), out);
            ITensor b = ctx.cast(ctx.get(n.arg("other")), out);
            ctx.bind(n.output(), select(ctx, c, a, b));
        }
    }
}
