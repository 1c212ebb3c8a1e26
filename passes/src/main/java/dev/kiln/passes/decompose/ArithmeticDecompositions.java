package dev.kiln.passes.decompose;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.kiln.passes.decompose.DecompositionSupport.*;

/**
 * Arithmetic TensorRT has no single layer for, or that TorchScript spells another way: {@code clip},
 * {@code max.other}/{@code min.other}, {@code fmax}/{@code fmin}, the scalar forms of {@code where}, bitwise ops on
 * bool tensors (and TorchScript's {@code __and__}, ...), {@code logit}, {@code lerp}, {@code tan}, {@code log1p},
 * {@code expm1}, {@code round}
 * (half to even, and {@code .decimals}), {@code remainder}, {@code fmod}, {@code one_hot}, {@code cosine_similarity}
 * and inference-mode {@code rrelu}. Each keeps libtorch's handling of NaN and ties (checked
 * against libtorch by {@code DecompositionsAgreeWithLibtorchTest}).
 */
public final class ArithmeticDecompositions {
    private ArithmeticDecompositions() {
    }

    /** An op that is another op with the same arguments: {@code clip} is {@code clamp}, {@code max.other} is {@code maximum}. */
    abstract static class Alias extends OpDecomposition {
        private final String target;

        Alias(String op, String target) {
            super(op);
            this.target = target;
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call(target, n.args(), Map.of(), b.outputType()));
        }
    }

    @AutoService(Decomposition.class)
    public static final class Clip extends Alias {
        public Clip() {
            super("aten::clip", "aten::clamp");
        }
    }

    @AutoService(Decomposition.class)
    public static final class ClipTensor extends Alias {
        public ClipTensor() {
            super("aten::clip.Tensor", "aten::clamp.Tensor");
        }
    }

    @AutoService(Decomposition.class)
    public static final class MaxOther extends Alias {
        public MaxOther() {
            super("aten::max.other", "aten::maximum");
        }
    }

    @AutoService(Decomposition.class)
    public static final class MinOther extends Alias {
        public MinOther() {
            super("aten::min.other", "aten::minimum");
        }
    }

    /** {@code fmax}/{@code fmin}: {@code maximum}/{@code minimum}, except that a NaN operand yields the other one. */
    abstract static class NanIgnoring extends OpDecomposition {
        private final String target;

        NanIgnoring(String op, String target) {
            super(op);
            this.target = target;
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return first(() -> needsKnownType(n, 0), () -> needsKnownType(n, 1));
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value x = b.input(0);
            Value y = b.input(1);
            Value m = b.call(target, x, y);
            if (!(b.outputType() instanceof TensorType t && t.dtype().orElseThrow().isFloatingPoint())) {
                return List.of(m);
            }
            Value xNan = b.call("aten::ne.Tensor", List.of(x, x), Map.of(), typeOf(n, 0).withDType(DType.BOOL));
            Value yNan = b.call("aten::ne.Tensor", List.of(y, y), Map.of(), typeOf(n, 1).withDType(DType.BOOL));
            Value unlessYNan = b.call("aten::where.self", yNan, x, m);
            return List.of(b.call("aten::where.self", xNan, y, unlessYNan));
        }
    }

    @AutoService(Decomposition.class)
    public static final class Fmax extends NanIgnoring {
        public Fmax() {
            super("aten::fmax", "aten::maximum");
        }
    }

    @AutoService(Decomposition.class)
    public static final class Fmin extends NanIgnoring {
        public Fmin() {
            super("aten::fmin", "aten::minimum");
        }
    }

    /** {@code where} with a number for {@code self}, {@code other} or both: the number as a 0-d constant of the result's dtype. */
    abstract static class WhereScalar extends OpDecomposition {
        WhereScalar(String op) {
            super(op);
        }

        @Override
        public Optional<String> unsupported(Node n) {
            if (!(n.output(0).type() instanceof TensorType t && t.dtype().isPresent())) {
                return Optional.of("needs the result's dtype (run shape propagation first)");
            }
            for (String name : List.of("self", "other")) {
                if (n.arg(name) instanceof Value v && !(v.type() instanceof TensorType)) {
                    return Optional.of("'" + name + "' must be a literal");
                }
            }
            return Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            DType dt = ((TensorType) b.outputType()).dtype().orElseThrow();
            return List.of(b.call("aten::where.self", b.input(0), operand(n, "self", dt), operand(n, "other", dt)));
        }

        private static Arg operand(Node n, String name, DType dt) {
            Arg a = n.arg(name);
            return a instanceof Value ? a : constant(n, dt, number(a, n, name));
        }
    }

    @AutoService(Decomposition.class)
    public static final class WhereScalarOther extends WhereScalar {
        public WhereScalarOther() {
            super("aten::where.ScalarOther");
        }
    }

    @AutoService(Decomposition.class)
    public static final class WhereScalarSelf extends WhereScalar {
        public WhereScalarSelf() {
            super("aten::where.ScalarSelf");
        }
    }

    @AutoService(Decomposition.class)
    public static final class WhereScalarBoth extends WhereScalar {
        public WhereScalarBoth() {
            super("aten::where.Scalar");
        }
    }

    /** A literal number, bools as 0 and 1. */
    static double number(Arg a, Node n, String name) {
        return a instanceof Arg.BoolLit bl ? (bl.value() ? 1 : 0) : dev.kiln.ir.Args.toDouble(a, n, name);
    }

    /** Bitwise and/or/xor of two bool tensors are the logical ops (TensorRT has no integer bitwise layer). */
    abstract static class BoolBitwise extends OpDecomposition {
        private final String target;

        BoolBitwise(String op, String target) {
            super(op);
            this.target = target;
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsKnownType(n, 1));
            if (r.isPresent()) {
                return r;
            }
            return typeOf(n, 0).dtype().get() == DType.BOOL && typeOf(n, 1).dtype().get() == DType.BOOL ? Optional.empty()
                    : Optional.of("only bool operands are rewritten (TensorRT has no integer bitwise layer)");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call(target, b.input(0), b.input(1)));
        }
    }

    @AutoService(Decomposition.class)
    public static final class BitwiseAnd extends BoolBitwise {
        public BitwiseAnd() {
            super("aten::bitwise_and.Tensor", "aten::logical_and");
        }
    }

    @AutoService(Decomposition.class)
    public static final class BitwiseOr extends BoolBitwise {
        public BitwiseOr() {
            super("aten::bitwise_or.Tensor", "aten::logical_or");
        }
    }

    @AutoService(Decomposition.class)
    public static final class BitwiseXor extends BoolBitwise {
        public BitwiseXor() {
            super("aten::bitwise_xor.Tensor", "aten::logical_xor");
        }
    }

    @AutoService(Decomposition.class)
    public static final class DunderAnd extends BoolBitwise {
        public DunderAnd() {
            super("aten::__and__.Tensor", "aten::logical_and");
        }
    }

    @AutoService(Decomposition.class)
    public static final class DunderOr extends BoolBitwise {
        public DunderOr() {
            super("aten::__or__.Tensor", "aten::logical_or");
        }
    }

    @AutoService(Decomposition.class)
    public static final class DunderXor extends BoolBitwise {
        public DunderXor() {
            super("aten::__xor__.Tensor", "aten::logical_xor");
        }
    }

    /** Input {@code i} in the result's floating dtype: integer and bool inputs converted as the op would. */
    static Value asFloat(Node n, DecompositionBuilder b, int i) {
        Value x = b.input(i);
        DType out = ((TensorType) b.outputType()).dtype().orElseThrow();
        TensorType t = typeOf(n, i);
        if (t.dtype().get() == out) {
            return x;
        }
        return b.call("aten::_to_copy", List.of(x), Map.of("dtype", new Arg.DTypeLit(out)), t.withDType(out));
    }

    static Optional<String> needsFloatResult(Node n) {
        return n.output(0).type() instanceof TensorType t && t.dtype().isPresent() && t.dtype().get().isFloatingPoint()
                ? Optional.empty() : Optional.of("needs a floating result dtype (run shape propagation first)");
    }

    /** {@code logit(x, eps) = log(z / (1 - z))}, {@code z = clamp(x, eps, 1 - eps)} when {@code eps} is given and not negative. */
    @AutoService(Decomposition.class)
    public static final class Logit implements Decomposition {
        @Override
        public String op() {
            return "aten::logit";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return first(() -> needsKnownType(n, 0), () -> needsFloatResult(n),
                    () -> n.arg("eps") instanceof Value ? Optional.of("'eps' must be a literal") : Optional.empty());
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value z = asFloat(n, b, 0);
            if (!n.arg("eps").isNone() && n.doubleArg("eps") >= 0) {
                double eps = n.doubleArg("eps");
                z = b.call("aten::clamp", z, new Arg.FloatLit(eps), new Arg.FloatLit(1 - eps));
            }
            Value rest = b.call("aten::rsub.Scalar", z, new Arg.IntLit(1), new Arg.IntLit(1));
            return List.of(b.call("aten::log", b.call("aten::div.Tensor", z, rest)));
        }
    }

    /**
     * {@code lerp(a, b, w)} as libtorch computes it: {@code a + w * (b - a)} where {@code |w| < 0.5}, else
     * {@code b - (b - a) * (1 - w)} (exact at both ends).
     */
    abstract static class Lerp extends OpDecomposition {
        Lerp(String op) {
            super(op);
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return first(() -> needsFloatResult(n), () -> n.arg("weight") instanceof Value v && !(v.type() instanceof TensorType)
                    ? Optional.of("'weight' must be a literal or a tensor") : Optional.empty());
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value start = b.input(0);
            Value end = b.input(1);
            Value diff = b.call("aten::sub.Tensor", end, start, new Arg.IntLit(1));
            if (!(n.arg("weight") instanceof Value w)) {
                double weight = n.doubleArg("weight");
                return List.of(Math.abs(weight) < 0.5
                        ? b.call("aten::add.Tensor", start, b.call("aten::mul.Tensor", diff, b.scalar(weight)), new Arg.IntLit(1))
                        : b.call("aten::sub.Tensor", end, b.call("aten::mul.Tensor", diff, b.scalar(1 - weight)), new Arg.IntLit(1)));
            }
            Type wt = w.type();
            Value small = b.call("aten::lt.Scalar", List.of(b.call("aten::abs", List.of(w), Map.of(), wt), new Arg.FloatLit(0.5)),
                    Map.of(), ((TensorType) wt).withDType(DType.BOOL));
            Value low = b.call("aten::add.Tensor", start, b.call("aten::mul.Tensor", w, diff), new Arg.IntLit(1));
            Value oneMinus = b.call("aten::rsub.Scalar", List.of(w, new Arg.IntLit(1), new Arg.IntLit(1)), Map.of(), wt);
            Value high = b.call("aten::sub.Tensor", end, b.call("aten::mul.Tensor", diff, oneMinus), new Arg.IntLit(1));
            return List.of(b.call("aten::where.self", small, low, high));
        }
    }

    @AutoService(Decomposition.class)
    public static final class LerpScalar extends Lerp {
        public LerpScalar() {
            super("aten::lerp.Scalar");
        }
    }

    @AutoService(Decomposition.class)
    public static final class LerpTensor extends Lerp {
        public LerpTensor() {
            super("aten::lerp.Tensor");
        }
    }

    /** {@code tan(x) = sin(x) / cos(x)}. */
    @AutoService(Decomposition.class)
    public static final class Tan implements Decomposition {
        @Override
        public String op() {
            return "aten::tan";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return first(() -> needsKnownType(n, 0), () -> needsFloatResult(n));
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value x = asFloat(n, b, 0);
            return List.of(b.call("aten::div.Tensor", b.call("aten::sin", x), b.call("aten::cos", x)));
        }
    }

    /**
     * {@code log1p} and {@code expm1}, which TensorRT has no layer for, accurate near 0 where {@code log(1 + x)} and
     * {@code exp(x) - 1} are not (for {@code x = 1e-8}, {@code 1 + x} rounds to 1 in f32 and the naive forms give 0):
     * below {@link #SERIES_BELOW} in magnitude the Taylor series to {@code x^7} (truncation under {@code 0.1^7/8},
     * relative), above it the direct form, whose rounding of {@code 1 + x} or of {@code exp(x)} costs under 7e-7
     * relative there. NaN, infinities and {@code log1p(-1) = -inf} come out of the direct form as libtorch's.
     */
    abstract static class NearZero extends OpDecomposition {
        static final double SERIES_BELOW = 0.1;

        NearZero(String op) {
            super(op);
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return first(() -> needsKnownType(n, 0), () -> needsFloatResult(n));
        }

        /** The series' coefficients of {@code x^2 .. x^7}, that of {@code x} being 1. */
        abstract double[] coefficients();

        abstract Value direct(DecompositionBuilder b, Value x);

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value x = asFloat(n, b, 0);
            double[] c = coefficients();
            // Horner: x (1 + x (c2 + x (c3 + ... + x c7)))
            Value series = b.call("aten::mul.Tensor", x, b.scalar(c[c.length - 1]));
            for (int k = c.length - 2; k >= 0; k--) {
                series = b.call("aten::mul.Tensor", b.call("aten::add.Tensor", series, b.scalar(c[k]), new Arg.IntLit(1)), x);
            }
            series = b.call("aten::mul.Tensor", b.call("aten::add.Tensor", series, b.scalar(1), new Arg.IntLit(1)), x);
            Value small = b.call("aten::lt.Scalar", List.of(b.call("aten::abs", x), new Arg.FloatLit(SERIES_BELOW)), Map.of(),
                    b.outputTypeWith(DType.BOOL));
            return List.of(b.call("aten::where.self", small, series, direct(b, x)));
        }
    }

    /** {@code log1p(x)}: {@code x - x^2/2 + x^3/3 - ... + x^7/7} near 0, {@code log(1 + x)} elsewhere. */
    @AutoService(Decomposition.class)
    public static final class Log1p extends NearZero {
        public Log1p() {
            super("aten::log1p");
        }

        @Override
        double[] coefficients() {
            return new double[] {-1.0 / 2, 1.0 / 3, -1.0 / 4, 1.0 / 5, -1.0 / 6, 1.0 / 7};
        }

        @Override
        Value direct(DecompositionBuilder b, Value x) {
            return b.call("aten::log", b.call("aten::add.Tensor", x, b.scalar(1), new Arg.IntLit(1)));
        }
    }

    /** {@code expm1(x)}: {@code x + x^2/2! + ... + x^7/7!} near 0, {@code exp(x) - 1} elsewhere. */
    @AutoService(Decomposition.class)
    public static final class Expm1 extends NearZero {
        public Expm1() {
            super("aten::expm1");
        }

        @Override
        double[] coefficients() {
            return new double[] {1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040};
        }

        @Override
        Value direct(DecompositionBuilder b, Value x) {
            return b.call("aten::sub.Tensor", b.call("aten::exp", x), b.scalar(1), new Arg.IntLit(1));
        }
    }

    /**
     * {@code round(x)}, half to even as libtorch's {@code nearbyint}: {@code r = floor(x + 0.5)}, less one where that
     * went past {@code x} by more than a half or by exactly a half onto an odd number; values too large to have a
     * fraction (and infinities) stay as they are. {@code round.decimals} scales by a power of ten around it, as
     * libtorch does. Integer tensors are returned unchanged.
     */
    abstract static class RoundForm extends OpDecomposition {
        RoundForm(String op) {
            super(op);
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = needsKnownType(n, 0);
            if (r.isPresent()) {
                return r;
            }
            DType dt = typeOf(n, 0).dtype().get();
            return dt == DType.FLOAT32 || dt == DType.FLOAT16 || dt == DType.BFLOAT16 || !dt.isFloatingPoint()
                    ? Optional.empty() : Optional.of("decomposed for f32, f16, bf16 and integers");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value x = b.input(0);
            TensorType t = typeOf(n, 0);
            if (!t.dtype().get().isFloatingPoint()) {
                return List.of(b.call("aten::clone", x, Arg.NONE));
            }
            long decimals = n.schema().indexOf("decimals").isPresent() ? n.intArg("decimals") : 0;
            if (decimals == 0) {
                return List.of(halfToEven(n, b, x));
            }
            // libtorch: nearbyint(x * 10^d) / 10^d, or nearbyint(x / 10^-d) * 10^-d for negative d, the power in the dtype
            Value ten = constant(n, t.dtype().get(), Math.pow(10, Math.abs(decimals)));
            boolean negative = decimals < 0;
            Value scaled = b.call(negative ? "aten::div.Tensor" : "aten::mul.Tensor", x, ten);
            return List.of(b.call(negative ? "aten::mul.Tensor" : "aten::div.Tensor", halfToEven(n, b, scaled), ten));
        }

        static Value halfToEven(Node n, DecompositionBuilder b, Value x) {
            TensorType t = (TensorType) b.outputType();
            DType dt = t.dtype().get();
            Type bool = t.withDType(DType.BOOL);
            Value r = b.call("aten::floor", b.call("aten::add.Tensor", x, b.scalar(0.5), new Arg.IntLit(1)));
            Value over = b.call("aten::sub.Tensor", r, x, new Arg.IntLit(1));
            Value pastHalf = b.call("aten::gt.Scalar", List.of(over, new Arg.FloatLit(0.5)), Map.of(), bool);
            Value atHalf = b.call("aten::eq.Scalar", List.of(over, new Arg.FloatLit(0.5)), Map.of(), bool);
            Value halfR = b.call("aten::floor", b.call("aten::mul.Tensor", r, b.scalar(0.5)));
            Value odd = b.call("aten::ne.Tensor", List.of(b.call("aten::mul.Tensor", halfR, b.scalar(2.0)), r), Map.of(), bool);
            Value down = b.call("aten::logical_or", List.of(pastHalf, b.call("aten::logical_and", List.of(atHalf, odd), Map.of(), bool)),
                    Map.of(), bool);
            Value rounded = b.call("aten::where.self", down, b.call("aten::sub.Tensor", r, b.scalar(1.0), new Arg.IntLit(1)), r);
            // from 2^(mantissa bits) on every value is an integer (x + 0.5 would round): keep x
            double integral = switch (dt) {
                case FLOAT16 -> 1024.0;
                case BFLOAT16 -> 128.0;
                default -> 8388608.0;
            };
            Value large = b.call("aten::ge.Scalar", List.of(b.call("aten::abs", x), new Arg.FloatLit(integral)), Map.of(), bool);
            return b.call("aten::where.self", large, x, rounded);
        }
    }

    @AutoService(Decomposition.class)
    public static final class Round extends RoundForm {
        public Round() {
            super("aten::round");
        }
    }

    @AutoService(Decomposition.class)
    public static final class RoundDecimals extends RoundForm {
        public RoundDecimals() {
            super("aten::round.decimals");
        }
    }

    /**
     * {@code remainder(a, b)} (the sign of {@code b}, Python's {@code %}) and {@code fmod(a, b)} (the sign of
     * {@code a}, C's {@code fmod}). Integers: {@code a - b * q} with the floor or truncated quotient, exact. Floats:
     * the same, then one correction of {@code b} where rounding of {@code a / b} put the result on the wrong side of
     * zero; within a few ulps of {@code a} of libtorch's exact {@code fmod}, and NaN for an infinite {@code b}. Where
     * {@code a} is a multiple of {@code b} up to rounding of the product, the result can be 0 where libtorch gives
     * {@code b} less a few ulps (the same value modulo {@code b}).
     */
    abstract static class Modulo extends OpDecomposition {
        private final boolean floor;

        Modulo(String op, boolean floor) {
            super(op);
            this.floor = floor;
        }

        @Override
        public Optional<String> unsupported(Node n) {
            if (!(n.output(0).type() instanceof TensorType t && t.dtype().isPresent() && t.shape().isRanked())) {
                return Optional.of("needs the result's type (run shape propagation first)");
            }
            if (t.dtype().get() == DType.BOOL) {
                return Optional.of("bool operands");
            }
            return first(() -> needsKnownType(n, 0), () -> n.arg("other") instanceof Value v && !(v.type() instanceof TensorType)
                    ? Optional.of("'other' must be a literal or a tensor") : Optional.empty());
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = (TensorType) b.outputType();
            DType dt = t.dtype().get();
            Value a = b.input(0);
            Value d = n.arg("other") instanceof Value v ? v : constant(n, dt, number(n.arg("other"), n, "other"));
            if (!dt.isFloatingPoint()) {
                Value q = b.call("aten::div.Tensor_mode", a, d, new Arg.StrLit(floor ? "floor" : "trunc"));
                return List.of(b.call("aten::sub.Tensor", a, b.call("aten::mul.Tensor", q, d), new Arg.IntLit(1)));
            }
            Value q = floor ? b.call("aten::floor", b.call("aten::div.Tensor", a, d))
                    : b.call("aten::div.Tensor_mode", a, d, new Arg.StrLit("trunc"));
            Value r = b.call("aten::sub.Tensor", a, b.call("aten::mul.Tensor", q, d), new Arg.IntLit(1));
            Type bool = t.withDType(DType.BOOL);
            // the result's sign must be b's (remainder) or a's (fmod); when not, the quotient was one too far
            Value wrong = b.call("aten::lt.Scalar", List.of(b.call("aten::mul.Tensor", r, floor ? d : a), new Arg.IntLit(0)), Map.of(), bool);
            Value fixed;
            if (floor) {
                fixed = b.call("aten::add.Tensor", r, d, new Arg.IntLit(1));
            } else {
                Value towardB = b.call("aten::lt.Scalar", List.of(b.call("aten::mul.Tensor", r, d), new Arg.IntLit(0)), Map.of(), bool);
                fixed = b.call("aten::where.self", towardB, b.call("aten::add.Tensor", r, d, new Arg.IntLit(1)),
                        b.call("aten::sub.Tensor", r, d, new Arg.IntLit(1)));
            }
            return List.of(b.call("aten::where.self", wrong, fixed, r));
        }
    }

    @AutoService(Decomposition.class)
    public static final class RemainderTensor extends Modulo {
        public RemainderTensor() {
            super("aten::remainder.Tensor", true);
        }
    }

    @AutoService(Decomposition.class)
    public static final class RemainderScalar extends Modulo {
        public RemainderScalar() {
            super("aten::remainder.Scalar", true);
        }
    }

    @AutoService(Decomposition.class)
    public static final class FmodTensor extends Modulo {
        public FmodTensor() {
            super("aten::fmod.Tensor", false);
        }
    }

    @AutoService(Decomposition.class)
    public static final class FmodScalar extends Modulo {
        public FmodScalar() {
            super("aten::fmod.Scalar", false);
        }
    }

    /** {@code one_hot(x, n)}: {@code x[..., None] == arange(n)} as i64. {@code n} must be given (-1 would read the data). */
    @AutoService(Decomposition.class)
    public static final class OneHot implements Decomposition {
        @Override
        public String op() {
            return "aten::one_hot";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "num_classes"));
            if (r.isPresent()) {
                return r;
            }
            if (n.intArg("num_classes") <= 0) {
                return Optional.of("needs num_classes (-1 takes it from the data, which TensorRT cannot size an engine by)");
            }
            return typeOf(n, 0).dtype().get() == DType.INT64 ? Optional.empty() : Optional.of("needs an i64 input");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            long classes = n.intArg("num_classes");
            long[] ks = new long[(int) classes];
            for (int i = 0; i < ks.length; i++) {
                ks[i] = i;
            }
            dev.kiln.ir.Graph g = n.graph();
            Value range = g.addConstant(g.freshName("classes"), dev.kiln.ir.ConstantTensor.ofLongs(new long[] {classes}, ks));
            java.util.List<dev.kiln.ir.SymExpr> dims = new java.util.ArrayList<>(t.shape().dims());
            dims.add(dev.kiln.ir.SymExpr.of(1));
            Value column = b.call("aten::unsqueeze", List.of(b.input(0), new Arg.IntLit(-1)), Map.of(),
                    t.withShape(dev.kiln.ir.Shape.of(dims)));
            Value hit = b.call("aten::eq.Tensor", List.of(column, range), Map.of(), b.outputTypeWith(DType.BOOL));
            return List.of(b.call("aten::_to_copy", List.of(hit), Map.of("dtype", new Arg.DTypeLit(DType.INT64)), b.outputType()));
        }
    }

    /**
     * {@code cosine_similarity(a, b, dim, eps)} as libtorch computes it: each operand divided by its 2-norm along
     * {@code dim} (clamped to at least {@code eps}), then the sum of their products. An FP32 island under FP16 (the
     * norms are sums of squares).
     */
    @AutoService(Decomposition.class)
    public static final class CosineSimilarity implements Decomposition {
        @Override
        public String op() {
            return "aten::cosine_similarity";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsKnownType(n, 1), () -> needsFloatResult(n),
                    () -> needsLiterals(n, "dim", "eps"));
            if (r.isPresent()) {
                return r;
            }
            return typeOf(n, 0).shape().equals(typeOf(n, 1).shape()) && typeOf(n, 0).rank() > 0 ? Optional.empty()
                    : Optional.of("needs operands of one shape (broadcast them first)");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            DType dt = ((TensorType) b.outputType()).dtype().get();
            int d = norm(n.intArg("dim"), t.rank());
            TensorType full = t.withDType(dt);
            TensorType kept = reducedType(full, List.of(d), true);
            double eps = n.doubleArg("eps");
            Value x = unit(b, asFloat(n, b, 0), d, eps, full, kept);
            Value y = unit(b, asFloat(n, b, 1), d, eps, full, kept);
            Value prod = b.call("aten::mul.Tensor", List.of(x, y), Map.of(), full);
            return List.of(b.call("aten::sum.dim_IntList", List.of(prod, Arg.ints(d), new Arg.BoolLit(false)), Map.of(), b.outputType()));
        }

        private static Value unit(DecompositionBuilder b, Value x, int d, double eps, TensorType full, TensorType kept) {
            Value sq = b.call("aten::mul.Tensor", List.of(x, x), Map.of(), full);
            Value norm = b.call("aten::sqrt", List.of(b.call("aten::sum.dim_IntList", List.of(sq, Arg.ints(d), new Arg.BoolLit(true)),
                    Map.of(), kept)), Map.of(), kept);
            Value clamped = b.call("aten::clamp_min", List.of(norm, new Arg.FloatLit(eps)), Map.of(), kept);
            return b.call("aten::div.Tensor", List.of(x, clamped), Map.of(), full);
        }
    }

    /** {@code rrelu} in inference ({@code training=False}): {@code leaky_relu} with the mean slope {@code (lower + upper) / 2}. */
    @AutoService(Decomposition.class)
    public static final class Rrelu implements Decomposition {
        @Override
        public String op() {
            return "aten::rrelu";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = needsLiterals(n, "lower", "upper", "training");
            return r.isPresent() ? r : n.boolArg("training") ? Optional.of("training=True draws random slopes") : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            double slope = (n.doubleArg("lower") + n.doubleArg("upper")) / 2;
            return List.of(b.call("aten::leaky_relu", b.input(0), new Arg.FloatLit(slope)));
        }
    }
}
