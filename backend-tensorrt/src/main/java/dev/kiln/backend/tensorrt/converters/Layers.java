package dev.kiln.backend.tensorrt.converters;

import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.tensorrt.global.nvinfer.ActivationType;
import org.bytedeco.tensorrt.global.nvinfer.DataType;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.ReduceOperation;
import org.bytedeco.tensorrt.global.nvinfer.SampleMode;
import org.bytedeco.tensorrt.global.nvinfer.UnaryOperation;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IActivationLayer;
import org.bytedeco.tensorrt.nvinfer.IConcatenationLayer;
import org.bytedeco.tensorrt.nvinfer.IShuffleLayer;
import org.bytedeco.tensorrt.nvinfer.ISliceLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.Permutation;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Building blocks the converters share beyond {@link ConversionContext}: dtype mapping, dimension
 * normalization, reduction axis masks, shape tensors assembled from literals and symbolic sizes,
 * unsqueeze/squeeze/transpose/expand, element-wise and activation helpers, and the argument readers
 * used by {@code check}. Every layer added here is named through {@link ConversionContext#named}.
 *
 * <pre>{@code ITensor y = Layers.elementwise(ctx, a, b, ElementWiseOperation.kSUM);}</pre>
 */
public final class Layers {
    private Layers() {
    }

    /** Above this an int is the "to the end" sentinel of {@code slice} ({@code sys.maxsize} and friends). */
    public static final long HUGE = Long.MAX_VALUE / 4;

    // ------------------------------------------------------------------ dtypes

    /** The TensorRT data type of an IR dtype, absent for dtypes TensorRT lacks (f64, i16, complex...); the backend's one mapping. */
    public static Optional<DataType> trt(DType t) {
        return dev.kiln.backend.tensorrt.TrtTypes.find(t);
    }

    /** The TensorRT data type of {@code t}; throws naming the dtype when TensorRT has none. */
    public static DataType trtOrThrow(DType t) {
        return trt(t).orElseThrow(() -> new KilnException("TensorRT has no " + t + " tensors; cast the model to f32/f16 first"));
    }

    /**
     * The dtype PyTorch's kernels compute a {@code dtype} op in ("opmath"): f32 for f16 and bf16, which
     * they load, compute in float and round once; {@code dtype} itself otherwise.
     */
    public static DType opmath(DType dtype) {
        return dtype == DType.FLOAT16 || dtype == DType.BFLOAT16 ? DType.FLOAT32 : dtype;
    }

    /**
     * {@code f(x)} computed the way PyTorch computes it for 16-bit floats: {@code x} cast to f32,
     * {@code f} applied, the result rounded once to {@code x}'s dtype. Ops whose 16-bit TensorRT kernels
     * overflow or lose the result (softplus, log-sigmoid, mish, pow) go through here.
     */
    public static ITensor inOpmath(ConversionContext ctx, ITensor x, java.util.function.UnaryOperator<ITensor> f) {
        DType dt = ctx.dtype(x);
        DType op = opmath(dt);
        return op == dt ? f.apply(x) : ctx.cast(f.apply(ctx.cast(x, op)), dt);
    }

    /** Whether a size's range holds 1 (a constant 1 included): a size that may be 1 at run time. */
    public static boolean rangeHoldsOne(SymExpr size) {
        return size.lowerBound() <= 1 && size.upperBound() >= 1;
    }

    /** Float types TensorRT computes in. */
    public static boolean isTrtFloat(DType t) {
        return t == DType.FLOAT32 || t == DType.FLOAT16 || t == DType.BFLOAT16;
    }

    /**
     * ATen's result type of a binary op between two tensors (both dimensioned): bool < ints < floats;
     * within a category the wider wins; f16 with bf16 gives f32.
     */
    public static DType promote(DType a, DType b) {
        if (a == b) {
            return a;
        }
        int ca = category(a);
        int cb = category(b);
        if (ca != cb) {
            return ca > cb ? a : b;
        }
        if (ca == 2) {
            if ((a == DType.FLOAT16 && b == DType.BFLOAT16) || (a == DType.BFLOAT16 && b == DType.FLOAT16)) {
                return DType.FLOAT32;
            }
            return a.byteSize() >= b.byteSize() ? a : b;
        }
        return a.byteSize() >= b.byteSize() ? a : b;
    }

    /** ATen's result type of tensor {@code t} with a Python scalar: the scalar only lifts the category. */
    public static DType promoteWithScalar(DType t, boolean scalarIsFloat, boolean scalarIsBool) {
        if (scalarIsFloat && !t.isFloatingPoint()) {
            return DType.FLOAT32;
        }
        if (!scalarIsBool && t == DType.BOOL) {
            return DType.INT64;
        }
        return t;
    }

    private static int category(DType t) {
        if (t == DType.BOOL) {
            return 0;
        }
        return t.isFloatingPoint() ? 2 : 1;
    }

    // ------------------------------------------------------------------ IR readers (check side)

    /** The tensor type of argument {@code name}, when it is a tensor value with known dtype and rank. */
    public static Optional<TensorType> tensorType(Node n, String name) {
        Arg a = n.arg(name);
        return a instanceof Value v ? completeTensor(v.type()) : Optional.empty();
    }

    /** The type of output {@code i} when it is a tensor with known dtype and rank. */
    public static Optional<TensorType> outType(Node n, int i) {
        return i < n.outputs().size() ? completeTensor(n.output(i).type()) : Optional.empty();
    }

    private static Optional<TensorType> completeTensor(Type t) {
        return t instanceof TensorType tt && tt.isComplete() ? Optional.of(tt) : Optional.empty();
    }

    /** The dtype of output {@code i}; throws naming the node when unknown (convert side). */
    public static DType outDType(Node n, int i) {
        return outType(n, i).map(TensorType::elementType)
                .orElseThrow(() -> KilnException.at(n, "the type of output " + i + " is not known; run shape propagation first"));
    }

    /** The value of an argument that is a constant tensor (a weight, a bias, running statistics), if it is one. */
    static Optional<ConstantTensor> constantValue(Arg a) {
        return a instanceof Value v ? v.constant() : Optional.empty();
    }

    /** The static size of a dimension, when it is a constant. */
    public static Optional<Long> staticDim(TensorType t, int axis) {
        SymExpr d = t.shape().dim(axis);
        return d instanceof SymExpr.Const c ? Optional.of(c.value()) : Optional.empty();
    }

    /** {@code dim} in {@code [-rank, rank)} brought to {@code [0, rank)}; throws naming the node otherwise. */
    public static int axis(Node n, long dim, int rank) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r) {
            throw KilnException.at(n, "dimension " + dim + " is out of range for a tensor of rank " + rank);
        }
        return (int) (dim < 0 ? dim + r : dim);
    }

    /** Whether {@code dim} is a valid dimension for {@code rank}. */
    public static boolean validAxis(long dim, int rank) {
        int r = Math.max(rank, 1);
        return dim >= -r && dim < r;
    }

    /** The bitmask of {@code dims} for reduce/softmax/normalization layers; empty {@code dims} means all. */
    public static int axesMask(Node n, long[] dims, int rank) {
        if (dims.length == 0) {
            return rank == 0 ? 0 : (1 << rank) - 1;
        }
        int mask = 0;
        for (long d : dims) {
            mask |= 1 << axis(n, d, rank);
        }
        return mask;
    }

    /** True when the literal is a number (int, float or bool), not a value. */
    public static boolean isLiteralNumber(Arg a) {
        return a instanceof Arg.IntLit || a instanceof Arg.FloatLit || a instanceof Arg.BoolLit;
    }

    /** True when every element of the list argument is an int literal. */
    public static boolean isIntList(Arg a) {
        if (a instanceof Arg.IntLit) {
            return true;
        }
        if (!(a instanceof Arg.ListArg l)) {
            return false;
        }
        for (Arg e : l.elements()) {
            if (!(e instanceof Arg.IntLit)) {
                return false;
            }
        }
        return true;
    }

    /** Elements of a list argument ({@code [2, %s0, -1]}); a single literal is a list of one. */
    public static List<Arg> elements(Arg a) {
        if (a instanceof Arg.ListArg l) {
            return l.elements();
        }
        return List.of(a);
    }

    /** A short dtype list for messages. */
    public static String describeDTypes(java.util.Set<DType> ts) {
        List<String> out = new ArrayList<>();
        for (DType t : ts) {
            out.add(t.text());
        }
        return String.join(", ", out);
    }

    // ------------------------------------------------------------------ dims and shape tensors

    public static Dims64 dims(long... d) {
        Dims64 x = new Dims64();
        x.nbDims(d.length);
        for (int i = 0; i < d.length; i++) {
            x.d(i, d[i]);
        }
        return x;
    }

    public static int rank(ITensor t) {
        return t.getDimensions().nbDims();
    }

    /** TensorRT's view of {@code t}'s sizes (-1 for dynamic ones). */
    public static long[] sizes(ITensor t) {
        Dims64 d = t.getDimensions();
        long[] out = new long[d.nbDims()];
        for (int i = 0; i < out.length; i++) {
            out[i] = d.d(i);
        }
        return out;
    }

    /** A 1-d i64 constant. */
    public static ITensor longs(ConversionContext ctx, long... values) {
        return ctx.constant(ConstantTensor.ofLongs(new long[] {values.length}, values), "shape");
    }

    /** A constant of {@code dtype} with the given sizes and values. */
    public static ITensor constant(ConversionContext ctx, DType dtype, long[] sizes, double... values) {
        ByteBuffer b = ConstantTensor.allocate(dtype, sizes);
        for (int i = 0; i < values.length; i++) {
            ElementCodec.put(dtype, b, i, values[i]);
        }
        return ctx.constant(new ConstantTensor(dtype, sizes, b), "const");
    }

    /** A constant of {@code dtype} and {@code sizes} with every element {@code value}. */
    public static ITensor filled(ConversionContext ctx, DType dtype, long[] sizes, double value) {
        ByteBuffer b = ConstantTensor.allocate(dtype, sizes);
        long n = 1;
        for (long s : sizes) {
            n *= s;
        }
        for (long i = 0; i < n; i++) {
            ElementCodec.put(dtype, b, i, value);
        }
        return ctx.constant(new ConstantTensor(dtype, sizes, b), "fill");
    }

    /** Concatenates 1-d tensors along axis 0 (shape tensors). */
    public static ITensor concat(ConversionContext ctx, List<ITensor> parts, int axis) {
        // empty shape pieces (no dims before/after a merged range) are dropped rather than concatenated
        List<ITensor> kept = new ArrayList<>();
        for (ITensor p : parts) {
            long[] sz = sizes(p);
            if (!(sz.length == 1 && sz[0] == 0)) {
                kept.add(p);
            }
        }
        if (!kept.isEmpty()) {
            parts = kept;
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        PointerPointer<ITensor> pp = new PointerPointer<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            pp.put(i, parts.get(i));
        }
        ctx.keepAlive(pp);
        IConcatenationLayer c = ctx.named(ctx.network().addConcatenation(pp, parts.size()));
        c.setAxis(axis);
        return c.getOutput(0);
    }

    /**
     * A 1-d i64 shape tensor from list elements: int literals, symbolic int values (0-d or 1-element i64
     * tensors, e.g. from {@code sym_size}), or, for a -1 entry when {@code inferFrom} is given... left to
     * the caller: -1 stays -1 (reshape infers it).
     */
    public static ITensor shapeTensor(ConversionContext ctx, List<Arg> elems) {
        List<ITensor> parts = new ArrayList<>();
        List<Long> run = new ArrayList<>();
        for (Arg e : elems) {
            if (e instanceof Value v) {
                if (!run.isEmpty()) {
                    parts.add(longs(ctx, run.stream().mapToLong(Long::longValue).toArray()));
                    run.clear();
                }
                parts.add(toShapeElement(ctx, ctx.get(v)));
            } else {
                run.add(Args.toLongLit(e));
            }
        }
        if (!run.isEmpty() || parts.isEmpty()) {
            parts.add(longs(ctx, run.stream().mapToLong(Long::longValue).toArray()));
        }
        return concat(ctx, parts, 0);
    }

    /** A symbolic int tensor (0-d or [1], any int type) as a [1] i64 tensor. */
    public static ITensor toShapeElement(ConversionContext ctx, ITensor t) {
        ITensor x = ctx.cast(t, DType.INT64);
        return rank(x) == 1 ? x : ctx.reshape(x, 1);
    }

    /** The runtime sizes of the given axes of {@code t} as a 1-d i64 tensor. */
    public static ITensor gatherShape(ConversionContext ctx, ITensor t, int[] axes) {
        long[] st = sizes(t);
        boolean allStatic = true;
        for (int a : axes) {
            allStatic &= st[a] >= 0;
        }
        if (allStatic) {
            long[] v = new long[axes.length];
            for (int i = 0; i < axes.length; i++) {
                v[i] = st[axes[i]];
            }
            return longs(ctx, v);
        }
        List<ITensor> parts = new ArrayList<>();
        for (int a : axes) {
            parts.add(st[a] >= 0 ? longs(ctx, st[a]) : ctx.dim(t, a));
        }
        return concat(ctx, parts, 0);
    }

    /** {@code t} with a size-1 dimension inserted at each of {@code axes} (ascending, in output numbering). */
    public static ITensor unsqueeze(ConversionContext ctx, ITensor t, int... axes) {
        int r = rank(t);
        int outRank = r + axes.length;
        boolean[] inserted = new boolean[outRank];
        for (int a : axes) {
            inserted[a] = true;
        }
        long[] st = sizes(t);
        long[] outStatic = new long[outRank];
        List<ITensor> parts = new ArrayList<>();
        int src = 0;
        boolean dynamic = false;
        for (int i = 0; i < outRank; i++) {
            if (inserted[i]) {
                outStatic[i] = 1;
                parts.add(longs(ctx, 1));
            } else {
                outStatic[i] = st[src];
                dynamic |= st[src] < 0;
                parts.add(st[src] >= 0 ? longs(ctx, st[src]) : ctx.dim(t, src));
                src++;
            }
        }
        if (!dynamic) {
            return ctx.reshape(t, outStatic);
        }
        return ctx.reshape(t, concat(ctx, parts, 0));
    }

    /**
     * {@code x} with {@code pre[d]} and {@code post[d]} elements of {@code value} added before and after it
     * along each dim d (a kFILL slice starting at {@code -pre}; sizes may be symbolic).
     *
     * <pre>{@code padded(ctx, x, new long[] {0, 0, 1, 1}, new long[] {0, 0, 1, 1}, 0.0)   // a zero border}</pre>
     */
    public static ITensor padded(ConversionContext ctx, ITensor x, long[] pre, long[] post, double value) {
        int rank = rank(x);
        long[] st = sizes(x);
        long[] start = new long[rank];
        long[] delta = new long[rank];
        long[] size = new long[rank];
        long[] ones = new long[rank];
        boolean dynamic = false;
        for (int i = 0; i < rank; i++) {
            start[i] = -pre[i];
            delta[i] = pre[i] + post[i];
            size[i] = st[i] + delta[i];
            ones[i] = 1;
            dynamic |= st[i] < 0;
        }
        ISliceLayer sl = ctx.named(ctx.network().addSlice(x, dims(start), dims(dynamic ? new long[rank] : size), dims(ones)));
        sl.setMode(SampleMode.kFILL);
        if (dynamic) {
            sl.setInput(2, ShapeConverters.shapeOp(ctx, ctx.shapeOf(x), longs(ctx, delta), ElementWiseOperation.kSUM));
        }
        sl.setInput(4, ctx.scalar(value, ctx.dtype(x), 0));
        return sl.getOutput(0);
    }

    /** {@code t} without the given axes (each must be size 1). */
    public static ITensor squeeze(ConversionContext ctx, ITensor t, int... axes) {
        int r = rank(t);
        boolean[] drop = new boolean[r];
        for (int a : axes) {
            drop[a] = true;
        }
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            if (!drop[i]) {
                keep.add(i);
            }
        }
        int[] k = keep.stream().mapToInt(Integer::intValue).toArray();
        long[] st = sizes(t);
        long[] outStatic = new long[k.length];
        int unknown = 0;
        for (int i = 0; i < k.length; i++) {
            outStatic[i] = st[k[i]];
            unknown += outStatic[i] < 0 ? 1 : 0;
        }
        if (unknown <= 1) {
            // one unknown size is inferred by a static reshape with -1
            return ctx.reshape(t, outStatic);
        }
        return ctx.reshape(t, gatherShape(ctx, t, k));
    }

    /** {@code t} with its dimensions permuted: output dim i is input dim {@code perm[i]}. */
    public static ITensor permute(ConversionContext ctx, ITensor t, int[] perm) {
        IShuffleLayer s = ctx.named(ctx.network().addShuffle(t));
        Permutation p = new Permutation();
        for (int i = 0; i < perm.length; i++) {
            p.order(i, perm[i]);
        }
        s.setFirstTranspose(p);
        return s.getOutput(0);
    }

    /**
     * {@code t} broadcast to {@code shape} (a 1-d i64 shape tensor of the same rank): a slice with stride 0
     * on the dimensions that are 1 in {@code t} and not in the target.
     */
    public static ITensor expand(ConversionContext ctx, ITensor t, ITensor shape, boolean[] broadcastDims) {
        int r = rank(t);
        long[] stride = new long[r];
        for (int i = 0; i < r; i++) {
            stride[i] = broadcastDims[i] ? 0 : 1;
        }
        ISliceLayer s = ctx.named(ctx.network().addSlice(t, dims(new long[r]), dims(new long[r]), dims(stride)));
        s.setInput(2, shape);
        return s.getOutput(0);
    }

    /** {@code t} broadcast like {@code like} (same rank; {@code t}'s size-1 dimensions stretched). */
    public static ITensor expandLike(ConversionContext ctx, ITensor t, ITensor like) {
        long[] ts = sizes(t);
        long[] ls = sizes(like);
        boolean[] b = new boolean[ts.length];
        boolean any = false;
        for (int i = 0; i < ts.length; i++) {
            b[i] = ts[i] == 1 && ls[i] != 1;
            any |= b[i];
        }
        if (!any) {
            return t;
        }
        return expand(ctx, t, ctx.shapeOf(like), b);
    }

    // ------------------------------------------------------------------ arithmetic

    /** {@code a op b} with NumPy broadcasting (operands must have the same dtype). */
    public static ITensor elementwise(ConversionContext ctx, ITensor a, ITensor b, ElementWiseOperation op) {
        ITensor[] ab = ctx.broadcast(a, b);
        return ctx.named(ctx.network().addElementWise(ab[0], ab[1], op)).getOutput(0);
    }

    public static ITensor unary(ConversionContext ctx, ITensor t, UnaryOperation op) {
        return ctx.named(ctx.network().addUnary(t, op)).getOutput(0);
    }

    public static ITensor activation(ConversionContext ctx, ITensor t, ActivationType type, double alpha, double beta) {
        IActivationLayer l = ctx.named(ctx.network().addActivation(t, type));
        l.setAlpha((float) alpha);
        l.setBeta((float) beta);
        return l.getOutput(0);
    }

    public static ITensor reduce(ConversionContext ctx, ITensor t, ReduceOperation op, int mask, boolean keep) {
        return ctx.named(ctx.network().addReduce(t, op, mask, keep)).getOutput(0);
    }

    /** {@code t op scalar} where the scalar is a literal or a symbolic value, computed in {@code t}'s dtype. */
    public static ITensor withScalar(ConversionContext ctx, ITensor t, Arg scalar, ElementWiseOperation op, boolean scalarFirst) {
        ITensor s = scalarOperand(ctx, scalar, ctx.dtype(t), rank(t));
        return scalarFirst ? elementwise(ctx, s, t, op) : elementwise(ctx, t, s, op);
    }

    /** A literal or symbolic scalar as a tensor of {@code dtype} with {@code rank} size-1 dimensions. */
    public static ITensor scalarOperand(ConversionContext ctx, Arg scalar, DType dtype, int rank) {
        if (scalar instanceof Value v) {
            ITensor x = ctx.cast(ctx.get(v), dtype);
            long[] ones = new long[rank];
            java.util.Arrays.fill(ones, 1);
            return ctx.reshape(x, ones);
        }
        return ctx.scalar(Args.toDoubleLit(scalar), dtype, rank);
    }

    /** {@code t} scaled by a constant (skipped when 1). */
    public static ITensor scale(ConversionContext ctx, ITensor t, double factor) {
        if (factor == 1.0) {
            return t;
        }
        return elementwise(ctx, t, ctx.scalar(factor, ctx.dtype(t), rank(t)), ElementWiseOperation.kPROD);
    }

    /** Literal readers that do not need a node (the node-aware ones live on {@link Node}). */
    static final class Args {
        private Args() {
        }

        static long toLongLit(Arg a) {
            if (a instanceof Arg.IntLit i) {
                return i.value();
            }
            if (a instanceof Arg.BoolLit b) {
                return b.value() ? 1 : 0;
            }
            if (a instanceof Arg.FloatLit f && f.value() == Math.rint(f.value())) {
                return (long) f.value();
            }
            throw new KilnException("expected an int literal but got " + dev.kiln.ir.Args.describe(a));
        }

        static double toDoubleLit(Arg a) {
            if (a instanceof Arg.FloatLit f) {
                return f.value();
            }
            if (a instanceof Arg.IntLit i) {
                return i.value();
            }
            if (a instanceof Arg.BoolLit b) {
                return b.value() ? 1 : 0;
            }
            throw new KilnException("expected a number literal but got " + dev.kiln.ir.Args.describe(a));
        }
    }
}
