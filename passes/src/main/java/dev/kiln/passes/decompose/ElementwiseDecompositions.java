package dev.kiln.passes.decompose;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.kiln.passes.decompose.DecompositionSupport.*;

/**
 * Elementwise ops and small products TensorRT has no single layer for: {@code relu6}, {@code selu}, {@code celu},
 * {@code threshold}, {@code glu}, {@code log2}, {@code log10}, {@code exp2}, {@code isnan}, {@code isinf},
 * {@code trunc}, {@code frac}, {@code sign}, {@code hardshrink}, {@code softshrink}, {@code nan_to_num},
 * {@code baddbmm}, {@code addcdiv}, {@code addmv}, {@code dot}, {@code mv}, {@code outer}. Each keeps libtorch's
 * handling of NaN and inf (checked against libtorch by {@code DecompositionsAgreeWithLibtorchTest}).
 */
public final class ElementwiseDecompositions {
    private ElementwiseDecompositions() {
    }

    /** {@code relu6(x) = hardtanh(x, 0, 6)}. */
    @AutoService(Decomposition.class)
    public static final class Relu6 implements Decomposition {
        @Override
        public String op() {
            return "aten::relu6";
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call("aten::hardtanh", b.input(0), new Arg.FloatLit(0.0), new Arg.FloatLit(6.0)));
        }
    }

    /** {@code selu(x) = elu(x, alpha=1.6732..., scale=1.0507...)}, PyTorch's constants. */
    @AutoService(Decomposition.class)
    public static final class Selu implements Decomposition {
        static final double ALPHA = 1.6732632423543772848170429916717;
        static final double SCALE = 1.0507009873554804934193349852946;

        @Override
        public String op() {
            return "aten::selu";
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call("aten::elu", b.input(0), new Arg.FloatLit(ALPHA), new Arg.FloatLit(SCALE), new Arg.FloatLit(1.0)));
        }
    }

    /** {@code celu(x, alpha) = elu(x, alpha, 1, 1/alpha)}. */
    @AutoService(Decomposition.class)
    public static final class Celu implements Decomposition {
        @Override
        public String op() {
            return "aten::celu";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = needsLiterals(n, "alpha");
            return r.isPresent() ? r : n.doubleArg("alpha") == 0 ? Optional.of("alpha 0 divides by zero") : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            double alpha = n.doubleArg("alpha");
            return List.of(b.call("aten::elu", b.input(0), new Arg.FloatLit(alpha), new Arg.FloatLit(1.0), new Arg.FloatLit(1.0 / alpha)));
        }
    }

    /** {@code threshold(x, t, v) = where(x > t, x, v)}. */
    @AutoService(Decomposition.class)
    public static final class Threshold implements Decomposition {
        @Override
        public String op() {
            return "aten::threshold";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "threshold", "value"));
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value x = b.input(0);
            Value above = b.call("aten::gt.Scalar", List.of(x, n.arg("threshold")), Map.of(), b.outputTypeWith(DType.BOOL));
            return List.of(b.call("aten::where.self", above, x, constant(n, typeOf(n, 0).dtype().get(), n.doubleArg("value"))));
        }
    }

    /** {@code log2(x) = log(x) / ln 2} and {@code log10(x) = log(x) / ln 10}. */
    abstract static class ScaledLog extends OpDecomposition {
        private final double base;

        ScaledLog(String op, double base) {
            super(op);
            this.base = base;
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call("aten::mul.Tensor", b.call("aten::log", b.input(0)), b.scalar(1 / Math.log(base))));
        }
    }

    @AutoService(Decomposition.class)
    public static final class Log2 extends ScaledLog {
        public Log2() {
            super("aten::log2", 2);
        }
    }

    @AutoService(Decomposition.class)
    public static final class Log10 extends ScaledLog {
        public Log10() {
            super("aten::log10", 10);
        }
    }

    /** {@code exp2(x) = exp(x * ln 2)}. */
    @AutoService(Decomposition.class)
    public static final class Exp2 implements Decomposition {
        @Override
        public String op() {
            return "aten::exp2";
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call("aten::exp", b.call("aten::mul.Tensor", b.input(0), b.scalar(Math.log(2)))));
        }
    }

    /** {@code isnan(x) = x != x}. */
    @AutoService(Decomposition.class)
    public static final class IsNan implements Decomposition {
        @Override
        public String op() {
            return "aten::isnan";
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call("aten::ne.Tensor", b.input(0), b.input(0)));
        }
    }

    /** {@code isinf(x) = |x| == inf}. */
    @AutoService(Decomposition.class)
    public static final class IsInf implements Decomposition {
        @Override
        public String op() {
            return "aten::isinf";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return needsKnownType(n, 0);
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            Value abs = b.call("aten::abs", List.of(b.input(0)), Map.of(), t);
            return List.of(b.call("aten::eq.Scalar", abs, new Arg.FloatLit(Double.POSITIVE_INFINITY)));
        }
    }

    /** {@code glu(x, dim) = a * sigmoid(b)}, {@code a} and {@code b} the two halves of {@code x} along {@code dim}. */
    @AutoService(Decomposition.class)
    public static final class Glu implements Decomposition {
        @Override
        public String op() {
            return "aten::glu";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "dim"));
            if (r.isPresent()) {
                return r;
            }
            TensorType t = typeOf(n, 0);
            long s = size(t, norm(n.intArg("dim"), t.rank()));
            return s > 0 && s % 2 == 0 ? Optional.empty() : Optional.of("the halved dim needs a static, even size");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            int d = norm(n.intArg("dim"), t.rank());
            long half = size(t, d) / 2;
            Value x = b.input(0);
            Type out = b.outputType();
            Value first = b.call("aten::slice.Tensor", List.of(x, new Arg.IntLit(d), new Arg.IntLit(0), new Arg.IntLit(half)), Map.of(), out);
            Value second = b.call("aten::slice.Tensor", List.of(x, new Arg.IntLit(d), new Arg.IntLit(half), new Arg.IntLit(2 * half)),
                    Map.of(), out);
            return List.of(b.call("aten::mul.Tensor", first, b.call("aten::sigmoid", second)));
        }
    }

    /** {@code trunc(x) = where(x < 0, ceil(x), floor(x))}. */
    @AutoService(Decomposition.class)
    public static final class Trunc implements Decomposition {
        @Override
        public String op() {
            return "aten::trunc";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return needsKnownType(n, 0);
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(trunc(n, b, b.input(0)));
        }
    }

    static Value trunc(Node n, DecompositionBuilder b, Value x) {
        TensorType t = known(x).orElseThrow();
        if (!t.dtype().get().isFloatingPoint()) {
            return x;
        }
        Value negative = b.call("aten::lt.Scalar", List.of(x, new Arg.IntLit(0)), Map.of(), t.withDType(DType.BOOL));
        return b.call("aten::where.self", List.of(negative, b.call("aten::ceil", List.of(x), Map.of(), t),
                b.call("aten::floor", List.of(x), Map.of(), t)), Map.of(), t);
    }

    /** {@code frac(x) = x - trunc(x)}. */
    @AutoService(Decomposition.class)
    public static final class Frac implements Decomposition {
        @Override
        public String op() {
            return "aten::frac";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = needsKnownType(n, 0);
            return r.isPresent() ? r : typeOf(n, 0).dtype().get().isFloatingPoint() ? Optional.empty()
                    : Optional.of("needs a floating input");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value x = b.input(0);
            return List.of(b.call("aten::sub.Tensor", x, trunc(n, b, x)));
        }
    }

    /** {@code sign(x) = (x > 0) - (x < 0)} in x's dtype (0 for NaN, as libtorch). */
    @AutoService(Decomposition.class)
    public static final class Sign implements Decomposition {
        @Override
        public String op() {
            return "aten::sign";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = needsKnownType(n, 0);
            return r.isPresent() ? r : typeOf(n, 0).dtype().get() == DType.BOOL ? Optional.of("bool input") : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            DType dt = t.dtype().get();
            Value x = b.input(0);
            Value pos = b.call("aten::gt.Scalar", List.of(x, new Arg.IntLit(0)), Map.of(), t.withDType(DType.BOOL));
            Value neg = b.call("aten::lt.Scalar", List.of(x, new Arg.IntLit(0)), Map.of(), t.withDType(DType.BOOL));
            Value p = b.call("aten::_to_copy", List.of(pos), Map.of("dtype", new Arg.DTypeLit(dt)), t);
            Value m = b.call("aten::_to_copy", List.of(neg), Map.of("dtype", new Arg.DTypeLit(dt)), t);
            // NaN compares false both ways: 0, as libtorch gives
            return List.of(b.call("aten::sub.Tensor", List.of(p, m), Map.of(), t));
        }
    }

    /** {@code hardshrink(x, l) = where(|x| <= l, 0, x)} (NaN stays NaN, as libtorch). */
    @AutoService(Decomposition.class)
    public static final class Hardshrink implements Decomposition {
        @Override
        public String op() {
            return "aten::hardshrink";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "lambd"));
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            Value x = b.input(0);
            Value abs = b.call("aten::abs", List.of(x), Map.of(), t);
            Value inside = b.call("aten::le.Scalar", List.of(abs, n.arg("lambd")), Map.of(), t.withDType(DType.BOOL));
            return List.of(b.call("aten::where.self", inside, constant(n, t.dtype().get(), 0), x));
        }
    }

    /** {@code softshrink(x, l) = where(x > l, x - l, where(x < -l, x + l, 0))}. */
    @AutoService(Decomposition.class)
    public static final class Softshrink implements Decomposition {
        @Override
        public String op() {
            return "aten::softshrink";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "lambd"));
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            double l = n.doubleArg("lambd");
            Value x = b.input(0);
            Value above = b.call("aten::gt.Scalar", List.of(b.input(0), new Arg.FloatLit(l)), Map.of(), t.withDType(DType.BOOL));
            Value below = b.call("aten::lt.Scalar", List.of(b.input(0), new Arg.FloatLit(-l)), Map.of(), t.withDType(DType.BOOL));
            Value low = b.call("aten::where.self", below, b.call("aten::add.Tensor", x, b.scalar(l)), constant(n, t.dtype().get(), 0));
            return List.of(b.call("aten::where.self", above, b.call("aten::sub.Tensor", x, b.scalar(l)), low));
        }
    }

    /** {@code nan_to_num}: NaN, +inf and -inf replaced (by 0 and the dtype's largest finite magnitudes by default). */
    @AutoService(Decomposition.class)
    public static final class NanToNum implements Decomposition {
        @Override
        public String op() {
            return "aten::nan_to_num";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "nan", "posinf", "neginf"));
            if (r.isPresent()) {
                return r;
            }
            DType dt = typeOf(n, 0).dtype().get();
            return dt == DType.FLOAT32 || dt == DType.FLOAT16 || dt == DType.BFLOAT16 ? Optional.empty()
                    : Optional.of("decomposed for f32, f16 and bf16 only");
        }

        static double largest(DType dt) {
            return switch (dt) {
                case FLOAT16 -> 65504.0;
                case BFLOAT16 -> 3.3895313892515355e38;
                default -> Float.MAX_VALUE;
            };
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            DType dt = t.dtype().get();
            Value x = b.input(0);
            double nan = n.arg("nan").isNone() ? 0 : n.doubleArg("nan");
            double pos = n.arg("posinf").isNone() ? largest(dt) : n.doubleArg("posinf");
            double neg = n.arg("neginf").isNone() ? -largest(dt) : n.doubleArg("neginf");
            Type bool = t.withDType(DType.BOOL);
            Value isNan = b.call("aten::ne.Tensor", List.of(x, x), Map.of(), bool);
            Value isPos = b.call("aten::eq.Scalar", List.of(x, new Arg.FloatLit(Double.POSITIVE_INFINITY)), Map.of(), bool);
            Value isNeg = b.call("aten::eq.Scalar", List.of(x, new Arg.FloatLit(Double.NEGATIVE_INFINITY)), Map.of(), bool);
            Value y = b.call("aten::where.self", List.of(isNan, constant(n, dt, nan), x), Map.of(), t);
            y = b.call("aten::where.self", List.of(isPos, constant(n, dt, pos), y), Map.of(), t);
            return List.of(b.call("aten::where.self", List.of(isNeg, constant(n, dt, neg), y), Map.of(), t));
        }
    }

    /**
     * {@code beta * self + alpha * product(a, b)} (self ignored when beta is 0, as PyTorch does): {@code baddbmm} with
     * {@code bmm}, {@code addmv} with {@code matmul}.
     */
    abstract static class ScaledProductSum extends OpDecomposition {
        private final String product;

        ScaledProductSum(String op, String product) {
            super(op);
            this.product = product;
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return needsLiterals(n, "beta", "alpha");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            double beta = n.doubleArg("beta");
            double alpha = n.doubleArg("alpha");
            Value p = b.call(product, b.input(1), b.input(2));
            if (alpha != 1) {
                p = b.call("aten::mul.Tensor", p, b.scalar(alpha));
            }
            if (beta == 0) {
                return List.of(p);
            }
            Value self = beta == 1 ? b.input(0) : b.call("aten::mul.Tensor", b.input(0), b.scalar(beta));
            return List.of(b.call("aten::add.Tensor", self, p));
        }
    }

    @AutoService(Decomposition.class)
    public static final class Baddbmm extends ScaledProductSum {
        public Baddbmm() {
            super("aten::baddbmm", "aten::bmm");
        }
    }

    @AutoService(Decomposition.class)
    public static final class Addmv extends ScaledProductSum {
        public Addmv() {
            super("aten::addmv", "aten::matmul");
        }
    }

    /** {@code addcdiv(self, t1, t2, value) = self + value * t1 / t2}. */
    @AutoService(Decomposition.class)
    public static final class Addcdiv implements Decomposition {
        @Override
        public String op() {
            return "aten::addcdiv";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return needsLiterals(n, "value");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            // t1 / t2 may broadcast to less than the result: its shape is left to shape propagation
            Type loose = b.outputType() instanceof TensorType t ? t.withShape(Shape.unranked()) : b.outputType();
            Value q = b.call("aten::div.Tensor", List.of(b.input(1), b.input(2)), Map.of(), loose);
            double value = n.doubleArg("value");
            if (value != 1) {
                q = b.call("aten::mul.Tensor", List.of(q, b.scalar(value)), Map.of(), loose);
            }
            return List.of(b.call("aten::add.Tensor", b.input(0), q));
        }
    }

    /** {@code dot(a, b)} and {@code mv(A, x)}: {@code matmul}, whose 1-d rules they are. */
    abstract static class AsMatmul implements Decomposition {
        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call("aten::matmul", b.input(0), b.input(1)));
        }
    }

    @AutoService(Decomposition.class)
    public static final class Dot extends AsMatmul {
        @Override
        public String op() {
            return "aten::dot";
        }
    }

    @AutoService(Decomposition.class)
    public static final class Mv extends AsMatmul {
        @Override
        public String op() {
            return "aten::mv";
        }
    }

    /** {@code outer(a, b) = unsqueeze(a, 1) * b}. */
    @AutoService(Decomposition.class)
    public static final class Outer implements Decomposition {
        @Override
        public String op() {
            return "aten::outer";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return needsKnownType(n, 0);
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType a = typeOf(n, 0);
            Value column = b.call("aten::unsqueeze", List.of(b.input(0), new Arg.IntLit(1)), Map.of(),
                    a.withShape(Shape.of(a.shape().dim(0), SymExpr.of(1))));
            return List.of(b.call("aten::mul.Tensor", column, b.input(1)));
        }
    }
}
