package dev.kiln.passes.decompose;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.passes.Ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decompositions of ops that models exported with {@code torch.export} or TorchScript use and that TensorRT has no
 * single layer for, into ops that do have converters: statistics ({@code var}, {@code std}, vector norms,
 * {@code logsumexp}), layout ({@code repeat}, {@code tile}, {@code flip}, {@code pixel_shuffle}; {@code roll} opt-in),
 * masks ({@code tril}, {@code triu}), factories ({@code new_zeros}, {@code new_ones}, {@code new_full}), and
 * elementwise forms ({@code relu6}, {@code selu}, {@code celu}, {@code threshold}, {@code glu}, {@code log2},
 * {@code log10}, {@code exp2}, {@code isnan}, {@code isinf}, {@code trunc}, {@code frac}, {@code sign},
 * {@code hardshrink}, {@code softshrink}, {@code nan_to_num}), normalizations ({@code instance_norm},
 * {@code rms_norm}, {@code var_mean}, {@code std_mean}), products ({@code baddbmm}, {@code addcdiv}, {@code dot},
 * {@code mv}, {@code outer}) and shape-taking forms ({@code expand_as}, {@code view_as}, {@code reshape_as},
 * {@code type_as}). Without them these nodes ran in libtorch and cut the graph into several engines.
 * Each is exact up to floating-point rounding (checked against libtorch on the CPU by
 * {@code CommonDecompositionsTest}); shape-dependent ones need the static sizes they say in {@link #unsupported}.
 */
public final class CommonDecompositions {
    private CommonDecompositions() {
    }

    // ------------------------------------------------------------------ helpers

    /** The tensor type of {@code v} when its dtype and rank are known. */
    static Optional<TensorType> known(Value v) {
        return v.type() instanceof TensorType t && t.dtype().isPresent() && t.shape().isRanked() ? Optional.of(t) : Optional.empty();
    }

    static TensorType typeOf(Node n, int arg) {
        return known((Value) n.arg(arg)).orElseThrow();
    }

    /** The static size of dim {@code d}, or -1. */
    static long size(TensorType t, int d) {
        return t.shape().dim(d) instanceof SymExpr.Const c ? c.value() : -1;
    }

    /** The longs of an int literal or a list of int literals. */
    static long[] longs(Arg a) {
        if (a instanceof Arg.IntLit i) {
            return new long[] {i.value()};
        }
        if (a instanceof Arg.ListArg l) {
            return l.elements().stream().mapToLong(e -> ((Arg.IntLit) e).value()).toArray();
        }
        throw new IllegalArgumentException("not int literals: " + a);
    }

    static int norm(long d, int rank) {
        return (int) (d < 0 ? d + rank : d);
    }

    /** The reduced dims of a reduction's {@code int[1]?} argument: every dim when None or empty. */
    static List<Integer> reduced(Arg dims, int rank) {
        List<Integer> out = new ArrayList<>();
        long[] ds = dims.isNone() ? new long[0] : dims instanceof Arg.IntLit i ? new long[] {i.value()} : longs(dims);
        if (ds.length == 0) {
            for (int d = 0; d < rank; d++) {
                out.add(d);
            }
        } else {
            for (long d : ds) {
                out.add(norm(d, rank));
            }
        }
        return out;
    }

    /** {@code t} with the dims in {@code dims} made 1 ({@code keepdim}) or dropped. */
    static TensorType reducedType(TensorType t, List<Integer> dims, boolean keepdim) {
        List<SymExpr> out = new ArrayList<>();
        for (int d = 0; d < t.rank(); d++) {
            if (!dims.contains(d)) {
                out.add(t.shape().dim(d));
            } else if (keepdim) {
                out.add(SymExpr.of(1));
            }
        }
        return t.withShape(Shape.of(out));
    }

    static TensorType ofSizes(DType dtype, long... sizes) {
        return new TensorType(dtype, Shape.of(sizes));
    }

    static Arg.ListArg ints(List<Integer> xs) {
        return Arg.ints(xs.stream().mapToLong(Integer::longValue).toArray());
    }

    /** A 0-d constant of {@code dtype}. */
    static Value constant(Node anchor, DType dtype, double value) {
        return Ops.scalarConstant(anchor.graph(), "c", dtype, value);
    }

    static Optional<String> needsKnownType(Node n, int arg) {
        return n.arg(arg) instanceof Value v && known(v).isPresent() ? Optional.empty()
                : Optional.of("needs the dtype and rank of its input (run shape propagation first)");
    }

    static Optional<String> needsLiterals(Node n, String... names) {
        for (String name : names) {
            Arg a = n.arg(name);
            if (a instanceof Value || a instanceof Arg.ListArg l && l.elements().stream().anyMatch(e -> !(e instanceof Arg.IntLit))) {
                return Optional.of("'" + name + "' must be a literal");
            }
        }
        return Optional.empty();
    }

    /** The first present reason. */
    @SafeVarargs
    static Optional<String> first(java.util.function.Supplier<Optional<String>>... checks) {
        for (var c : checks) {
            Optional<String> r = c.get();
            if (r.isPresent()) {
                return r;
            }
        }
        return Optional.empty();
    }

    // ------------------------------------------------------------------ statistics

    /**
     * {@code var}/{@code std} ({@code .correction} and {@code .dim}): {@code sum((x - mean(x))^2) / (N - correction)},
     * with {@code N} the number of reduced elements (static), and its square root for {@code std}.
     */
    abstract static class Variance implements Decomposition {
        private final String op;
        private final boolean std;

        Variance(String op, boolean std) {
            this.op = op;
            this.std = std;
        }

        @Override
        public String op() {
            return op;
        }

        abstract double correction(Node n);

        /** The reduced-dims argument (None: every dim). */
        Arg dims(Node n) {
            return n.arg("dim");
        }

        boolean keepdim(Node n) {
            return n.boolArg("keepdim");
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> n.schema().indexOf("dim").isPresent()
                    ? needsLiterals(n, "dim", "keepdim") : Optional.empty());
            if (r.isPresent()) {
                return r;
            }
            if (n.arg(op.endsWith("correction") ? "correction" : "unbiased") instanceof Value) {
                return Optional.of("the correction must be a literal");
            }
            TensorType t = typeOf(n, 0);
            if (!t.dtype().get().isFloatingPoint()) {
                return Optional.of("needs a floating input");
            }
            long count = 1;
            for (int d : reduced(dims(n), t.rank())) {
                long s = size(t, d);
                if (s < 0) {
                    return Optional.of("the reduced dims must have static sizes (dim " + d + " is " + t.shape().dim(d) + ")");
                }
                count *= s;
            }
            return count - correction(n) > 0 ? Optional.empty()
                    : Optional.of("reduces " + count + " elements with correction " + correction(n) + " (the result is inf or NaN)");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            List<Integer> dims = reduced(dims(n), t.rank());
            boolean keepdim = keepdim(n);
            long count = 1;
            for (int d : dims) {
                count *= size(t, d);
            }
            Value x = b.input(0);
            Value mean = b.call("aten::mean.dim", List.of(x, ints(dims), new Arg.BoolLit(true)), Map.of(), reducedType(t, dims, true));
            Value centered = b.call("aten::sub.Tensor", List.of(x, mean), Map.of(), t);
            Value squared = b.call("aten::mul.Tensor", List.of(centered, centered), Map.of(), t);
            Value sum = b.call("aten::sum.dim_IntList", List.of(squared, ints(dims), new Arg.BoolLit(keepdim)), Map.of(),
                    reducedType(t, dims, keepdim));
            Value var = b.call("aten::div.Tensor", sum, b.scalar(count - correction(n)));
            return List.of(std ? b.call("aten::sqrt", var) : var);
        }
    }

    static double correctionArg(Node n) {
        Arg c = n.arg("correction");
        return c.isNone() ? 1.0 : n.doubleArg("correction");
    }

    @AutoService(Decomposition.class)
    public static final class VarCorrection extends Variance {
        public VarCorrection() {
            super("aten::var.correction", false);
        }

        @Override
        double correction(Node n) {
            return correctionArg(n);
        }
    }

    @AutoService(Decomposition.class)
    public static final class StdCorrection extends Variance {
        public StdCorrection() {
            super("aten::std.correction", true);
        }

        @Override
        double correction(Node n) {
            return correctionArg(n);
        }
    }

    @AutoService(Decomposition.class)
    public static final class VarDim extends Variance {
        public VarDim() {
            super("aten::var.dim", false);
        }

        @Override
        double correction(Node n) {
            return n.boolArg("unbiased") ? 1 : 0;
        }
    }

    @AutoService(Decomposition.class)
    public static final class StdDim extends Variance {
        public StdDim() {
            super("aten::std.dim", true);
        }

        @Override
        double correction(Node n) {
            return n.boolArg("unbiased") ? 1 : 0;
        }
    }

    /** Vector norms of order 2 ({@code sqrt(sum(x*x))}), 1 ({@code sum(|x|)}) and inf ({@code amax(|x|)}). */
    abstract static class VectorNorm implements Decomposition {
        abstract String ordArg();

        double ord(Node n) {
            Arg p = n.arg(ordArg());
            return p.isNone() ? 2.0 : n.doubleArg(ordArg());
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, ordArg(), "dim", "keepdim"));
            if (r.isPresent()) {
                return r;
            }
            if (!typeOf(n, 0).dtype().get().isFloatingPoint()) {
                return Optional.of("needs a floating input");
            }
            double p = ord(n);
            return p == 1 || p == 2 || p == Double.POSITIVE_INFINITY ? Optional.empty()
                    : Optional.of("only orders 1, 2 and inf are decomposed, not " + p);
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            List<Integer> dims = reduced(n.arg("dim"), t.rank());
            boolean keepdim = n.boolArg("keepdim");
            Value x = b.input(0);
            double p = ord(n);
            Type out = reducedType(t, dims, keepdim);
            if (p == 2) {
                Value sq = b.call("aten::mul.Tensor", List.of(x, x), Map.of(), t);
                Value sum = b.call("aten::sum.dim_IntList", List.of(sq, ints(dims), new Arg.BoolLit(keepdim)), Map.of(), out);
                return List.of(b.call("aten::sqrt", List.of(sum), Map.of(), out));
            }
            Value abs = b.call("aten::abs", List.of(x), Map.of(), t);
            String reduce = p == 1 ? "aten::sum.dim_IntList" : "aten::amax";
            return List.of(b.call(reduce, List.of(abs, ints(dims), new Arg.BoolLit(keepdim)), Map.of(), out));
        }
    }

    @AutoService(Decomposition.class)
    public static final class LinalgVectorNorm extends VectorNorm {
        @Override
        public String op() {
            return "aten::linalg_vector_norm";
        }

        @Override
        String ordArg() {
            return "ord";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return n.arg("dtype").isNone() ? super.unsupported(n) : Optional.of("a dtype argument is not decomposed");
        }
    }

    @AutoService(Decomposition.class)
    public static final class NormScalarOptDim extends VectorNorm {
        @Override
        public String op() {
            return "aten::norm.ScalarOpt_dim";
        }

        @Override
        String ordArg() {
            return "p";
        }
    }

    /** {@code logsumexp(x, dim) = log(sum(exp(x - m), dim)) + m}, {@code m = amax(x, dim)} (0 where m is infinite). */
    @AutoService(Decomposition.class)
    public static final class LogSumExp implements Decomposition {
        @Override
        public String op() {
            return "aten::logsumexp";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "dim", "keepdim"));
            return r.isPresent() ? r : typeOf(n, 0).dtype().get().isFloatingPoint() ? Optional.empty()
                    : Optional.of("needs a floating input");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            List<Integer> dims = reduced(n.arg("dim"), t.rank());
            boolean keepdim = n.boolArg("keepdim");
            Value x = b.input(0);
            TensorType kept = reducedType(t, dims, true);
            Value m = b.call("aten::amax", List.of(x, ints(dims), new Arg.BoolLit(true)), Map.of(), kept);
            Value infinite = b.call("aten::eq.Scalar", List.of(b.call("aten::abs", List.of(m), Map.of(), kept),
                    new Arg.FloatLit(Double.POSITIVE_INFINITY)), Map.of(), kept.withDType(DType.BOOL));
            Value safe = b.call("aten::where.self", List.of(infinite, constant(n, t.dtype().get(), 0), m), Map.of(), kept);
            Value e = b.call("aten::exp", List.of(b.call("aten::sub.Tensor", List.of(x, safe), Map.of(), t)), Map.of(), t);
            Value s = b.call("aten::sum.dim_IntList", List.of(e, ints(dims), new Arg.BoolLit(true)), Map.of(), kept);
            Value y = b.call("aten::add.Tensor", List.of(b.call("aten::log", List.of(s), Map.of(), kept), safe), Map.of(), kept);
            return List.of(keepdim ? y : b.call("aten::squeeze.dims", List.of(y, ints(dims)), Map.of(), reducedType(t, dims, false)));
        }
    }

    // ------------------------------------------------------------------ elementwise

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
    abstract static class ScaledLog implements Decomposition {
        private final String op;
        private final double base;

        ScaledLog(String op, double base) {
            this.op = op;
            this.base = base;
        }

        @Override
        public String op() {
            return op;
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

    /** {@code baddbmm(self, b1, b2, beta, alpha) = beta * self + alpha * bmm(b1, b2)} (self ignored when beta is 0). */
    @AutoService(Decomposition.class)
    public static final class Baddbmm implements Decomposition {
        @Override
        public String op() {
            return "aten::baddbmm";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return needsLiterals(n, "beta", "alpha");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            double beta = n.doubleArg("beta");
            double alpha = n.doubleArg("alpha");
            Value mm = b.call("aten::bmm", b.input(1), b.input(2));
            if (alpha != 1) {
                mm = b.call("aten::mul.Tensor", mm, b.scalar(alpha));
            }
            if (beta == 0) {
                return List.of(mm);
            }
            Value self = beta == 1 ? b.input(0) : b.call("aten::mul.Tensor", b.input(0), b.scalar(beta));
            return List.of(b.call("aten::add.Tensor", self, mm));
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

    /**
     * {@code instance_norm}: with the input's statistics, {@code group_norm} with one group per channel; with the
     * running statistics, the inference {@code batch_norm} it then is.
     */
    @AutoService(Decomposition.class)
    public static final class InstanceNorm implements Decomposition {
        @Override
        public String op() {
            return "aten::instance_norm";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "use_input_stats", "eps"));
            if (r.isPresent()) {
                return r;
            }
            TensorType t = typeOf(n, 0);
            if (t.rank() < 3 || size(t, 1) < 1) {
                return Optional.of("needs a batched input with a static channel count");
            }
            if (!n.boolArg("use_input_stats") && (n.arg("running_mean").isNone() || n.arg("running_var").isNone())) {
                return Optional.of("without input statistics it needs running_mean and running_var");
            }
            return Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            if (n.boolArg("use_input_stats")) {
                long channels = size(typeOf(n, 0), 1);
                return List.of(b.call("aten::group_norm", List.of(b.input(0), new Arg.IntLit(channels), n.arg("weight"), n.arg("bias"),
                        n.arg("eps")), Map.of(), b.outputType()));
            }
            return List.of(b.call("aten::batch_norm", List.of(b.input(0), n.arg("weight"), n.arg("bias"), n.arg("running_mean"),
                    n.arg("running_var"), new Arg.BoolLit(false), n.arg("momentum"), n.arg("eps"), new Arg.BoolLit(false)), Map.of(),
                    b.outputType()));
        }
    }

    // ------------------------------------------------------------------ factories

    /** {@code new_zeros}, {@code new_ones}, {@code new_full}: {@code full(size, value)} in self's dtype unless given. */
    abstract static class NewFull implements Decomposition {
        abstract Arg fill(Node n);

        @Override
        public Optional<String> unsupported(Node n) {
            return n.arg("dtype").isNone() ? needsKnownType(n, 0) : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Arg dtype = n.arg("dtype").isNone() ? new Arg.DTypeLit(typeOf(n, 0).dtype().get()) : n.arg("dtype");
            return List.of(b.call("aten::full", List.of(n.arg("size"), fill(n)), Map.of("dtype", dtype), b.outputType()));
        }
    }

    @AutoService(Decomposition.class)
    public static final class NewZeros extends NewFull {
        @Override
        public String op() {
            return "aten::new_zeros";
        }

        @Override
        Arg fill(Node n) {
            return new Arg.IntLit(0);
        }
    }

    @AutoService(Decomposition.class)
    public static final class NewOnes extends NewFull {
        @Override
        public String op() {
            return "aten::new_ones";
        }

        @Override
        Arg fill(Node n) {
            return new Arg.IntLit(1);
        }
    }

    @AutoService(Decomposition.class)
    public static final class NewFullOp extends NewFull {
        @Override
        public String op() {
            return "aten::new_full";
        }

        @Override
        Arg fill(Node n) {
            return n.arg("fill_value");
        }
    }

    // ------------------------------------------------------------------ layout

    /** Whether every size of {@code t} is static. */
    static boolean allStatic(TensorType t) {
        for (int d = 0; d < t.rank(); d++) {
            if (size(t, d) < 0) {
                return false;
            }
        }
        return true;
    }

    static long[] sizes(TensorType t) {
        long[] s = new long[t.rank()];
        for (int d = 0; d < s.length; d++) {
            s[d] = size(t, d);
        }
        return s;
    }

    /** {@code repeat(x, r)}: x viewed as {@code [1, s0, 1, s1, ...]}, expanded to {@code [r0, s0, r1, s1, ...]}, reshaped. */
    static Value repeat(Node n, DecompositionBuilder b, long[] repeats) {
        TensorType t = typeOf(n, 0);
        long[] s = sizes(t);
        int m = repeats.length;
        long[] padded = new long[m];
        for (int i = 0; i < m; i++) {
            padded[i] = i < m - s.length ? 1 : s[i - (m - s.length)];
        }
        long[] view = new long[2 * m];
        long[] wide = new long[2 * m];
        long[] out = new long[m];
        for (int i = 0; i < m; i++) {
            view[2 * i] = 1;
            view[2 * i + 1] = padded[i];
            wide[2 * i] = repeats[i];
            wide[2 * i + 1] = padded[i];
            out[i] = repeats[i] * padded[i];
        }
        DType dt = t.dtype().get();
        Value v = b.call("aten::reshape", List.of(b.input(0), Arg.ints(view)), Map.of(), ofSizes(dt, view));
        Value e = b.call("aten::expand", List.of(v, Arg.ints(wide)), Map.of(), ofSizes(dt, wide));
        return b.call("aten::reshape", List.of(e, Arg.ints(out)), Map.of(), ofSizes(dt, out));
    }

    static Optional<String> staticInput(Node n, String listArg) {
        Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, listArg));
        if (r.isPresent()) {
            return r;
        }
        if (!(n.arg(listArg) instanceof Arg.ListArg l) || l.elements().stream().anyMatch(e -> !(e instanceof Arg.IntLit))) {
            return Optional.of("'" + listArg + "' must be constant ints");
        }
        return allStatic(typeOf(n, 0)) ? Optional.empty() : Optional.of("needs static input sizes");
    }

    @AutoService(Decomposition.class)
    public static final class Repeat implements Decomposition {
        @Override
        public String op() {
            return "aten::repeat";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = staticInput(n, "repeats");
            if (r.isPresent()) {
                return r;
            }
            return longs(n.arg("repeats")).length >= typeOf(n, 0).rank() ? Optional.empty()
                    : Optional.of("fewer repeats than the input has dims");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(repeat(n, b, longs(n.arg("repeats"))));
        }
    }

    /** {@code tile(x, dims)}: {@code repeat} with {@code dims} padded by leading ones to the input's rank. */
    @AutoService(Decomposition.class)
    public static final class Tile implements Decomposition {
        @Override
        public String op() {
            return "aten::tile";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return staticInput(n, "dims");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            long[] dims = longs(n.arg("dims"));
            int rank = typeOf(n, 0).rank();
            long[] reps = new long[Math.max(rank, dims.length)];
            java.util.Arrays.fill(reps, 1);
            System.arraycopy(dims, 0, reps, reps.length - dims.length, dims.length);
            return List.of(repeat(n, b, reps));
        }
    }

    /** {@code flip(x, dims)}: {@code index_select} with a reversed index along each dim (static sizes). */
    @AutoService(Decomposition.class)
    public static final class Flip implements Decomposition {
        @Override
        public String op() {
            return "aten::flip";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return staticInput(n, "dims");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            Graph g = n.graph();
            Value x = b.input(0);
            for (long d0 : longs(n.arg("dims"))) {
                int d = norm(d0, t.rank());
                long s = size(t, d);
                long[] idx = new long[(int) s];
                for (int i = 0; i < s; i++) {
                    idx[i] = s - 1 - i;
                }
                Value index = g.addConstant(g.freshName("flip_index"), ConstantTensor.ofLongs(new long[] {s}, idx));
                x = b.call("aten::index_select", List.of(x, new Arg.IntLit(d), index), Map.of(), t);
            }
            return List.of(x);
        }
    }

    /**
     * {@code roll(x, shifts, dims)}: per dim, the last {@code shift} slices moved to the front ({@code cat} of two
     * slices). Not registered yet: the hybrid runtime's GPU tests use {@code roll} as the op that has to run in
     * libtorch; add it with {@code DecompositionTable.standard().with(new CommonDecompositions.Roll())} (exact, tested).
     */
    public static final class Roll implements Decomposition {
        @Override
        public String op() {
            return "aten::roll";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = staticInput(n, "shifts");
            if (r.isPresent()) {
                return r;
            }
            if (!(n.arg("dims") instanceof Arg.ListArg)) {
                return Optional.of("'dims' must be constant ints");
            }
            long[] dims = longs(n.arg("dims"));
            long[] shifts = longs(n.arg("shifts"));
            return dims.length == shifts.length || dims.length == 0 && shifts.length == 1 ? Optional.empty()
                    : Optional.of("shifts and dims differ in length");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            long[] dims = longs(n.arg("dims"));
            long[] shifts = longs(n.arg("shifts"));
            DType dt = t.dtype().get();
            Value x = b.input(0);
            if (dims.length == 0) {
                // no dims: roll the flattened tensor, then restore the shape
                long total = 1;
                for (long s : sizes(t)) {
                    total *= s;
                }
                Value flat = b.call("aten::reshape", List.of(x, Arg.ints(total)), Map.of(), ofSizes(dt, total));
                Value rolled = roll(b, flat, ofSizes(dt, total), 0, shifts[0]);
                return List.of(b.call("aten::reshape", List.of(rolled, Arg.ints(sizes(t))), Map.of(), t));
            }
            for (int i = 0; i < dims.length; i++) {
                x = roll(b, x, t, norm(dims[i], t.rank()), shifts[i]);
            }
            return List.of(x);
        }

        static Value roll(DecompositionBuilder b, Value x, TensorType t, int d, long shift) {
            long n = size(t, d);
            long s = n == 0 ? 0 : ((shift % n) + n) % n;
            if (s == 0) {
                return x;
            }
            long[] tail = sizes(t);
            tail[d] = s;
            long[] head = sizes(t);
            head[d] = n - s;
            DType dt = t.dtype().get();
            Value last = b.call("aten::slice.Tensor", List.of(x, new Arg.IntLit(d), new Arg.IntLit(n - s), new Arg.IntLit(n)), Map.of(),
                    ofSizes(dt, tail));
            Value front = b.call("aten::slice.Tensor", List.of(x, new Arg.IntLit(d), new Arg.IntLit(0), new Arg.IntLit(n - s)), Map.of(),
                    ofSizes(dt, head));
            return b.call("aten::cat", List.of(Arg.list(List.of(last, front)), new Arg.IntLit(d)), Map.of(), t);
        }
    }

    /** {@code pixel_shuffle(x, r)}: {@code [N, C*r*r, H, W] -> [N, C, r, r, H, W] -> [N, C, H, r, W, r] -> [N, C, H*r, W*r]}. */
    @AutoService(Decomposition.class)
    public static final class PixelShuffle implements Decomposition {
        @Override
        public String op() {
            return "aten::pixel_shuffle";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "upscale_factor"));
            if (r.isPresent()) {
                return r;
            }
            TensorType t = typeOf(n, 0);
            long f = n.intArg("upscale_factor");
            if (t.rank() != 4 || size(t, 1) < 0 || size(t, 2) < 0 || size(t, 3) < 0 || f < 1 || size(t, 1) % (f * f) != 0) {
                return Optional.of("needs a 4-d input whose channels, height and width are static, channels divisible by r*r");
            }
            return Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            long r = n.intArg("upscale_factor");
            long c = size(t, 1) / (r * r);
            long h = size(t, 2);
            long w = size(t, 3);
            SymExpr batch = t.shape().dim(0);
            DType dt = t.dtype().get();
            Value split = b.call("aten::reshape", List.of(b.input(0), Arg.ints(-1, c, r, r, h, w)), Map.of(),
                    new TensorType(dt, Shape.of(batch, SymExpr.of(c), SymExpr.of(r), SymExpr.of(r), SymExpr.of(h), SymExpr.of(w))));
            Value moved = b.call("aten::permute", List.of(split, Arg.ints(0, 1, 4, 2, 5, 3)), Map.of(),
                    new TensorType(dt, Shape.of(batch, SymExpr.of(c), SymExpr.of(h), SymExpr.of(r), SymExpr.of(w), SymExpr.of(r))));
            return List.of(b.call("aten::reshape", List.of(moved, Arg.ints(-1, c, h * r, w * r)), Map.of(), b.outputType()));
        }
    }

    /** {@code tril}/{@code triu}: {@code where(mask, x, 0)} with the mask of the last two (static) dims as a constant. */
    abstract static class Triangle implements Decomposition {
        private final String op;
        private final boolean lower;

        Triangle(String op, boolean lower) {
            this.op = op;
            this.lower = lower;
        }

        @Override
        public String op() {
            return op;
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "diagonal"));
            if (r.isPresent()) {
                return r;
            }
            TensorType t = typeOf(n, 0);
            return t.rank() >= 2 && size(t, t.rank() - 2) >= 0 && size(t, t.rank() - 1) >= 0 ? Optional.empty()
                    : Optional.of("needs static sizes in the last two dims");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            long rows = size(t, t.rank() - 2);
            long cols = size(t, t.rank() - 1);
            long k = n.intArg("diagonal");
            java.nio.ByteBuffer m = ConstantTensor.allocate(DType.BOOL, rows, cols);
            for (long i = 0; i < rows; i++) {
                for (long j = 0; j < cols; j++) {
                    boolean keep = lower ? j - i <= k : j - i >= k;
                    m.put((int) (i * cols + j), (byte) (keep ? 1 : 0));
                }
            }
            Graph g = n.graph();
            Value mask = g.addConstant(g.freshName(lower ? "tril_mask" : "triu_mask"), new ConstantTensor(DType.BOOL, new long[] {rows, cols}, m));
            return List.of(b.call("aten::where.self", mask, b.input(0), constant(n, t.dtype().get(), 0)));
        }
    }

    @AutoService(Decomposition.class)
    public static final class Tril extends Triangle {
        public Tril() {
            super("aten::tril", true);
        }
    }

    @AutoService(Decomposition.class)
    public static final class Triu extends Triangle {
        public Triu() {
            super("aten::triu", false);
        }
    }

    // ------------------------------------------------------------------ more elementwise and linear algebra

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

    /** {@code type_as(x, other)}: a cast to other's dtype. */
    @AutoService(Decomposition.class)
    public static final class TypeAs implements Decomposition {
        @Override
        public String op() {
            return "aten::type_as";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return needsKnownType(n, 1);
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call("aten::_to_copy", List.of(b.input(0)), Map.of("dtype", new Arg.DTypeLit(typeOf(n, 1).dtype().get())),
                    b.outputType()));
        }
    }

    /** The sizes of {@code other} as a size list: literals where static, {@code sym_size.int} where symbolic. */
    static Arg.ListArg sizesOf(DecompositionBuilder b, Value other) {
        TensorType t = known(other).orElseThrow();
        List<Arg> out = new ArrayList<>();
        for (int d = 0; d < t.rank(); d++) {
            long s = size(t, d);
            out.add(s >= 0 ? new Arg.IntLit(s)
                    : b.call("aten::sym_size.int", List.of(other, new Arg.IntLit(d)), Map.of(), dev.kiln.ir.PrimitiveType.INT));
        }
        return Arg.list(out);
    }

    /** {@code expand_as}, {@code view_as}, {@code reshape_as}: the op with {@code other}'s sizes. */
    abstract static class AsOthersShape implements Decomposition {
        abstract String target();

        @Override
        public Optional<String> unsupported(Node n) {
            return needsKnownType(n, 1);
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call(target(), List.of(b.input(0), sizesOf(b, b.input(1))), Map.of(), b.outputType()));
        }
    }

    @AutoService(Decomposition.class)
    public static final class ExpandAs extends AsOthersShape {
        @Override
        public String op() {
            return "aten::expand_as";
        }

        @Override
        String target() {
            return "aten::expand";
        }
    }

    @AutoService(Decomposition.class)
    public static final class ViewAs extends AsOthersShape {
        @Override
        public String op() {
            return "aten::view_as";
        }

        @Override
        String target() {
            return "aten::reshape";
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReshapeAs extends AsOthersShape {
        @Override
        public String op() {
            return "aten::reshape_as";
        }

        @Override
        String target() {
            return "aten::reshape";
        }
    }

    /** {@code var_mean}/{@code std_mean} ({@code .correction}): the two results of {@link Variance} and the mean. */
    abstract static class StatsMean implements Decomposition {
        private final Variance stat;

        StatsMean(Variance stat) {
            this.stat = stat;
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return stat.unsupported(n);
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            List<Integer> dims = reduced(n.arg("dim"), t.rank());
            boolean keepdim = n.boolArg("keepdim");
            Value v = stat.decompose(n, b).get(0);
            Value mean = b.call("aten::mean.dim", List.of(b.input(0), ints(dims), new Arg.BoolLit(keepdim)), Map.of(),
                    reducedType(t, dims, keepdim));
            return List.of(v, mean);
        }
    }

    @AutoService(Decomposition.class)
    public static final class VarMean extends StatsMean {
        public VarMean() {
            super(new VarCorrection());
        }

        @Override
        public String op() {
            return "aten::var_mean.correction";
        }
    }

    @AutoService(Decomposition.class)
    public static final class StdMean extends StatsMean {
        public StdMean() {
            super(new StdCorrection());
        }

        @Override
        public String op() {
            return "aten::std_mean.correction";
        }
    }

    /** {@code rms_norm(x, shape, w, eps) = x * rsqrt(mean(x^2 over the last dims) + eps) * w}, eps defaulting to the dtype's. */
    @AutoService(Decomposition.class)
    public static final class RmsNorm implements Decomposition {
        @Override
        public String op() {
            return "aten::rms_norm";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "normalized_shape", "eps"));
            if (r.isPresent()) {
                return r;
            }
            DType dt = typeOf(n, 0).dtype().get();
            return dt.isFloatingPoint() && dt != DType.FLOAT64 ? Optional.empty() : Optional.of("needs an f32, f16 or bf16 input");
        }

        static double epsilon(DType dt) {
            return switch (dt) {
                case FLOAT16 -> 0.0009765625;
                case BFLOAT16 -> 0.0078125;
                default -> Math.ulp(1.0f);
            };
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            int k = longs(n.arg("normalized_shape")).length;
            List<Integer> dims = new ArrayList<>();
            for (int d = t.rank() - k; d < t.rank(); d++) {
                dims.add(d);
            }
            double eps = n.arg("eps").isNone() ? epsilon(t.dtype().get()) : n.doubleArg("eps");
            Value x = b.input(0);
            Value sq = b.call("aten::mul.Tensor", List.of(x, x), Map.of(), t);
            TensorType kept = reducedType(t, dims, true);
            Value ms = b.call("aten::mean.dim", List.of(sq, ints(dims), new Arg.BoolLit(true)), Map.of(), kept);
            Value inv = b.call("aten::rsqrt", List.of(b.call("aten::add.Tensor", List.of(ms, b.scalar(eps)), Map.of(), kept)), Map.of(), kept);
            Value y = b.call("aten::mul.Tensor", List.of(x, inv), Map.of(), t);
            return List.of(n.arg("weight").isNone() ? y : b.call("aten::mul.Tensor", y, (Value) n.arg("weight")));
        }
    }


    /**
     * {@code x[..., idx]} with one 1-d integer index tensor and every other position None ({@code aten::index.Tensor}
     * in its commonest form): {@code index_select(x, d, idx)}, negative indices wrapped by the (static) size of that
     * dim as PyTorch does. Several index tensors, multi-dimensional or boolean ones stay in libtorch.
     */
    @AutoService(Decomposition.class)
    public static final class IndexOneDim implements Decomposition {
        @Override
        public String op() {
            return "aten::index.Tensor";
        }

        /** The position of the one index tensor, or -1. */
        static int position(Node n) {
            if (!(n.arg("indices") instanceof Arg.ListArg l)) {
                return -1;
            }
            int at = -1;
            for (int i = 0; i < l.elements().size(); i++) {
                Arg e = l.elements().get(i);
                if (e instanceof Value) {
                    if (at >= 0) {
                        return -1;
                    }
                    at = i;
                } else if (!e.isNone()) {
                    return -1;
                }
            }
            return at;
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = needsKnownType(n, 0);
            if (r.isPresent()) {
                return r;
            }
            int at = position(n);
            if (at < 0) {
                return Optional.of("only one index tensor (the others None) is decomposed");
            }
            Value idx = (Value) ((Arg.ListArg) n.arg("indices")).elements().get(at);
            Optional<TensorType> it = known(idx);
            if (it.isEmpty() || it.get().rank() != 1) {
                return Optional.of("the index tensor must be 1-d of known type");
            }
            DType dt = it.get().dtype().get();
            if (dt != DType.INT64 && dt != DType.INT32) {
                return Optional.of("the index tensor must be i64 or i32 (a boolean mask gives a data-dependent shape)");
            }
            return size(typeOf(n, 0), at) >= 0 ? Optional.empty() : Optional.of("the indexed dim needs a static size");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            int at = position(n);
            Value idx = (Value) ((Arg.ListArg) n.arg("indices")).elements().get(at);
            TensorType it = known(idx).orElseThrow();
            long size = size(typeOf(n, 0), at);
            // idx < 0 ? idx + size : idx
            Value negative = b.call("aten::lt.Scalar", List.of(idx, new Arg.IntLit(0)), Map.of(), it.withDType(DType.BOOL));
            Value shifted = b.call("aten::add.Scalar", List.of(idx, new Arg.IntLit(size), new Arg.IntLit(1)), Map.of(), it);
            Value wrapped = b.call("aten::where.self", List.of(negative, shifted, idx), Map.of(), it);
            return List.of(b.call("aten::index_select", List.of(b.input(0), new Arg.IntLit(at), wrapped), Map.of(), b.outputType()));
        }
    }


    /** {@code var(x, unbiased)} and {@code std(x, unbiased)}: over every element. */
    abstract static class VarianceAll extends Variance {
        VarianceAll(String op, boolean std) {
            super(op, std);
        }

        @Override
        Arg dims(Node n) {
            return Arg.NONE;
        }

        @Override
        boolean keepdim(Node n) {
            return false;
        }

        @Override
        double correction(Node n) {
            return n.boolArg("unbiased") ? 1 : 0;
        }
    }

    @AutoService(Decomposition.class)
    public static final class VarAll extends VarianceAll {
        public VarAll() {
            super("aten::var", false);
        }
    }

    @AutoService(Decomposition.class)
    public static final class StdAll extends VarianceAll {
        public StdAll() {
            super("aten::std", true);
        }
    }

    /** {@code all} ({@code .dim}, {@code .dims}, whole): {@code not(any(not(x)))}; {@code any} (whole): {@code any.dims} over every dim. */
    abstract static class AnyAll implements Decomposition {
        private final String op;
        private final boolean all;

        AnyAll(String op, boolean all) {
            this.op = op;
            this.all = all;
        }

        @Override
        public String op() {
            return op;
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> n.schema().indexOf("dim").isPresent()
                    ? needsLiterals(n, "dim", "keepdim") : Optional.empty());
            return r.isPresent() ? r : typeOf(n, 0).rank() > 0 ? Optional.empty() : Optional.of("a 0-d input");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            boolean hasDim = n.schema().indexOf("dim").isPresent();
            List<Integer> dims = reduced(hasDim ? n.arg("dim") : Arg.NONE, t.rank());
            boolean keepdim = hasDim && n.boolArg("keepdim");
            TensorType bool = t.withDType(DType.BOOL);
            Value x = all ? b.call("aten::logical_not", List.of(b.input(0)), Map.of(), bool) : b.input(0);
            Value any = b.call("aten::any.dims", List.of(x, ints(dims), new Arg.BoolLit(keepdim)), Map.of(),
                    reducedType(bool, dims, keepdim));
            return List.of(all ? b.call("aten::logical_not", List.of(any), Map.of(), reducedType(bool, dims, keepdim)) : any);
        }
    }

    @AutoService(Decomposition.class)
    public static final class AllDim extends AnyAll {
        public AllDim() {
            super("aten::all.dim", true);
        }
    }

    @AutoService(Decomposition.class)
    public static final class AllDims extends AnyAll {
        public AllDims() {
            super("aten::all.dims", true);
        }
    }

    @AutoService(Decomposition.class)
    public static final class AllOp extends AnyAll {
        public AllOp() {
            super("aten::all", true);
        }
    }

    @AutoService(Decomposition.class)
    public static final class AnyOp extends AnyAll {
        public AnyOp() {
            super("aten::any", false);
        }
    }

    /** {@code addmv(self, mat, vec, beta, alpha) = beta * self + alpha * (mat @ vec)} (self ignored when beta is 0). */
    @AutoService(Decomposition.class)
    public static final class Addmv implements Decomposition {
        @Override
        public String op() {
            return "aten::addmv";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return needsLiterals(n, "beta", "alpha");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            double beta = n.doubleArg("beta");
            double alpha = n.doubleArg("alpha");
            Value mv = b.call("aten::matmul", b.input(1), b.input(2));
            if (alpha != 1) {
                mv = b.call("aten::mul.Tensor", mv, b.scalar(alpha));
            }
            if (beta == 0) {
                return List.of(mv);
            }
            Value self = beta == 1 ? b.input(0) : b.call("aten::mul.Tensor", b.input(0), b.scalar(beta));
            return List.of(b.call("aten::add.Tensor", self, mv));
        }
    }


    // ------------------------------------------------------------------ padding modes

    /**
     * Reflection, replication and circular padding: along each padded dim one {@code index_select} whose constant index
     * is the mirrored, repeated or wrapped positions before the dim, the dim itself, and those after it (static sizes;
     * pads of 0 or more, and smaller than the dim for reflection, as PyTorch requires).
     */
    abstract static class ModePad implements Decomposition {
        enum Mode { REFLECT, REPLICATE, CIRCULAR }

        abstract Mode mode(Node n);

        abstract String padArg();

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, padArg()));
            if (r.isPresent()) {
                return r;
            }
            if (!(n.arg(padArg()) instanceof Arg.ListArg)) {
                return Optional.of("'" + padArg() + "' must be constant ints");
            }
            TensorType t = typeOf(n, 0);
            long[] pad = longs(n.arg(padArg()));
            if (pad.length % 2 != 0 || pad.length / 2 > t.rank()) {
                return Optional.of("a padding list of " + pad.length + " for a rank-" + t.rank() + " input");
            }
            for (int i = 0; i < pad.length; i++) {
                long n0 = size(t, t.rank() - 1 - i / 2);
                if (n0 < 0) {
                    return Optional.of("a padded dim has a symbolic size");
                }
                if (pad[i] < 0) {
                    return Optional.of("negative padding (cropping) is not decomposed");
                }
                if (mode(n) == Mode.REFLECT && pad[i] >= n0 || mode(n) == Mode.CIRCULAR && pad[i] > n0) {
                    return Optional.of("padding " + pad[i] + " too large for a dim of " + n0);
                }
            }
            return Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            long[] pad = longs(n.arg(padArg()));
            Mode mode = mode(n);
            Graph g = n.graph();
            Value x = b.input(0);
            List<SymExpr> dims = new ArrayList<>(t.shape().dims());
            for (int i = 0; i < pad.length / 2; i++) {
                int d = t.rank() - 1 - i;
                long left = pad[2 * i];
                long right = pad[2 * i + 1];
                if (left == 0 && right == 0) {
                    continue;
                }
                long len = size(t, d);
                long[] idx = new long[(int) (left + len + right)];
                for (int k = 0; k < idx.length; k++) {
                    long p = k - left; // position in the unpadded dim, outside [0, len) on the pads
                    idx[k] = switch (mode) {
                        case REFLECT -> p < 0 ? -p : p >= len ? 2 * (len - 1) - p : p;
                        case REPLICATE -> Math.min(len - 1, Math.max(0, p));
                        case CIRCULAR -> ((p % len) + len) % len;
                    };
                }
                dims.set(d, SymExpr.of(idx.length));
                Value index = g.addConstant(g.freshName("pad_index"), ConstantTensor.ofLongs(new long[] {idx.length}, idx));
                x = b.call("aten::index_select", List.of(x, new Arg.IntLit(d), index), Map.of(), t.withShape(Shape.of(dims)));
            }
            return List.of(x);
        }
    }

    /** {@code reflection_pad{1,2,3}d}, {@code replication_pad{1,2,3}d}. */
    static final class NamedModePad extends ModePad {
        private final String op;
        private final Mode mode;

        NamedModePad(String op, Mode mode) {
            this.op = op;
            this.mode = mode;
        }

        @Override
        public String op() {
            return op;
        }

        @Override
        Mode mode(Node n) {
            return mode;
        }

        @Override
        String padArg() {
            return "padding";
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReflectionPad1d extends ModePadEntry {
        public ReflectionPad1d() {
            super("aten::reflection_pad1d", ModePad.Mode.REFLECT);
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReflectionPad2d extends ModePadEntry {
        public ReflectionPad2d() {
            super("aten::reflection_pad2d", ModePad.Mode.REFLECT);
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReflectionPad3d extends ModePadEntry {
        public ReflectionPad3d() {
            super("aten::reflection_pad3d", ModePad.Mode.REFLECT);
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReplicationPad1d extends ModePadEntry {
        public ReplicationPad1d() {
            super("aten::replication_pad1d", ModePad.Mode.REPLICATE);
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReplicationPad2d extends ModePadEntry {
        public ReplicationPad2d() {
            super("aten::replication_pad2d", ModePad.Mode.REPLICATE);
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReplicationPad3d extends ModePadEntry {
        public ReplicationPad3d() {
            super("aten::replication_pad3d", ModePad.Mode.REPLICATE);
        }
    }

    /** A public, registrable {@link NamedModePad} (ServiceLoader needs public classes with public constructors). */
    public abstract static class ModePadEntry implements Decomposition {
        private final NamedModePad delegate;

        ModePadEntry(String op, ModePad.Mode mode) {
            this.delegate = new NamedModePad(op, mode);
        }

        @Override
        public String op() {
            return delegate.op();
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return delegate.unsupported(n);
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return delegate.decompose(n, b);
        }
    }

    /** {@code pad(x, pad, mode, value)}: {@code constant_pad_nd} for constant, the index forms for the others. */
    @AutoService(Decomposition.class)
    public static final class Pad extends ModePad {
        @Override
        public String op() {
            return "aten::pad";
        }

        @Override
        String padArg() {
            return "pad";
        }

        @Override
        Mode mode(Node n) {
            return switch (((Arg.StrLit) n.arg("mode")).value()) {
                case "reflect" -> Mode.REFLECT;
                case "replicate" -> Mode.REPLICATE;
                default -> Mode.CIRCULAR;
            };
        }

        @Override
        public Optional<String> unsupported(Node n) {
            if (!(n.arg("mode") instanceof Arg.StrLit m)) {
                return Optional.of("the mode must be a literal");
            }
            if (m.value().equals("constant")) {
                return needsLiterals(n, "value");
            }
            if (!List.of("reflect", "replicate", "circular").contains(m.value())) {
                return Optional.of("unknown padding mode '" + m.value() + "'");
            }
            return super.unsupported(n);
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            if (((Arg.StrLit) n.arg("mode")).value().equals("constant")) {
                Arg value = n.arg("value").isNone() ? new Arg.FloatLit(0.0) : n.arg("value");
                return List.of(b.call("aten::constant_pad_nd", List.of(b.input(0), n.arg("pad"), value), Map.of(), b.outputType()));
            }
            return super.decompose(n, b);
        }
    }

    /** {@code pixel_unshuffle(x, r)}: {@code [N, C, H*r, W*r] -> [N, C, H, r, W, r] -> [N, C, r, r, H, W] -> [N, C*r*r, H, W]}. */
    @AutoService(Decomposition.class)
    public static final class PixelUnshuffle implements Decomposition {
        @Override
        public String op() {
            return "aten::pixel_unshuffle";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "downscale_factor"));
            if (r.isPresent()) {
                return r;
            }
            TensorType t = typeOf(n, 0);
            long f = n.intArg("downscale_factor");
            if (t.rank() != 4 || size(t, 1) < 0 || size(t, 2) < 0 || size(t, 3) < 0 || f < 1 || size(t, 2) % f != 0 || size(t, 3) % f != 0) {
                return Optional.of("needs a 4-d input whose channels, height and width are static, height and width divisible by r");
            }
            return Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            long r = n.intArg("downscale_factor");
            long c = size(t, 1);
            long h = size(t, 2) / r;
            long w = size(t, 3) / r;
            SymExpr batch = t.shape().dim(0);
            DType dt = t.dtype().get();
            Value split = b.call("aten::reshape", List.of(b.input(0), Arg.ints(-1, c, h, r, w, r)), Map.of(),
                    new TensorType(dt, Shape.of(batch, SymExpr.of(c), SymExpr.of(h), SymExpr.of(r), SymExpr.of(w), SymExpr.of(r))));
            Value moved = b.call("aten::permute", List.of(split, Arg.ints(0, 1, 3, 5, 2, 4)), Map.of(),
                    new TensorType(dt, Shape.of(batch, SymExpr.of(c), SymExpr.of(r), SymExpr.of(r), SymExpr.of(h), SymExpr.of(w))));
            return List.of(b.call("aten::reshape", List.of(moved, Arg.ints(-1, c * r * r, h, w)), Map.of(), b.outputType()));
        }
    }

}
