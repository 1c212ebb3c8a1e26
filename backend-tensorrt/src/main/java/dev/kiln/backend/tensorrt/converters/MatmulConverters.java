package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.MatrixOperation;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.List;

/**
 * Matrix products: {@code linear} (x @ W^T + b), {@code addmm} (beta*self + alpha*(m1 @ m2)),
 * {@code mm}, {@code bmm} and {@code matmul} with PyTorch's 1-d vector rules and batch broadcasting.
 *
 * <pre>{@code aten::linear(%x, %w, %b) -> IMatrixMultiplyLayer(x, W, kTRANSPOSE) + add}</pre>
 */
public final class MatmulConverters {
    private MatmulConverters() {
    }

    /**
     * {@code a @ b} with torch.matmul semantics: a 1-d operand is a vector (its dimension removed
     * from the result), batch dims broadcast.
     */
    static ITensor matmul(ConversionContext ctx, ITensor a, ITensor b, boolean transposeB) {
        int ra = Layers.rank(a);
        int rb = Layers.rank(b);
        MatrixOperation oa = MatrixOperation.kNONE;
        MatrixOperation ob = transposeB ? MatrixOperation.kTRANSPOSE : MatrixOperation.kNONE;
        if (ra == 1 && rb == 1) {
            oa = MatrixOperation.kVECTOR;
            ob = MatrixOperation.kVECTOR;
        } else if (ra == 1) {
            oa = MatrixOperation.kVECTOR;
            a = ElementwiseConverters.toRank(ctx, a, rb - 1);
        } else if (rb == 1) {
            ob = MatrixOperation.kVECTOR;
            b = ElementwiseConverters.toRank(ctx, b, ra - 1);
        } else {
            int r = Math.max(ra, rb);
            a = ElementwiseConverters.toRank(ctx, a, r);
            b = ElementwiseConverters.toRank(ctx, b, r);
        }
        return ctx.named(ctx.network().addMatrixMultiply(a, oa, b, ob)).getOutput(0);
    }

    abstract static class Mm extends AtenConverter {
        private final int rank;
        private final String other;

        Mm(String op, int rank, String other) {
            super(op);
            this.rank = rank;
            this.other = other;
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("self", other);
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int ra = type(n, "self").rank();
            int rb = type(n, other).rank();
            if (rank > 0 && (ra != rank || rb != rank)) {
                return Support.no("expects rank-" + rank + " operands, got " + ra + " and " + rb);
            }
            if (ra == 0 || rb == 0) {
                return Support.no("matmul of a 0-d tensor");
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ctx.bind(n.output(), matmul(ctx, ctx.cast(ctx.get(n.arg("self")), out), ctx.cast(ctx.get(n.arg(other)), out), false));
        }
    }

    @AutoService(OpConverter.class)
    public static final class MmOp extends Mm {
        public MmOp() {
            super("aten::mm", 2, "mat2");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Bmm extends Mm {
        public Bmm() {
            super("aten::bmm", 3, "mat2");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Matmul extends Mm {
        public Matmul() {
            super("aten::matmul", 0, "other");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Linear extends AtenConverter {
        public Linear() {
            super("aten::linear");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("input", "weight", "bias");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rw = type(n, "weight").rank();
            int rx = type(n, "input").rank();
            if (rw != 2 && rw != 1) {
                return Support.no("weight of rank " + rw + " (expected 1 or 2)");
            }
            return rx == 0 ? Support.no("linear of a 0-d input") : Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ITensor x = ctx.cast(ctx.get(n.arg("input")), out);
            ITensor w = ctx.cast(ctx.get(n.arg("weight")), out);
            ITensor y = matmul(ctx, x, w, Layers.rank(w) == 2);
            if (!n.arg("bias").isNone()) {
                y = Layers.elementwise(ctx, y, ctx.cast(ctx.get(n.arg("bias")), out), ElementWiseOperation.kSUM);
            }
            ctx.bind(n.output(), y);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Addmm extends AtenConverter {
        public Addmm() {
            super("aten::addmm");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("self", "mat1", "mat2");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lits = all(requireNumber(n, "beta"), requireNumber(n, "alpha"));
            if (!lits.isSupported()) {
                return lits;
            }
            return type(n, "mat1").rank() == 2 && type(n, "mat2").rank() == 2 ? Support.yes() : Support.no("mat1 and mat2 must be 2-d");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ITensor mm = matmul(ctx, ctx.cast(ctx.get(n.arg("mat1")), out), ctx.cast(ctx.get(n.arg("mat2")), out), false);
            mm = Layers.scale(ctx, mm, n.doubleArg("alpha"));
            double beta = n.doubleArg("beta");
            if (beta == 0) {
                // PyTorch ignores self (even NaN) when beta is 0
                ctx.bind(n.output(), mm);
                return;
            }
            ITensor self = Layers.scale(ctx, ctx.cast(ctx.get(n.arg("self")), out), beta);
            ctx.bind(n.output(), Layers.elementwise(ctx, mm, self, ElementWiseOperation.kSUM));
        }
    }
}
