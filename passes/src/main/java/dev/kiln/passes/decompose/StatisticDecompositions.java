package dev.kiln.passes.decompose;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.kiln.passes.decompose.DecompositionSupport.*;

/**
 * Reductions and normalizations TensorRT has no single layer for, as sums, means and elementwise ops: {@code var},
 * {@code std} ({@code .correction}, {@code .dim}, whole), {@code var_mean}, {@code std_mean}, vector norms
 * ({@code linalg_vector_norm}, {@code norm.ScalarOpt_dim}: orders 1, 2, inf), {@code logsumexp}, {@code rms_norm},
 * {@code instance_norm} (as {@code group_norm} or {@code batch_norm}), {@code all} and {@code any}. The precision pass
 * keeps the pieces of what it would have kept in FP32 in FP32. Checked against libtorch by
 * {@code DecompositionsAgreeWithLibtorchTest}.
 */
public final class StatisticDecompositions {
    private StatisticDecompositions() {
    }

    /**
     * {@code var}/{@code std} ({@code .correction}, {@code .dim}, whole): {@code sum((x - mean(x))^2) / (N - correction)},
     * with {@code N} the number of reduced elements (static), and its square root for {@code std}.
     */
    abstract static class Variance extends OpDecomposition {
        private final boolean std;

        Variance(String op, boolean std) {
            super(op);
            this.std = std;
        }

        /** The overload's correction: {@code correction} (None: 1), or {@code unbiased} (1 or 0). */
        static double correction(Node n) {
            if (n.schema().indexOf("correction").isPresent()) {
                return n.arg("correction").isNone() ? 1.0 : n.doubleArg("correction");
            }
            return n.boolArg("unbiased") ? 1 : 0;
        }


        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> n.schema().indexOf("dim").isPresent()
                    ? needsLiterals(n, "dim", "keepdim") : Optional.empty());
            if (r.isPresent()) {
                return r;
            }
            if (n.arg(n.schema().indexOf("correction").isPresent() ? "correction" : "unbiased") instanceof Value) {
                return Optional.of("the correction must be a literal");
            }
            TensorType t = typeOf(n, 0);
            if (!t.dtype().get().isFloatingPoint()) {
                return Optional.of("needs a floating input");
            }
            long count = 1;
            for (int d : reduced(dimArg(n), t.rank())) {
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
            List<Integer> dims = reduced(dimArg(n), t.rank());
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

    @AutoService(Decomposition.class)
    public static final class VarCorrection extends Variance {
        public VarCorrection() {
            super("aten::var.correction", false);
        }
    }

    @AutoService(Decomposition.class)
    public static final class StdCorrection extends Variance {
        public StdCorrection() {
            super("aten::std.correction", true);
        }
    }

    @AutoService(Decomposition.class)
    public static final class VarDim extends Variance {
        public VarDim() {
            super("aten::var.dim", false);
        }
    }

    @AutoService(Decomposition.class)
    public static final class StdDim extends Variance {
        public StdDim() {
            super("aten::std.dim", true);
        }
    }

    /** {@code var(x, unbiased)} and {@code std(x, unbiased)}: over every element. */
    @AutoService(Decomposition.class)
    public static final class VarAll extends Variance {
        public VarAll() {
            super("aten::var", false);
        }
    }

    @AutoService(Decomposition.class)
    public static final class StdAll extends Variance {
        public StdAll() {
            super("aten::std", true);
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
            List<Integer> dims = reduced(dimArg(n), t.rank());
            boolean keepdim = keepdim(n);
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
            List<Integer> dims = reduced(dimArg(n), t.rank());
            boolean keepdim = keepdim(n);
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
            List<Integer> dims = reduced(dimArg(n), t.rank());
            boolean keepdim = keepdim(n);
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

    /** {@code all} ({@code .dim}, {@code .dims}, whole): {@code not(any(not(x)))}; {@code any} (whole): {@code any.dims} over every dim. */
    abstract static class AnyAll extends OpDecomposition {
        private final boolean all;

        AnyAll(String op, boolean all) {
            super(op);
            this.all = all;
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
            List<Integer> dims = reduced(dimArg(n), t.rank());
            boolean keepdim = keepdim(n);
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
}
