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
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.LoopOutput;
import org.bytedeco.tensorrt.global.nvinfer.MatrixOperation;
import org.bytedeco.tensorrt.global.nvinfer.TripLimit;
import org.bytedeco.tensorrt.nvinfer.IIteratorLayer;
import org.bytedeco.tensorrt.nvinfer.ILoop;
import org.bytedeco.tensorrt.nvinfer.ILoopOutputLayer;
import org.bytedeco.tensorrt.nvinfer.IRecurrenceLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Padding, cumulative sums and type conversions: {@code constant_pad_nd} (negative pads crop),
 * {@code cumsum} (float with a static axis: a triangular matmul; otherwise a TensorRT loop),
 * {@code _to_copy}, {@code to.dtype}, {@code to.dtype_layout} (explicit casts; device moves are
 * no-ops inside an engine) and functional {@code copy} (src cast and broadcast to self's shape).
 *
 * <pre>{@code aten::constant_pad_nd(%x, [1, 1, 2, 0], 0.0) -> ISliceLayer(kFILL, start -pre, size in+pre+post)}</pre>
 */
public final class MiscConverters {
    private MiscConverters() {
    }

    @AutoService(OpConverter.class)
    public static final class ConstantPadNd extends AtenConverter {
        public ConstantPadNd() {
            super("aten::constant_pad_nd");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return NUMERIC;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lits = all(requireIntLiterals(n, "pad"), requireNumber(n, "value"));
            if (!lits.isSupported()) {
                return lits;
            }
            long[] pad = n.intListArg("pad");
            int rank = type(n, "self").rank();
            if (pad.length % 2 != 0 || pad.length / 2 > rank) {
                return Support.no("pad " + Arrays.toString(pad) + " must have an even length of at most 2*rank");
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int rank = Layers.rank(x);
            long[] pad = n.intListArg("pad");
            long[] pre = new long[rank];
            long[] post = new long[rank];
            for (int i = 0; i < pad.length / 2; i++) {
                // pairs run from the last dimension backwards
                pre[rank - 1 - i] = pad[2 * i];
                post[rank - 1 - i] = pad[2 * i + 1];
            }
            ctx.bind(n.output(), Layers.padded(ctx, x, pre, post, n.doubleArg("value")));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Cumsum extends AtenConverter {
        public Cumsum() {
            super("aten::cumsum");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            if (!Layers.validAxis(n.intArg("dim"), rank)) {
                return Support.no("dim " + n.intArg("dim") + " is out of range for rank " + rank);
            }
            DType out = Layers.outDType(n, 0);
            return NUMERIC.contains(out) ? Support.yes() : Support.no("cumsum to " + out + " is not supported");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            ITensor x = ctx.cast(ctx.get(n.arg("self")), out);
            int rank = Layers.rank(x);
            if (rank == 0) {
                ctx.bind(n.output(), ctx.named(ctx.network().addIdentity(x)).getOutput(0));
                return;
            }
            int axis = Layers.axis(n, n.intArg("dim"), rank);
            long len = Layers.sizes(x)[axis];
            if (out.isFloatingPoint() && len > 0 && len <= 4096) {
                ctx.bind(n.output(), triangular(ctx, x, axis, (int) len, out));
            } else {
                ctx.bind(n.output(), loop(ctx, n, x, axis));
            }
        }

        /** cumsum along {@code axis} as {@code x @ U} with U upper-triangular ones (axis moved last and back). */
        private static ITensor triangular(ConversionContext ctx, ITensor x, int axis, int len, DType dt) {
            int rank = Layers.rank(x);
            int[] perm = ShapeConverters.swap(rank, axis, rank - 1);
            ITensor t = axis == rank - 1 ? x : Layers.permute(ctx, x, perm);
            double[] u = new double[len * len];
            for (int i = 0; i < len; i++) {
                for (int j = i; j < len; j++) {
                    u[i * len + j] = 1;
                }
            }
            ITensor tri = Layers.constant(ctx, dt, new long[] {len, len}, u);
            if (rank == 1) {
                // TensorRT's matrix multiply needs rank >= 2 for kNONE: a rank-1 operand is a vector
                return ctx.named(ctx.network().addMatrixMultiply(t, MatrixOperation.kVECTOR, tri, MatrixOperation.kNONE)).getOutput(0);
            }
            tri = ElementwiseConverters.toRank(ctx, tri, rank);
            ITensor y = ctx.named(ctx.network().addMatrixMultiply(t, MatrixOperation.kNONE, tri, MatrixOperation.kNONE)).getOutput(0);
            return axis == rank - 1 ? y : Layers.permute(ctx, y, perm);
        }

        /** cumsum as a TensorRT loop over {@code axis} with a running-sum recurrence (exact for integers). */
        private static ITensor loop(ConversionContext ctx, Node n, ITensor x, int axis) {
            ILoop loop = ctx.network().addLoop();
            loop.setName(n.op() + " " + n.name() + " loop");
            ITensor trip = ctx.cast(ctx.reshape(ctx.dim(x, axis), new long[0]), DType.INT32);
            ctx.named(loop.addTripLimit(trip, TripLimit.kCOUNT));
            IIteratorLayer it = ctx.named(loop.addIterator(x, axis, false));
            int rank = Layers.rank(x);
            int[] rest = new int[rank - 1];
            for (int i = 0, k = 0; i < rank; i++) {
                if (i != axis) {
                    rest[k++] = i;
                }
            }
            ITensor zeros = rank == 1 ? ctx.scalar(0, ctx.dtype(x), 0)
                    : CreationConverters.fill(ctx, 0, ctx.dtype(x), Layers.gatherShape(ctx, x, rest), rank - 1);
            IRecurrenceLayer acc = ctx.named(loop.addRecurrence(zeros));
            ITensor sum = ctx.named(ctx.network().addElementWise(it.getOutput(0), acc.getOutput(0), ElementWiseOperation.kSUM)).getOutput(0);
            acc.setInput(1, sum);
            ILoopOutputLayer o = ctx.named(loop.addLoopOutput(sum, LoopOutput.kCONCATENATE, axis));
            o.setInput(1, trip);
            return o.getOutput(0);
        }
    }

    /** A cast to the IR's output dtype; device, layout and memory format do not matter inside an engine. */
    abstract static class Cast extends AtenConverter {
        Cast(String op) {
            super(op);
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            if (n.schema().indexOf("layout").isPresent()) {
                Arg l = n.arg("layout");
                if (!l.isNone() && !(l instanceof Arg.LayoutLit ll && ll.value().equals("strided"))) {
                    return Support.no("layout " + dev.kiln.ir.Args.describe(l) + " is not supported (only strided)");
                }
            }
            return CreationConverters.trtOutput(n);
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            DType out = Layers.outDType(n, 0);
            ITensor y = ctx.cast(x, out);
            if (y == x) {
                y = ctx.named(ctx.network().addIdentity(x)).getOutput(0);
            }
            ctx.bind(n.output(), y);
        }
    }

    @AutoService(OpConverter.class)
    public static final class ToCopy extends Cast {
        public ToCopy() {
            super("aten::_to_copy");
        }
    }

    @AutoService(OpConverter.class)
    public static final class ToDtype extends Cast {
        public ToDtype() {
            super("aten::to.dtype");
        }
    }

    @AutoService(OpConverter.class)
    public static final class ToDtypeLayout extends Cast {
        public ToDtypeLayout() {
            super("aten::to.dtype_layout");
        }
    }

    /** Functional copy: the result has self's shape and dtype and src's values. */
    @AutoService(OpConverter.class)
    public static final class Copy extends AtenConverter {
        public Copy() {
            super("aten::copy");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("self", "src");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            TensorType self = type(n, "self");
            TensorType src = type(n, "src");
            return src.rank() <= self.rank() ? Support.yes() : Support.no("src has a higher rank than self");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor self = ctx.get(n.arg("self"));
            ITensor src = ElementwiseConverters.toRank(ctx, ctx.cast(ctx.get(n.arg("src")), Layers.outDType(n, 0)), Layers.rank(self));
            ITensor y = Layers.expandLike(ctx, src, self);
            if (y == src) {
                y = ctx.named(ctx.network().addIdentity(src)).getOutput(0);
            }
            ctx.bind(n.output(), y);
        }
    }
}
