package dev.kiln.passes.decompose;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The decompositions Kiln ships, each a worked example of the {@link Decomposition} SPI: hardswish,
 * hardsigmoid, silu, softplus, addcmul and gelu (exact form) are registered; linear (as matmul + add)
 * is an opt-in example.
 */
public final class StandardDecompositions {
    private StandardDecompositions() {
    }

    /** {@code hardswish(x) = x * clamp(x + 3, 0, 6) / 6}. */
    @AutoService(Decomposition.class)
    public static final class Hardswish implements Decomposition {
        @Override
        public String op() {
            return "aten::hardswish";
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value x = b.input(0);
            return List.of(b.call("aten::mul.Tensor", x, hardsigmoid(b, x)));
        }
    }

    /** {@code hardsigmoid(x) = clamp(x + 3, 0, 6) / 6}. */
    @AutoService(Decomposition.class)
    public static final class Hardsigmoid implements Decomposition {
        @Override
        public String op() {
            return "aten::hardsigmoid";
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(hardsigmoid(b, b.input(0)));
        }
    }

    static Value hardsigmoid(DecompositionBuilder b, Value x) {
        Value shifted = b.call("aten::add.Tensor", x, b.scalar(3.0));
        Value clamped = b.call("aten::clamp", shifted, new Arg.FloatLit(0.0), new Arg.FloatLit(6.0));
        return b.call("aten::div.Tensor", clamped, b.scalar(6.0));
    }

    /** {@code silu(x) = x * sigmoid(x)}. */
    @AutoService(Decomposition.class)
    public static final class Silu implements Decomposition {
        @Override
        public String op() {
            return "aten::silu";
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value x = b.input(0);
            return List.of(b.call("aten::mul.Tensor", x, b.call("aten::sigmoid", x)));
        }
    }

    /** {@code softplus(x, beta, threshold) = where(x*beta > threshold, x, log1p(exp(x*beta)) / beta)}. */
    @AutoService(Decomposition.class)
    public static final class Softplus implements Decomposition {
        @Override
        public String op() {
            return "aten::softplus";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return n.arg("beta") instanceof Value || n.arg("threshold") instanceof Value
                    ? Optional.of("beta and threshold must be literals") : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value x = b.input(0);
            double beta = n.doubleArg("beta");
            Value xb = b.call("aten::mul.Tensor", x, b.scalar(beta));
            Value big = b.call("aten::gt.Scalar", List.of(xb, n.arg("threshold")), Map.of(), b.outputTypeWith(DType.BOOL));
            Value soft = b.call("aten::div.Tensor", b.call("aten::log1p", b.call("aten::exp", xb)), b.scalar(beta));
            return List.of(b.call("aten::where.self", big, x, soft));
        }
    }

    /** {@code addcmul(self, t1, t2, value) = self + value * t1 * t2}. */
    @AutoService(Decomposition.class)
    public static final class Addcmul implements Decomposition {
        @Override
        public String op() {
            return "aten::addcmul";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return n.arg("value") instanceof Value ? Optional.of("value must be a literal") : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value prod = b.call("aten::mul.Tensor", b.input(1), b.input(2));
            double value = n.doubleArg("value");
            if (value != 1.0) {
                prod = b.call("aten::mul.Tensor", prod, b.scalar(value));
            }
            return List.of(b.call("aten::add.Tensor", b.input(0), prod));
        }
    }

    /** {@code gelu(x) = 0.5 * x * (1 + erf(x / sqrt(2)))}; the tanh approximation is left alone. */
    @AutoService(Decomposition.class)
    public static final class Gelu implements Decomposition {
        @Override
        public String op() {
            return "aten::gelu";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            return n.arg("approximate") instanceof Arg.StrLit s && s.value().equals("none")
                    ? Optional.empty() : Optional.of("only approximate='none' is decomposed");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value x = b.input(0);
            Value e = b.call("aten::erf", b.call("aten::mul.Tensor", x, b.scalar(Math.sqrt(0.5))));
            Value onePlus = b.call("aten::add.Tensor", e, b.scalar(1.0));
            Value half = b.call("aten::mul.Tensor", x, b.scalar(0.5));
            return List.of(b.call("aten::mul.Tensor", half, onePlus));
        }
    }

    /**
     * {@code linear(x, W, b) = matmul(x, t(W)) + b}, for backends with matmul but no fully connected
     * layer. Not registered (linear is the canonical form {@code canonicalize} produces); add it with
     * {@code DecompositionTable.standard().with(new StandardDecompositions.Linear())}.
     */
    public static final class Linear implements Decomposition {
        @Override
        public String op() {
            return "aten::linear";
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            Value w = b.input(1);
            Value wt = b.call("aten::t", List.of(w), Map.of(), transposed(w.type()));
            Value mm = b.call("aten::matmul", b.input(0), wt);
            if (n.arg(2).isNone()) {
                return List.of(mm);
            }
            return List.of(b.call("aten::add.Tensor", mm, b.input(2)));
        }

        private static Type transposed(Type t) {
            if (t instanceof TensorType tt && tt.shape().isRanked() && tt.rank() == 2) {
                return tt.withShape(Shape.of(tt.shape().dim(1), tt.shape().dim(0)));
            }
            return t;
        }
    }
}
