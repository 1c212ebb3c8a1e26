package dev.kiln.passes.decompose;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.passes.shapes.ShapeMath;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.kiln.passes.decompose.DecompositionSupport.*;

/**
 * Ops that move data, rewritten into the layout ops TensorRT has layers for: {@code narrow}, {@code movedim},
 * {@code moveaxis}, {@code swapdims}, {@code swapaxes} (TorchScript keeps these; {@code torch.export} has already
 * lowered them), {@code unfold} (sliding windows), {@code channel_shuffle}, the functional forms of in-place writes
 * that {@code torch.export} produces for {@code x[:, a:b] = y} and {@code x[:, i] = y} ({@code slice_scatter},
 * {@code select_scatter}), and the 1-d upsamplings (as their 2-d forms over a height of 1). Each is checked against
 * libtorch by {@code DecompositionsAgreeWithLibtorchTest}.
 */
public final class LayoutDecompositions {
    private LayoutDecompositions() {
    }

    /** {@code narrow(x, dim, start, length) = slice(x, dim, start, start + length)}; a negative start counts from the end. */
    abstract static class NarrowForm extends OpDecomposition {
        NarrowForm(String op) {
            super(op);
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "dim", "start", "length"));
            if (r.isPresent()) {
                return r;
            }
            TensorType t = typeOf(n, 0);
            if (t.rank() == 0) {
                return Optional.of("a 0-d tensor cannot be narrowed");
            }
            return n.intArg("start") < 0 && size(t, norm(n.intArg("dim"), t.rank())) < 0
                    ? Optional.of("a negative start needs a static size along dim") : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            int d = norm(n.intArg("dim"), t.rank());
            long start = n.intArg("start");
            if (start < 0) {
                start += size(t, d);
            }
            return List.of(b.call("aten::slice.Tensor", List.of(b.input(0), new Arg.IntLit(d), new Arg.IntLit(start),
                    new Arg.IntLit(start + n.intArg("length")), new Arg.IntLit(1)), Map.of(), b.outputType()));
        }
    }

    @AutoService(Decomposition.class)
    public static final class Narrow extends NarrowForm {
        public Narrow() {
            super("aten::narrow");
        }
    }

    @AutoService(Decomposition.class)
    public static final class NarrowCopy extends NarrowForm {
        public NarrowCopy() {
            super("aten::narrow_copy");
        }
    }

    /** {@code movedim(x, source, destination)} as the {@code permute} PyTorch derives: the other dims keep their order. */
    abstract static class MoveDims extends OpDecomposition {
        MoveDims(String op) {
            super(op);
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "source", "destination"));
            if (r.isPresent()) {
                return r;
            }
            int rank = typeOf(n, 0).rank();
            if (rank == 0) {
                return Optional.of("a 0-d tensor has no dims to move");
            }
            return ShapeMath.movedimOrder(longs(n.arg("source")), longs(n.arg("destination")), rank) == null
                    ? Optional.of("source and destination must be as many distinct dims") : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            long[] order = ShapeMath.movedimOrder(longs(n.arg("source")), longs(n.arg("destination")), typeOf(n, 0).rank());
            return List.of(b.call("aten::permute", List.of(b.input(0), Arg.ints(order)), Map.of(), b.outputType()));
        }
    }

    @AutoService(Decomposition.class)
    public static final class MovedimInt extends MoveDims {
        public MovedimInt() {
            super("aten::movedim.int");
        }
    }

    @AutoService(Decomposition.class)
    public static final class MovedimIntlist extends MoveDims {
        public MovedimIntlist() {
            super("aten::movedim.intlist");
        }
    }

    @AutoService(Decomposition.class)
    public static final class MoveaxisInt extends MoveDims {
        public MoveaxisInt() {
            super("aten::moveaxis.int");
        }
    }

    @AutoService(Decomposition.class)
    public static final class MoveaxisIntlist extends MoveDims {
        public MoveaxisIntlist() {
            super("aten::moveaxis.intlist");
        }
    }

    /** {@code swapdims(x, a, b)} and {@code swapaxes(x, a, b)} are {@code transpose(x, a, b)}. */
    abstract static class Swap extends OpDecomposition {
        Swap(String op) {
            super(op);
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            return List.of(b.call("aten::transpose.int", List.of(b.input(0), n.arg(1), n.arg(2)), Map.of(), b.outputType()));
        }
    }

    @AutoService(Decomposition.class)
    public static final class Swapdims extends Swap {
        public Swapdims() {
            super("aten::swapdims");
        }
    }

    @AutoService(Decomposition.class)
    public static final class Swapaxes extends Swap {
        public Swapaxes() {
            super("aten::swapaxes");
        }
    }

    /**
     * {@code unfold(x, dim, size, step)}: the {@code n = (L - size) / step + 1} windows along {@code dim}, the window
     * as a new last dim. One {@code index_select} gathers the windows' elements in order, a reshape splits them into
     * {@code [n, size]} and a permute moves {@code size} to the end. {@code dim} needs a static size; the others may be
     * symbolic.
     */
    @AutoService(Decomposition.class)
    public static final class Unfold implements Decomposition {
        @Override
        public String op() {
            return "aten::unfold";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "dimension", "size", "step"));
            if (r.isPresent()) {
                return r;
            }
            TensorType t = typeOf(n, 0);
            if (t.rank() == 0) {
                return Optional.of("0-d input");
            }
            long length = size(t, norm(n.intArg("dimension"), t.rank()));
            if (length < 0) {
                return Optional.of("needs a static size along the unfolded dim");
            }
            long window = n.intArg("size");
            return window <= 0 || window > length || n.intArg("step") <= 0
                    ? Optional.of("size must be in [1, " + length + "] and step positive") : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            int d = norm(n.intArg("dimension"), t.rank());
            long window = n.intArg("size");
            long step = n.intArg("step");
            long count = (size(t, d) - window) / step + 1;
            long[] idx = new long[(int) (count * window)];
            for (int i = 0; i < count; i++) {
                for (int j = 0; j < window; j++) {
                    idx[(int) (i * window + j)] = i * step + j;
                }
            }
            Value gathered = selectAlong(b, b.input(0), d, idx, "unfold_index", withDim(t, d, SymExpr.of(count * window)));
            List<Arg> split = new ArrayList<>(sizesOf(b, b.input(0)).elements());
            split.set(d, new Arg.IntLit(count));
            split.add(d + 1, new Arg.IntLit(window));
            List<SymExpr> splitDims = new ArrayList<>(t.shape().dims());
            splitDims.set(d, SymExpr.of(count));
            splitDims.add(d + 1, SymExpr.of(window));
            TensorType splitType = t.withShape(Shape.of(splitDims));
            Value windows = b.call("aten::reshape", List.of(gathered, Arg.list(split)), Map.of(), splitType);
            if (d + 1 == t.rank()) {
                return List.of(windows);
            }
            long[] order = new long[t.rank() + 1];
            int k = 0;
            for (int i = 0; i <= t.rank(); i++) {
                if (i != d + 1) {
                    order[k++] = i;
                }
            }
            order[k] = d + 1;
            return List.of(b.call("aten::permute", List.of(windows, Arg.ints(order)), Map.of(), b.outputType()));
        }
    }

    /**
     * {@code channel_shuffle(x, g)}: {@code [N, C, ...]} viewed as {@code [N, g, C/g, ...]}, the two group dims
     * swapped, viewed back. The channel count must be static; the batch and spatial sizes may be symbolic.
     */
    abstract static class ChannelShuffleForm extends OpDecomposition {
        ChannelShuffleForm(String op) {
            super(op);
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, "groups"));
            if (r.isPresent()) {
                return r;
            }
            TensorType t = typeOf(n, 0);
            long g = n.intArg("groups");
            if (t.rank() < 3) {
                return Optional.of("needs an input of rank 3 or more");
            }
            long c = size(t, 1);
            return c < 0 || g <= 0 || c % g != 0 ? Optional.of("needs a static channel count divisible by groups")
                    : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            long g = n.intArg("groups");
            long c = size(t, 1);
            Arg.ListArg sizes = sizesOf(b, b.input(0));
            List<Arg> split = new ArrayList<>(sizes.elements());
            split.set(1, new Arg.IntLit(g));
            split.add(2, new Arg.IntLit(c / g));
            List<SymExpr> dims = new ArrayList<>(t.shape().dims());
            dims.set(1, SymExpr.of(g));
            dims.add(2, SymExpr.of(c / g));
            Value grouped = b.call("aten::reshape", List.of(b.input(0), Arg.list(split)), Map.of(), t.withShape(Shape.of(dims)));
            java.util.Collections.swap(dims, 1, 2);
            Value swapped = b.call("aten::transpose.int", List.of(grouped, new Arg.IntLit(1), new Arg.IntLit(2)), Map.of(),
                    t.withShape(Shape.of(dims)));
            return List.of(b.call("aten::reshape", List.of(swapped, sizes), Map.of(), b.outputType()));
        }
    }

    @AutoService(Decomposition.class)
    public static final class ChannelShuffle extends ChannelShuffleForm {
        public ChannelShuffle() {
            super("aten::channel_shuffle");
        }
    }

    @AutoService(Decomposition.class)
    public static final class NativeChannelShuffle extends ChannelShuffleForm {
        public NativeChannelShuffle() {
            super("aten::native_channel_shuffle");
        }
    }

    /**
     * {@code slice_scatter(x, src, dim, start, end, step)}: {@code x} with the slice replaced by {@code src}. Both are
     * concatenated along {@code dim} and one {@code index_select} picks, for each position, {@code x}'s element or the
     * {@code src} element written there. {@code dim} needs a static size and the bounds must be literals (None, negative
     * and out-of-range bounds as {@code slice} takes them).
     */
    @AutoService(Decomposition.class)
    public static final class SliceScatter implements Decomposition {
        @Override
        public String op() {
            return "aten::slice_scatter";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsKnownType(n, 1),
                    () -> needsLiterals(n, "dim", "start", "end", "step"));
            if (r.isPresent()) {
                return r;
            }
            TensorType t = typeOf(n, 0);
            TensorType src = typeOf(n, 1);
            if (t.rank() == 0 || src.rank() != t.rank() || !src.dtype().equals(t.dtype())) {
                return Optional.of("src must have the input's rank and dtype");
            }
            int d = norm(n.intArg("dim"), t.rank());
            if (size(t, d) < 0) {
                return Optional.of("needs a static size along dim");
            }
            if (n.intArg("step") <= 0) {
                return Optional.of("step must be positive");
            }
            return size(src, d) == positions(n, size(t, d)).length ? Optional.empty()
                    : Optional.of("src's size along dim is not the slice's");
        }

        /** The positions along the dim that the slice covers, bounds normalized as {@code aten::slice} does. */
        static long[] positions(Node n, long length) {
            long start = n.arg("start").isNone() ? 0 : n.intArg("start");
            long end = n.arg("end").isNone() ? length : n.intArg("end");
            long step = n.intArg("step");
            start = Math.min(Math.max(start < 0 ? start + length : start, 0), length);
            end = Math.min(Math.max(end < 0 ? end + length : end, start), length);
            long count = (end - start + step - 1) / step;
            long[] p = new long[(int) count];
            for (int j = 0; j < count; j++) {
                p[j] = start + j * step;
            }
            return p;
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            int d = norm(n.intArg("dim"), t.rank());
            return List.of(scatterAlong(b, b.input(0), b.input(1), d, positions(n, size(t, d))));
        }
    }

    /** {@code select_scatter(x, src, dim, i)}: {@code x} with index {@code i} of {@code dim} replaced by {@code src}. */
    @AutoService(Decomposition.class)
    public static final class SelectScatter implements Decomposition {
        @Override
        public String op() {
            return "aten::select_scatter";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsKnownType(n, 1), () -> needsLiterals(n, "dim", "index"));
            if (r.isPresent()) {
                return r;
            }
            TensorType t = typeOf(n, 0);
            TensorType src = typeOf(n, 1);
            if (t.rank() == 0 || src.rank() != t.rank() - 1 || !src.dtype().equals(t.dtype())) {
                return Optional.of("src must have the input's dtype and one dim less");
            }
            long length = size(t, norm(n.intArg("dim"), t.rank()));
            long i = n.intArg("index");
            return length < 0 ? Optional.of("needs a static size along dim")
                    : i < -length || i >= length ? Optional.of("index " + i + " is out of range for size " + length) : Optional.empty();
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            int d = norm(n.intArg("dim"), t.rank());
            long i = n.intArg("index");
            Value src = b.input(1);
            TensorType srcType = typeOf(n, 1);
            List<SymExpr> dims = new ArrayList<>(srcType.shape().dims());
            dims.add(d, SymExpr.of(1));
            Value row = b.call("aten::unsqueeze", List.of(src, new Arg.IntLit(d)), Map.of(), srcType.withShape(Shape.of(dims)));
            return List.of(scatterAlong(b, b.input(0), row, d, new long[] {i < 0 ? i + size(t, d) : i}));
        }
    }

    /**
     * {@code index_put(x, indices, v, accumulate)} ({@code x[mask] = v}, {@code x[:, idx] = v}; TorchScript's
     * {@code index_put_} once made functional) with one index tensor, the other positions None:
     * <ul>
     * <li>a bool mask over dims {@code p..p+k} and one value: {@code where(mask, v, x)}, or {@code where(mask, x + v, x)}
     *     when accumulating;</li>
     * <li>a constant 1-d integer index of distinct positions (negative ones wrapped) along a dim of static size: one value
     *     as above through a constant mask along the dim; a value per position ({@code v} of {@code x}'s shape but
     *     the index's length along the dim) without accumulating, through a concat and one gather.</li>
     * </ul>
     * A value of another dtype is cast to {@code x}'s, as {@code index_put} does. Runtime integer indices and several
     * index tensors stay in libtorch.
     */
    @AutoService(Decomposition.class)
    public static final class IndexPut implements Decomposition {
        @Override
        public String op() {
            return "aten::index_put";
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsKnownType(n, 2), () -> needsLiterals(n, "accumulate"));
            if (r.isPresent()) {
                return r;
            }
            int p = ShapeDecompositions.IndexOneDim.position(n);
            if (p < 0) {
                return Optional.of("only one index tensor (the others None) is decomposed");
            }
            TensorType t = typeOf(n, 0);
            TensorType v = typeOf(n, 2);
            Value idx = index(n, p);
            Optional<TensorType> it = known(idx);
            if (it.isEmpty()) {
                return Optional.of("the index tensor needs a known type");
            }
            boolean single = isSingle(v) && v.rank() <= t.rank();
            if (it.get().dtype().get() == dev.kiln.ir.DType.BOOL) {
                TensorType m = it.get();
                if (p + m.rank() > t.rank() || !m.shape().dims().equals(t.shape().dims().subList(p, p + m.rank()))) {
                    return Optional.of("the mask's sizes must be the input's at its position");
                }
                return single ? Optional.empty() : Optional.of("a mask takes one value (a value per element is data-dependent)");
            }
            if (it.get().rank() != 1 || idx.constant().isEmpty()) {
                return Optional.of("an integer index must be a 1-d constant (runtime indices need a scatter)");
            }
            long length = size(t, p);
            if (length < 0) {
                return Optional.of("the indexed dim needs a static size");
            }
            long[] at = positions(idx, length);
            if (at == null) {
                return Optional.of("the index's positions must be distinct and in range");
            }
            if (single) {
                return Optional.empty();
            }
            if (n.boolArg("accumulate")) {
                return Optional.of("accumulating a value per position is not decomposed");
            }
            List<SymExpr> want = new ArrayList<>(t.shape().dims());
            want.set(p, SymExpr.of(at.length));
            return v.shape().dims().equals(want) && v.dtype().equals(t.dtype()) ? Optional.empty()
                    : Optional.of("the values must be one number or of the input's shape with the index's length at its dim");
        }

        private static Value index(Node n, int p) {
            return (Value) ((Arg.ListArg) n.arg("indices")).elements().get(p);
        }

        /** The index's positions wrapped into {@code [0, length)}; null when one is out of range or repeated. */
        private static long[] positions(Value idx, long length) {
            dev.kiln.ir.ConstantTensor c = idx.constant().orElseThrow();
            long[] at = new long[(int) c.numel()];
            boolean[] seen = new boolean[(int) length];
            for (int i = 0; i < at.length; i++) {
                long k = (long) c.getDouble(i);
                if (k < -length || k >= length || seen[(int) (k < 0 ? k + length : k)]) {
                    return null;
                }
                at[i] = k < 0 ? k + length : k;
                seen[(int) at[i]] = true;
            }
            return at;
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            int p = ShapeDecompositions.IndexOneDim.position(n);
            Value x = b.input(0);
            Value v = b.input(2);
            TensorType vt = typeOf(n, 2);
            dev.kiln.ir.DType dt = t.dtype().get();
            if (!vt.dtype().get().equals(dt)) {
                v = b.call("aten::_to_copy", List.of(v), Map.of("dtype", new Arg.DTypeLit(dt)), vt.withDType(dt));
            }
            Value idx = index(n, p);
            TensorType it = known(idx).orElseThrow();
            Value mask;
            if (it.dtype().get() == dev.kiln.ir.DType.BOOL) {
                // the mask's dims at p..p+k: ones before and after so that it broadcasts against x
                mask = idx;
                List<SymExpr> dims = new ArrayList<>(it.shape().dims());
                for (int i = 0; i < p; i++) {
                    dims.add(0, SymExpr.of(1));
                    mask = b.call("aten::unsqueeze", List.of(mask, new Arg.IntLit(0)), Map.of(), it.withShape(Shape.of(dims)));
                }
                while (dims.size() < t.rank()) {
                    dims.add(SymExpr.of(1));
                    mask = b.call("aten::unsqueeze", List.of(mask, new Arg.IntLit(-1)), Map.of(), it.withShape(Shape.of(dims)));
                }
            } else {
                long length = size(t, p);
                long[] at = positions(idx, length);
                if (!isSingle(vt)) {
                    return List.of(scatterAlong(b, x, v, p, at));
                }
                long[] sizes = new long[t.rank() - p];
                sizes[0] = length;
                java.util.Arrays.fill(sizes, 1, sizes.length, 1);
                java.nio.ByteBuffer buf = dev.kiln.ir.ConstantTensor.allocate(dev.kiln.ir.DType.BOOL, sizes);
                for (long k : at) {
                    dev.kiln.ir.ElementCodec.put(dev.kiln.ir.DType.BOOL, buf, k, 1);
                }
                dev.kiln.ir.Graph g = n.graph();
                mask = g.addConstant(g.freshName("put_mask"), new dev.kiln.ir.ConstantTensor(dev.kiln.ir.DType.BOOL, sizes, buf));
            }
            if (!n.boolArg("accumulate")) {
                return List.of(b.call("aten::where.self", List.of(mask, v, x), Map.of(), t));
            }
            Value added = b.call("aten::add.Tensor", List.of(x, v, new Arg.IntLit(1)), Map.of(), t);
            return List.of(b.call("aten::where.self", List.of(mask, added, x), Map.of(), t));
        }

        private static boolean isSingle(TensorType vt) {
            return vt.shape().staticSizes().map(sz -> java.util.Arrays.stream(sz).reduce(1, (a, b) -> a * b) == 1).orElse(false);
        }
    }

    /** {@code x} with positions {@code at} of dim {@code d} taken from {@code src} in order: a concat and one gather. */
    static Value scatterAlong(DecompositionBuilder b, Value x, Value src, int d, long[] at) {
        TensorType t = known(x).orElseThrow();
        long length = size(t, d);
        if (at.length == 0) {
            return b.call("aten::clone", List.of(x, Arg.NONE), Map.of(), t);
        }
        long[] idx = new long[(int) length];
        for (int i = 0; i < length; i++) {
            idx[i] = i;
        }
        for (int j = 0; j < at.length; j++) {
            idx[(int) at[j]] = length + j;
        }
        Value both = b.call("aten::cat", List.of(Arg.list(List.of(x, src)), new Arg.IntLit(d)), Map.of(),
                withDim(t, d, SymExpr.of(length + at.length)));
        return selectAlong(b, both, d, idx, "scatter_index", t);
    }

    static TensorType withDim(TensorType t, int d, SymExpr size) {
        List<SymExpr> dims = new ArrayList<>(t.shape().dims());
        dims.set(d, size);
        return t.withShape(Shape.of(dims));
    }

    /**
     * The 1-d upsamplings as the 2-d ones over a height of 1 ({@code unsqueeze}, resize, {@code squeeze}): a height
     * of 1 resized to 1 maps every row to itself in both the nearest and the linear modes, with or without
     * {@code align_corners}.
     */
    abstract static class Upsample1d extends OpDecomposition {
        private final String target;
        private final boolean linear;
        private final boolean vec;

        Upsample1d(String op, String target, boolean linear, boolean vec) {
            super(op);
            this.target = target;
            this.linear = linear;
            this.vec = vec;
        }

        @Override
        public Optional<String> unsupported(Node n) {
            Optional<String> r = needsKnownType(n, 0);
            if (r.isPresent()) {
                return r;
            }
            return typeOf(n, 0).rank() == 3 ? Optional.empty() : Optional.of("needs an input of rank 3");
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            TensorType t = typeOf(n, 0);
            List<SymExpr> dims = new ArrayList<>(t.shape().dims());
            dims.add(2, SymExpr.of(1));
            Value x4 = b.call("aten::unsqueeze", List.of(b.input(0), new Arg.IntLit(2)), Map.of(), t.withShape(Shape.of(dims)));
            List<SymExpr> outDims = new ArrayList<>(((TensorType) b.outputType()).shape().dims());
            outDims.add(2, SymExpr.of(1));
            TensorType outType = t.withShape(Shape.of(outDims));
            List<Arg> args = new ArrayList<>();
            args.add(x4);
            args.add(n.arg("output_size").isNone() ? Arg.NONE : Arg.list(List.of(new Arg.IntLit(1), only(n.arg("output_size")))));
            if (linear) {
                args.add(n.arg("align_corners"));
            }
            if (vec) {
                args.add(n.arg("scale_factors").isNone() ? Arg.NONE
                        : Arg.list(List.of(new Arg.FloatLit(1.0), only(n.arg("scale_factors")))));
            } else if (n.arg("scales").isNone()) {
                args.add(Arg.NONE);
                args.add(Arg.NONE);
            } else {
                args.add(new Arg.FloatLit(1.0));
                args.add(n.arg("scales"));
            }
            Value y = b.call(target, args, Map.of(), outType);
            return List.of(b.call("aten::squeeze.dim", List.of(y, new Arg.IntLit(2)), Map.of(), b.outputType()));
        }

        private static Arg only(Arg list) {
            return list instanceof Arg.ListArg l ? l.elements().get(0) : list;
        }
    }

    @AutoService(Decomposition.class)
    public static final class UpsampleNearest1d extends Upsample1d {
        public UpsampleNearest1d() {
            super("aten::upsample_nearest1d", "aten::upsample_nearest2d", false, false);
        }
    }

    @AutoService(Decomposition.class)
    public static final class UpsampleNearest1dVec extends Upsample1d {
        public UpsampleNearest1dVec() {
            super("aten::upsample_nearest1d.vec", "aten::upsample_nearest2d.vec", false, true);
        }
    }

    @AutoService(Decomposition.class)
    public static final class UpsampleLinear1d extends Upsample1d {
        public UpsampleLinear1d() {
            super("aten::upsample_linear1d", "aten::upsample_bilinear2d", true, false);
        }
    }

    @AutoService(Decomposition.class)
    public static final class UpsampleLinear1dVec extends Upsample1d {
        public UpsampleLinear1dVec() {
            super("aten::upsample_linear1d.vec", "aten::upsample_bilinear2d.vec", true, true);
        }
    }
}
