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
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.kiln.passes.decompose.DecompositionSupport.*;

/**
 * Factories, layout and indexing ops as reshapes, expands, slices, concatenations and {@code index_select} with
 * constant
 * indices: {@code new_zeros}, {@code new_ones}, {@code new_full}, {@code repeat}, {@code tile}, {@code flip},
 * {@code pixel_shuffle}, {@code pixel_unshuffle}, {@code tril}, {@code triu}, {@code type_as}, {@code expand_as},
 * {@code view_as}, {@code reshape_as}, {@code index.Tensor} with one 1-d index, {@code reflection_pad{1,2,3}d},
 * {@code replication_pad{1,2,3}d} and {@code pad} in its four modes; {@code roll} is written and tested but opt-in
 * (the hybrid runtime's GPU tests use it as the op that has to run in libtorch). Where a decomposition needs static
 * sizes its {@link Decomposition#unsupported} says so. Checked against libtorch by
 * {@code DecompositionsAgreeWithLibtorchTest}.
 */
public final class ShapeDecompositions {
    private ShapeDecompositions() {
    }

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
            Value x = b.input(0);
            for (long d0 : longs(n.arg("dims"))) {
                int d = norm(d0, t.rank());
                long s = size(t, d);
                long[] idx = new long[(int) s];
                for (int i = 0; i < s; i++) {
                    idx[i] = s - 1 - i;
                }
                x = selectAlong(b, x, d, idx, "flip_index", t);
            }
            return List.of(x);
        }
    }

    /**
     * {@code roll(x, shifts, dims)}: per dim, the last {@code shift} slices moved to the front ({@code cat} of two
     * slices). Not registered yet: the hybrid runtime's GPU tests use {@code roll} as the op that has to run in
     * libtorch; add it with {@code DecompositionTable.standard().with(new ShapeDecompositions.Roll())} (exact, tested).
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

    /** {@code tril}/{@code triu}: {@code where(mask, x, 0)} with the mask of the last two (static) dims as a constant. */
    abstract static class Triangle extends OpDecomposition {
        private final boolean lower;

        Triangle(String op, boolean lower) {
            super(op);
            this.lower = lower;
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

    /**
     * Reflection, replication and circular padding: along each padded dim one {@code index_select} whose constant index
     * is the mirrored, repeated or wrapped positions before the dim, the dim itself, and those after it (static sizes;
     * pads of 0 or more, and smaller than the dim for reflection, as PyTorch requires).
     */
    abstract static class ModePad extends OpDecomposition {
        enum Mode { REFLECT, REPLICATE, CIRCULAR }

        private final String padArg;

        ModePad(String op, String padArg) {
            super(op);
            this.padArg = padArg;
        }

        abstract Mode mode(Node n);

        String padArg() {
            return padArg;
        }

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
                x = selectAlong(b, x, d, idx, "pad_index", t.withShape(Shape.of(dims)));
            }
            return List.of(x);
        }
    }

    /** {@code reflection_pad{1,2,3}d}, {@code replication_pad{1,2,3}d}: one mode, the pads in {@code padding}. */
    abstract static class FixedModePad extends ModePad {
        private final Mode mode;

        FixedModePad(String op, Mode mode) {
            super(op, "padding");
            this.mode = mode;
        }

        @Override
        Mode mode(Node n) {
            return mode;
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReflectionPad1d extends FixedModePad {
        public ReflectionPad1d() {
            super("aten::reflection_pad1d", Mode.REFLECT);
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReflectionPad2d extends FixedModePad {
        public ReflectionPad2d() {
            super("aten::reflection_pad2d", Mode.REFLECT);
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReflectionPad3d extends FixedModePad {
        public ReflectionPad3d() {
            super("aten::reflection_pad3d", Mode.REFLECT);
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReplicationPad1d extends FixedModePad {
        public ReplicationPad1d() {
            super("aten::replication_pad1d", Mode.REPLICATE);
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReplicationPad2d extends FixedModePad {
        public ReplicationPad2d() {
            super("aten::replication_pad2d", Mode.REPLICATE);
        }
    }

    @AutoService(Decomposition.class)
    public static final class ReplicationPad3d extends FixedModePad {
        public ReplicationPad3d() {
            super("aten::replication_pad3d", Mode.REPLICATE);
        }
    }

    /** {@code pad(x, pad, mode, value)}: {@code constant_pad_nd} for constant, the index forms for the others. */
    @AutoService(Decomposition.class)
    public static final class Pad extends ModePad {
        public Pad() {
            super("aten::pad", "pad");
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

    /**
     * {@code einsum} of one or two operands as permutes, sums, reshapes and one {@code bmm}: indices only one operand has
     * and the result lacks are summed first; the rest is laid out as {@code [batch, free, contracted]} times
     * {@code [batch, contracted, free]}, multiplied, and put in the result's order. Explicit ({@code ->}) and implicit
     * equations; no ellipsis, no index repeated within an operand (a diagonal), static sizes.
     */
    @AutoService(Decomposition.class)
    public static final class Einsum implements Decomposition {
        @Override
        public String op() {
            return "aten::einsum";
        }

        /** The operands' index strings and the result's; empty when the equation is outside what is decomposed. */
        static Optional<List<String>> parse(String equation, int operands) {
            String eq = equation.replace(" ", "");
            if (eq.contains(".")) {
                return Optional.empty();
            }
            String[] sides = eq.split("->", -1);
            String[] ins = sides[0].split(",", -1);
            if (ins.length != operands || sides.length > 2) {
                return Optional.empty();
            }
            String out;
            if (sides.length == 2) {
                out = sides[1];
            } else {
                // implicit: the indices that appear once, in alphabetical order
                StringBuilder o = new StringBuilder();
                for (char c = 'A'; c <= 'z'; c++) {
                    int count = 0;
                    for (String in : ins) {
                        count += in.length() - in.replace(String.valueOf(c), "").length();
                    }
                    if (count == 1) {
                        o.append(c);
                    }
                }
                out = o.toString();
            }
            List<String> all = new ArrayList<>(List.of(ins));
            all.add(out);
            for (String t : all) {
                if (t.chars().distinct().count() != t.length() || !t.chars().allMatch(Character::isLetter)) {
                    return Optional.empty();
                }
            }
            for (char c : out.toCharArray()) {
                if (java.util.Arrays.stream(ins).noneMatch(in -> in.indexOf(c) >= 0)) {
                    return Optional.empty();
                }
            }
            return Optional.of(all);
        }

        static List<Value> operands(Node n) {
            List<Value> out = new ArrayList<>();
            if (n.arg("tensors") instanceof Arg.ListArg l) {
                for (Arg a : l.elements()) {
                    if (!(a instanceof Value v)) {
                        return List.of();
                    }
                    out.add(v);
                }
            }
            return out;
        }

        @Override
        public Optional<String> unsupported(Node n) {
            if (!(n.arg("equation") instanceof Arg.StrLit eq)) {
                return Optional.of("the equation must be a literal");
            }
            List<Value> ops = operands(n);
            if (ops.isEmpty() || ops.size() > 2) {
                return Optional.of("one or two operands are decomposed, not " + ops.size());
            }
            Optional<List<String>> idx = parse(eq.value(), ops.size());
            if (idx.isEmpty()) {
                return Optional.of("equation '" + eq.value() + "' has an ellipsis, a repeated index or does not match its operands");
            }
            Map<Character, Long> sizes = new java.util.HashMap<>();
            for (int i = 0; i < ops.size(); i++) {
                Optional<TensorType> t = known(ops.get(i));
                String s = idx.get().get(i);
                if (t.isEmpty() || t.get().rank() != s.length() || !allStatic(t.get())) {
                    return Optional.of("operand " + i + " needs static sizes and rank " + s.length());
                }
                for (int d = 0; d < s.length(); d++) {
                    Long before = sizes.put(s.charAt(d), size(t.get(), d));
                    if (before != null && before != size(t.get(), d)) {
                        return Optional.of("index " + s.charAt(d) + " has sizes " + before + " and " + size(t.get(), d)
                                + " (broadcasting is not decomposed)");
                    }
                }
            }
            return Optional.empty();
        }

        /** {@code x} (indices {@code have}) with the indices not in {@code keep} summed out; the remaining indices. */
        static String sumOut(DecompositionBuilder b, Value[] x, String have, String keep, Map<Character, Long> sizes, DType dt) {
            List<Integer> dims = new ArrayList<>();
            StringBuilder rest = new StringBuilder();
            for (int d = 0; d < have.length(); d++) {
                if (keep.indexOf(have.charAt(d)) < 0) {
                    dims.add(d);
                } else {
                    rest.append(have.charAt(d));
                }
            }
            if (!dims.isEmpty()) {
                x[0] = b.call("aten::sum.dim_IntList", List.of(x[0], ints(dims), new Arg.BoolLit(false)), Map.of(),
                        typeFor(rest.toString(), sizes, dt));
            }
            return rest.toString();
        }

        static TensorType typeFor(String indices, Map<Character, Long> sizes, DType dt) {
            return ofSizes(dt, indices.chars().mapToLong(c -> sizes.get((char) c)).toArray());
        }

        /** {@code x} permuted from {@code from} to {@code to} (the same indices), no node when already so. */
        static Value permute(DecompositionBuilder b, Value x, String from, String to, Map<Character, Long> sizes, DType dt) {
            if (from.equals(to)) {
                return x;
            }
            long[] perm = to.chars().mapToLong(c -> from.indexOf(c)).toArray();
            return b.call("aten::permute", List.of(x, Arg.ints(perm)), Map.of(), typeFor(to, sizes, dt));
        }

        static long product(String indices, Map<Character, Long> sizes) {
            long p = 1;
            for (char c : indices.toCharArray()) {
                p *= sizes.get(c);
            }
            return p;
        }

        @Override
        public List<Value> decompose(Node n, DecompositionBuilder b) {
            List<Value> ops = operands(n);
            List<String> idx = parse(((Arg.StrLit) n.arg("equation")).value(), ops.size()).orElseThrow();
            String out = idx.get(idx.size() - 1);
            DType dt = known(ops.get(0)).orElseThrow().dtype().get();
            Map<Character, Long> sizes = new java.util.HashMap<>();
            for (int i = 0; i < ops.size(); i++) {
                TensorType t = known(ops.get(i)).orElseThrow();
                for (int d = 0; d < t.rank(); d++) {
                    sizes.put(idx.get(i).charAt(d), size(t, d));
                }
            }
            if (ops.size() == 1) {
                Value[] x = {ops.get(0)};
                String rest = sumOut(b, x, idx.get(0), out, sizes, dt);
                return List.of(permute(b, x[0], rest, out, sizes, dt));
            }
            String a0 = idx.get(0);
            String b0 = idx.get(1);
            Value[] xa = {ops.get(0)};
            Value[] xb = {ops.get(1)};
            // indices one operand has alone and the result lacks: summed out first
            String a = sumOut(b, xa, a0, out + b0, sizes, dt);
            String bb = sumOut(b, xb, b0, out + a0, sizes, dt);
            StringBuilder batch = new StringBuilder();
            StringBuilder contracted = new StringBuilder();
            StringBuilder aFree = new StringBuilder();
            StringBuilder bFree = new StringBuilder();
            for (char c : out.toCharArray()) {
                if (a.indexOf(c) >= 0 && bb.indexOf(c) >= 0) {
                    batch.append(c);
                } else if (a.indexOf(c) >= 0) {
                    aFree.append(c);
                } else {
                    bFree.append(c);
                }
            }
            for (char c : a.toCharArray()) {
                if (bb.indexOf(c) >= 0 && out.indexOf(c) < 0) {
                    contracted.append(c);
                }
            }
            String la = batch + aFree.toString() + contracted;
            String lb = batch + contracted.toString() + bFree;
            long nb = product(batch.toString(), sizes);
            long m = product(aFree.toString(), sizes);
            long k = product(contracted.toString(), sizes);
            long nn = product(bFree.toString(), sizes);
            Value pa = permute(b, xa[0], a, la, sizes, dt);
            Value pb = permute(b, xb[0], bb, lb, sizes, dt);
            Value ra = b.call("aten::reshape", List.of(pa, Arg.ints(nb, m, k)), Map.of(), ofSizes(dt, nb, m, k));
            Value rb = b.call("aten::reshape", List.of(pb, Arg.ints(nb, k, nn)), Map.of(), ofSizes(dt, nb, k, nn));
            Value mm = b.call("aten::bmm", List.of(ra, rb), Map.of(), ofSizes(dt, nb, m, nn));
            String laid = batch + aFree.toString() + bFree;
            Value shaped = b.call("aten::reshape", List.of(mm, Arg.ints(typeFor(laid, sizes, dt).shape().staticSizes().orElseThrow())),
                    Map.of(), typeFor(laid, sizes, dt));
            return List.of(permute(b, shaped, laid, out, sizes, dt));
        }
    }

}
