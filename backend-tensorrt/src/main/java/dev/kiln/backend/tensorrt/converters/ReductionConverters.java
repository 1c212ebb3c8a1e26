package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import org.bytedeco.tensorrt.global.nvinfer.ReduceOperation;
import org.bytedeco.tensorrt.global.nvinfer.TopKOperation;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.ITopKLayer;

import java.util.EnumSet;
import java.util.Set;

/**
 * Reductions over dims (negative dims, {@code keepdim}, None/[] meaning all): sum, mean, amax, amin,
 * any, full max/min, max.dim/min.dim (values and indices), argmax/argmin. Indices come out of
 * TensorRT's top-k as i32 and are cast to PyTorch's i64.
 *
 * <pre>{@code aten::mean.dim(%x, [-1], true) -> IReduceLayer(kAVG, axes=1<<(rank-1), keep=true)}</pre>
 */
public final class ReductionConverters {
    private ReductionConverters() {
    }

    /** Dims of an {@code int[]?} argument: None or [] means every dimension. */
    static long[] dims(Node n, String name) {
        Arg a = n.arg(name);
        return a.isNone() ? new long[0] : n.intListArg(name);
    }

    /** A reduce over a dim list, computed in the output dtype. */
    abstract static class Reduce extends AtenConverter {
        private final ReduceOperation op;
        private final String dimArg;
        private final boolean hasKeep;

        Reduce(String name, ReduceOperation op, String dimArg, boolean hasKeep) {
            super(name);
            this.op = op;
            this.dimArg = dimArg;
            this.hasKeep = hasKeep;
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            DType out = Layers.outDType(n, 0);
            if (!NUMERIC.contains(out)) {
                return Support.no("the result dtype " + out + " is not supported (supported: " + Layers.describeDTypes(NUMERIC) + ")");
            }
            if (op == ReduceOperation.kAVG && !out.isFloatingPoint()) {
                return Support.no("mean of an integer result is not defined; give dtype=float");
            }
            if (dimArg != null && !n.arg(dimArg).isNone()) {
                Support lits = requireIntLiterals(n, dimArg);
                if (!lits.isSupported()) {
                    return lits;
                }
                int rank = type(n, "self").rank();
                for (long d : n.intListArg(dimArg)) {
                    if (!Layers.validAxis(d, rank)) {
                        return Support.no("dim " + d + " is out of range for rank " + rank);
                    }
                }
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.cast(ctx.get(n.arg("self")), Layers.outDType(n, 0));
            int rank = Layers.rank(x);
            long[] dims = dimArg == null ? new long[0] : dims(n, dimArg);
            boolean keep = hasKeep && n.boolArg("keepdim");
            if (rank == 0) {
                ctx.bind(n.output(), ctx.named(ctx.network().addIdentity(x)).getOutput(0));
                return;
            }
            ctx.bind(n.output(), Layers.reduce(ctx, x, op, Layers.axesMask(n, dims, rank), keep));
        }
    }

    @AutoService(OpConverter.class)
    public static final class SumDim extends Reduce {
        public SumDim() {
            super("aten::sum.dim_IntList", ReduceOperation.kSUM, "dim", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Sum extends Reduce {
        public Sum() {
            super("aten::sum", ReduceOperation.kSUM, null, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MeanDim extends Reduce {
        public MeanDim() {
            super("aten::mean.dim", ReduceOperation.kAVG, "dim", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Mean extends Reduce {
        public Mean() {
            super("aten::mean", ReduceOperation.kAVG, null, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Amax extends Reduce {
        public Amax() {
            super("aten::amax", ReduceOperation.kMAX, "dim", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Amin extends Reduce {
        public Amin() {
            super("aten::amin", ReduceOperation.kMIN, "dim", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Max extends Reduce {
        public Max() {
            super("aten::max", ReduceOperation.kMAX, null, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Min extends Reduce {
        public Min() {
            super("aten::min", ReduceOperation.kMIN, null, false);
        }
    }

    /** any: (x != 0) as i32, reduced with max, back to bool. */
    abstract static class AnyBase extends AtenConverter {
        AnyBase(String op) {
            super(op);
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        abstract long[] dims(Node n);

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            for (long d : dims(n)) {
                if (!Layers.validAxis(d, rank)) {
                    return Support.no("dim " + d + " is out of range for rank " + rank);
                }
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor b = ElementwiseConverters.toBool(ctx, ctx.get(n.arg("self")));
            ITensor i = ctx.cast(b, DType.INT32);
            int rank = Layers.rank(i);
            int mask = Layers.axesMask(n, dims(n), rank);
            int[] axes = axes(mask, rank);
            long[] sizes = Layers.sizes(i);
            ITensor r;
            if (rank == 0) {
                r = i;
            } else if (java.util.Arrays.stream(axes).allMatch(a -> sizes[a] == 1)) {
                // any over size-1 dims is the value itself (a bool[1] reduced along its one dim gave false for
                // true in one measured case): no reduction, only the dims dropped when keepdim is false
                r = n.boolArg("keepdim") ? i : Layers.squeeze(ctx, i, axes);
            } else {
                r = Layers.reduce(ctx, i, ReduceOperation.kMAX, mask, n.boolArg("keepdim"));
            }
            ctx.bind(n.output(), ctx.cast(r, Layers.outDType(n, 0)));
        }
    }

    /** The axes set in {@code mask}, ascending. */
    static int[] axes(int mask, int rank) {
        return java.util.stream.IntStream.range(0, rank).filter(a -> (mask & (1 << a)) != 0).toArray();
    }

    @AutoService(OpConverter.class)
    public static final class AnyDim extends AnyBase {
        public AnyDim() {
            super("aten::any.dim");
        }

        @Override
        long[] dims(Node n) {
            return new long[] {n.intArg("dim")};
        }
    }

    @AutoService(OpConverter.class)
    public static final class AnyDims extends AnyBase {
        public AnyDims() {
            super("aten::any.dims");
        }

        @Override
        long[] dims(Node n) {
            return ReductionConverters.dims(n, "dim");
        }
    }

    /** Top-1 along one axis: values and/or i64 indices, with keepdim. */
    static ITensor[] top1(ConversionContext ctx, Node n, ITensor x, int axis, boolean keep, boolean max) {
        if (Layers.rank(x) == 1) {
            // TensorRT 10.6's top-k wants at least two dimensions ("at least 2 dimensions are required
            // for input"): reduce [1, n] along 1, then give the result the rank PyTorch's has
            ITensor[] r = top1(ctx, n, ctx.reshape(x, 1, -1), 1, true, max);
            long[] shape = keep ? new long[] {1} : new long[0];
            return new ITensor[] {ctx.reshape(r[0], shape), ctx.reshape(r[1], shape)};
        }
        ITopKLayer k = ctx.named(ctx.network().addTopK(x, max ? TopKOperation.kMAX : TopKOperation.kMIN, 1, 1 << axis));
        ITensor v = k.getOutput(0);
        ITensor i = ctx.cast(k.getOutput(1), DType.INT64);
        if (!keep) {
            v = Layers.squeeze(ctx, v, axis);
            i = Layers.squeeze(ctx, i, axis);
        }
        return new ITensor[] {v, i};
    }

    /** TensorRT's top-k reduces one of the last four dimensions. */
    static Support topkAxis(Node n, int axis, int rank) {
        return axis >= rank - 4 ? Support.yes()
                : Support.no("dim " + axis + " of a rank-" + rank + " tensor is not among the last four, which TensorRT's top-k requires");
    }

    static final Set<DType> TOPK = EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16, DType.INT32);

    abstract static class MaxMinDim extends AtenConverter {
        private final boolean max;

        MaxMinDim(String op, boolean max) {
            super(op);
            this.max = max;
        }

        @Override
        public Set<DType> supportedDTypes() {
            return TOPK;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            if (rank == 0) {
                return Support.no("a 0-d input is not supported");
            }
            if (!Layers.validAxis(n.intArg("dim"), rank)) {
                return Support.no("dim " + n.intArg("dim") + " is out of range for rank " + rank);
            }
            return topkAxis(n, Layers.axis(n, n.intArg("dim"), rank), rank);
        }

        @Override
        public String limits() {
            return "ties may pick a different index than PyTorch; dim among the last four";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int axis = Layers.axis(n, n.intArg("dim"), Layers.rank(x));
            ITensor[] vi = top1(ctx, n, x, axis, n.boolArg("keepdim"), max);
            ctx.bind(n.output(0), vi[0]);
            ctx.bind(n.output(1), vi[1]);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MaxDim extends MaxMinDim {
        public MaxDim() {
            super("aten::max.dim", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MinDim extends MaxMinDim {
        public MinDim() {
            super("aten::min.dim", false);
        }
    }

    abstract static class ArgBase extends AtenConverter {
        private final boolean max;

        ArgBase(String op, boolean max) {
            super(op);
            this.max = max;
        }

        @Override
        public Set<DType> supportedDTypes() {
            return TOPK;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            Arg d = n.arg("dim");
            if (!d.isNone() && !Layers.validAxis(n.intArg("dim"), rank)) {
                return Support.no("dim " + n.intArg("dim") + " is out of range for rank " + rank);
            }
            return d.isNone() || rank == 0 ? Support.yes() : topkAxis(n, Layers.axis(n, n.intArg("dim"), rank), rank);
        }

        @Override
        public String limits() {
            return "ties may pick a different index than PyTorch; dim among the last four";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int rank = Layers.rank(x);
            boolean keep = n.boolArg("keepdim");
            if (n.arg("dim").isNone() || rank == 0) {
                // over the flattened tensor; keepdim keeps every dimension as size 1
                ITensor flat = ctx.reshape(x, -1);
                ITensor i = top1(ctx, n, flat, 0, false, max)[1];
                if (keep && rank > 0) {
                    long[] ones = new long[rank];
                    java.util.Arrays.fill(ones, 1);
                    i = ctx.reshape(i, ones);
                }
                ctx.bind(n.output(), i);
                return;
            }
            int axis = Layers.axis(n, n.intArg("dim"), rank);
            ctx.bind(n.output(), top1(ctx, n, x, axis, keep, max)[1]);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Argmax extends ArgBase {
        public Argmax() {
            super("aten::argmax", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Argmin extends ArgBase {
        public Argmin() {
            super("aten::argmin", false);
        }
    }
}
