package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.nvinfer.ISliceLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Shape and layout ops: view/reshape/_unsafe_view (sizes may be symbolic values from
 * {@code sym_size}), permute, transpose, t, flatten, squeeze (all overloads), unsqueeze, expand,
 * slice (negative, symbolic and "to the end" bounds), select, cat, stack, split/split_with_sizes/
 * chunk/unbind (one node output per piece), sym_size (a shape tensor), and the identities clone,
 * contiguous, alias, detach, dropout (inference).
 *
 * <pre>{@code aten::view(%x, [%s0, -1]) -> IShuffleLayer with a shape tensor input}</pre>
 */
public final class ShapeConverters {
    private ShapeConverters() {
    }

    // ------------------------------------------------------------------ identities

    abstract static class Identity extends AtenConverter {
        Identity(String op) {
            super(op);
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg(0));
            ctx.bind(n.output(), ctx.named(ctx.network().addIdentity(ctx.cast(x, Layers.outDType(n, 0)))).getOutput(0));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Clone extends Identity {
        public Clone() {
            super("aten::clone");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Contiguous extends Identity {
        public Contiguous() {
            super("aten::contiguous");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Alias extends Identity {
        public Alias() {
            super("aten::alias");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Detach extends Identity {
        public Detach() {
            super("aten::detach");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Dropout extends Identity {
        public Dropout() {
            super("aten::dropout");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("input");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            return n.boolArg("train") ? Support.no("dropout with train=True is random; export the model in eval() mode") : Support.yes();
        }

        @Override
        public String limits() {
            return "train=False only (identity)";
        }
    }

    // ------------------------------------------------------------------ reshape family

    abstract static class Reshape extends AtenConverter {
        private final String sizeArg;

        Reshape(String op, String sizeArg) {
            super(op);
            this.sizeArg = sizeArg;
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int minus = 0;
            for (Arg e : Layers.elements(n.arg(sizeArg))) {
                if (e instanceof Arg.IntLit i) {
                    if (i.value() == -1) {
                        minus++;
                    } else if (i.value() < 0) {
                        return Support.no("size " + i.value() + " is invalid");
                    }
                } else if (!(e instanceof Value)) {
                    return Support.no("size element " + dev.kiln.ir.Args.describe(e) + " is neither an int nor a symbolic size");
                }
            }
            return minus <= 1 ? Support.yes() : Support.no("more than one -1 in the sizes");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            Arg size = n.arg(sizeArg);
            if (Layers.isIntList(size)) {
                ctx.bind(n.output(), ctx.reshape(x, n.intListArg(sizeArg)));
            } else {
                ctx.bind(n.output(), ctx.reshape(x, Layers.shapeTensor(ctx, Layers.elements(size))));
            }
        }
    }

    @AutoService(OpConverter.class)
    public static final class View extends Reshape {
        public View() {
            super("aten::view", "size");
        }
    }

    @AutoService(OpConverter.class)
    public static final class ReshapeOp extends Reshape {
        public ReshapeOp() {
            super("aten::reshape", "shape");
        }
    }

    @AutoService(OpConverter.class)
    public static final class UnsafeView extends Reshape {
        public UnsafeView() {
            super("aten::_unsafe_view", "size");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Permute extends AtenConverter {
        public Permute() {
            super("aten::permute");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lits = requireIntLiterals(n, "dims");
            if (!lits.isSupported()) {
                return lits;
            }
            int rank = type(n, "self").rank();
            long[] d = n.intListArg("dims");
            if (d.length != rank) {
                return Support.no("permute of a rank-" + rank + " tensor needs " + rank + " dims, got " + d.length);
            }
            boolean[] seen = new boolean[rank];
            for (long x : d) {
                if (!Layers.validAxis(x, rank) || seen[Layers.axis(n, x, rank)]) {
                    return Support.no("dims " + java.util.Arrays.toString(d) + " is not a permutation");
                }
                seen[Layers.axis(n, x, rank)] = true;
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int rank = Layers.rank(x);
            long[] d = n.intListArg("dims");
            int[] p = new int[rank];
            for (int i = 0; i < rank; i++) {
                p[i] = Layers.axis(n, d[i], rank);
            }
            ctx.bind(n.output(), Layers.permute(ctx, x, p));
        }
    }

    static int[] swap(int rank, int a, int b) {
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = i;
        }
        p[a] = b;
        p[b] = a;
        return p;
    }

    @AutoService(OpConverter.class)
    public static final class TransposeInt extends AtenConverter {
        public TransposeInt() {
            super("aten::transpose.int");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            return Layers.validAxis(n.intArg("dim0"), rank) && Layers.validAxis(n.intArg("dim1"), rank) ? Support.yes()
                    : Support.no("dims out of range for rank " + rank);
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int rank = Layers.rank(x);
            if (rank == 0) {
                ctx.bind(n.output(), ctx.named(ctx.network().addIdentity(x)).getOutput(0));
                return;
            }
            ctx.bind(n.output(), Layers.permute(ctx, x, swap(rank, Layers.axis(n, n.intArg("dim0"), rank), Layers.axis(n, n.intArg("dim1"), rank))));
        }
    }

    @AutoService(OpConverter.class)
    public static final class T extends AtenConverter {
        public T() {
            super("aten::t");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            return type(n, "self").rank() <= 2 ? Support.yes() : Support.no("t() expects a tensor of at most 2 dimensions");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            ctx.bind(n.output(), Layers.rank(x) < 2 ? ctx.named(ctx.network().addIdentity(x)).getOutput(0)
                    : Layers.permute(ctx, x, new int[] {1, 0}));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Flatten extends AtenConverter {
        public Flatten() {
            super("aten::flatten.using_ints");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            return Layers.validAxis(n.intArg("start_dim"), rank) && Layers.validAxis(n.intArg("end_dim"), rank) ? Support.yes()
                    : Support.no("start_dim/end_dim out of range for rank " + rank);
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int rank = Layers.rank(x);
            if (rank == 0) {
                ctx.bind(n.output(), ctx.reshape(x, 1));
                return;
            }
            int s = Layers.axis(n, n.intArg("start_dim"), rank);
            int e = Layers.axis(n, n.intArg("end_dim"), rank);
            long[] st = Layers.sizes(x);
            List<Integer> keptBefore = new ArrayList<>();
            List<Integer> keptAfter = new ArrayList<>();
            for (int i = 0; i < s; i++) {
                keptBefore.add(i);
            }
            for (int i = e + 1; i < rank; i++) {
                keptAfter.add(i);
            }
            long merged = 1;
            boolean mergedStatic = true;
            for (int i = s; i <= e; i++) {
                mergedStatic &= st[i] >= 0;
                merged *= Math.max(st[i], 1);
            }
            List<ITensor> parts = new ArrayList<>();
            long[] outStatic = new long[keptBefore.size() + 1 + keptAfter.size()];
            int k = 0;
            for (int i : keptBefore) {
                outStatic[k++] = st[i];
            }
            outStatic[k++] = mergedStatic ? merged : -1;
            for (int i : keptAfter) {
                outStatic[k++] = st[i];
            }
            int dynamicCount = 0;
            for (long v : outStatic) {
                dynamicCount += v < 0 ? 1 : 0;
            }
            if (dynamicCount <= 1) {
                // at most one unknown size: a static reshape with -1 infers it
                ctx.bind(n.output(), ctx.reshape(x, outStatic));
                return;
            }
            if (!keptBefore.isEmpty()) {
                parts.add(Layers.gatherShape(ctx, x, keptBefore.stream().mapToInt(Integer::intValue).toArray()));
            }
            parts.add(Layers.longs(ctx, -1));
            if (!keptAfter.isEmpty()) {
                parts.add(Layers.gatherShape(ctx, x, keptAfter.stream().mapToInt(Integer::intValue).toArray()));
            }
            ctx.bind(n.output(), ctx.reshape(x, Layers.concat(ctx, parts, 0)));
        }
    }

    /** {@code unflatten(x, dim, sizes)}: dimension {@code dim} splits into {@code sizes} (one -1 allowed). */
    @AutoService(OpConverter.class)
    public static final class Unflatten extends AtenConverter {
        public Unflatten() {
            super("aten::unflatten.int");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            if (rank == 0 || !Layers.validAxis(n.intArg("dim"), rank)) {
                return Support.no("dim " + n.intArg("dim") + " is out of range for rank " + rank);
            }
            int minus = 0;
            for (Arg e : Layers.elements(n.arg("sizes"))) {
                if (e instanceof Arg.IntLit i) {
                    if (i.value() == -1) {
                        minus++;
                    } else if (i.value() < 0) {
                        return Support.no("size " + i.value() + " is invalid");
                    }
                } else if (!(e instanceof Value)) {
                    return Support.no("size element " + dev.kiln.ir.Args.describe(e) + " is neither an int nor a symbolic size");
                }
            }
            return minus <= 1 ? Support.yes() : Support.no("more than one -1 in the sizes");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int rank = Layers.rank(x);
            int dim = Layers.axis(n, n.intArg("dim"), rank);
            List<Arg> sizes = Layers.elements(n.arg("sizes"));
            long[] st = Layers.sizes(x);
            boolean staticRest = true;
            for (int i = 0; i < rank; i++) {
                staticRest &= i == dim || st[i] >= 0;
            }
            if (staticRest && Layers.isIntList(n.arg("sizes"))) {
                // every other size known: a static reshape, its one -1 inferred by TensorRT
                long[] split = n.intListArg("sizes");
                long[] out = new long[rank - 1 + split.length];
                int k = 0;
                for (int i = 0; i < dim; i++) {
                    out[k++] = st[i];
                }
                for (long v : split) {
                    out[k++] = v;
                }
                for (int i = dim + 1; i < rank; i++) {
                    out[k++] = st[i];
                }
                ctx.bind(n.output(), ctx.reshape(x, out));
                return;
            }
            List<ITensor> parts = new ArrayList<>();
            if (dim > 0) {
                int[] before = new int[dim];
                for (int i = 0; i < dim; i++) {
                    before[i] = i;
                }
                parts.add(Layers.gatherShape(ctx, x, before));
            }
            parts.add(Layers.shapeTensor(ctx, sizes));
            if (dim < rank - 1) {
                int[] after = new int[rank - 1 - dim];
                for (int i = dim + 1; i < rank; i++) {
                    after[i - dim - 1] = i;
                }
                parts.add(Layers.gatherShape(ctx, x, after));
            }
            ctx.bind(n.output(), ctx.reshape(x, Layers.concat(ctx, parts, 0)));
        }
    }

    /**
     * Squeeze: size-1 dims go, others stay. A symbolic dim is decided by its range, as the shape rule
     * does: a range without 1 (torch.export's dynamic dims start at 2) keeps it, the range [1, 1] drops
     * it, and a range holding 1 and more is refused, since an engine's output rank cannot depend on a
     * runtime size.
     */
    abstract static class SqueezeBase extends AtenConverter {
        SqueezeBase(String op) {
            super(op);
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        public String limits() {
            return "a symbolic dim it may squeeze must have a range without 1 (kept; torch.export's start at 2) or of 1 only"
                    + " (dropped); one that may be 1 is refused (the output rank would depend on it)";
        }

        abstract long[] dims(Node n, int rank);

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            TensorType t = type(n, "self");
            int rank = t.rank();
            for (long d : dims(n, rank)) {
                if (!Layers.validAxis(d, rank)) {
                    return Support.no("dim " + d + " is out of range for rank " + rank);
                }
                int a = Layers.axis(n, d, rank);
                SymExpr size = rank > 0 ? t.shape().dim(a) : SymExpr.of(1);
                if (mayBeOne(size)) {
                    long max = size.upperBound();
                    return Support.no("dimension " + a + " has the symbolic size " + size + " in [" + size.lowerBound() + ", "
                            + (max == Symbol.UNBOUNDED ? "inf" : Long.toString(max)) + "], which may be 1 at run time, and"
                            + " the output rank of a TensorRT engine cannot depend on it (give the size a minimum of 2 or a static value)");
                }
            }
            return Support.yes();
        }

        /** A symbolic size whose range holds 1 and other values: squeezing it is decided at run time. */
        static boolean mayBeOne(SymExpr size) {
            return Layers.rangeHoldsOne(size) && !isOne(size);
        }

        /** Size exactly 1: a constant 1 or a symbol whose range is [1, 1]. */
        static boolean isOne(SymExpr size) {
            return size.lowerBound() == 1 && size.upperBound() == 1;
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            TensorType t = type(n, "self");
            int rank = t.rank();
            List<Integer> drop = new ArrayList<>();
            for (long d : dims(n, rank)) {
                int a = Layers.axis(n, d, rank);
                if (rank > 0 && isOne(t.shape().dim(a)) && !drop.contains(a)) {
                    drop.add(a);
                }
            }
            if (drop.isEmpty()) {
                ctx.bind(n.output(), ctx.named(ctx.network().addIdentity(x)).getOutput(0));
                return;
            }
            ctx.bind(n.output(), Layers.squeeze(ctx, x, drop.stream().mapToInt(Integer::intValue).sorted().toArray()));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Squeeze extends SqueezeBase {
        public Squeeze() {
            super("aten::squeeze");
        }

        @Override
        long[] dims(Node n, int rank) {
            long[] all = new long[rank];
            for (int i = 0; i < rank; i++) {
                all[i] = i;
            }
            return all;
        }
    }

    @AutoService(OpConverter.class)
    public static final class SqueezeDim extends SqueezeBase {
        public SqueezeDim() {
            super("aten::squeeze.dim");
        }

        @Override
        long[] dims(Node n, int rank) {
            return new long[] {n.intArg("dim")};
        }
    }

    @AutoService(OpConverter.class)
    public static final class SqueezeDims extends SqueezeBase {
        public SqueezeDims() {
            super("aten::squeeze.dims");
        }

        @Override
        long[] dims(Node n, int rank) {
            return n.intListArg("dim");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Unsqueeze extends AtenConverter {
        public Unsqueeze() {
            super("aten::unsqueeze");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            long d = n.intArg("dim");
            return d >= -rank - 1 && d <= rank ? Support.yes() : Support.no("dim " + d + " is out of range for unsqueeze of rank " + rank);
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int rank = Layers.rank(x);
            long d = n.intArg("dim");
            ctx.bind(n.output(), Layers.unsqueeze(ctx, x, (int) (d < 0 ? d + rank + 1 : d)));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Expand extends AtenConverter {
        public Expand() {
            super("aten::expand");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            List<Arg> size = Layers.elements(n.arg("size"));
            if (size.size() < rank) {
                return Support.no("expand to " + size.size() + " dims from a rank-" + rank + " tensor");
            }
            for (Arg e : size) {
                if (!(e instanceof Arg.IntLit) && !(e instanceof Value)) {
                    return Support.no("size element " + dev.kiln.ir.Args.describe(e) + " is neither an int nor a symbolic size");
                }
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            List<Arg> size = Layers.elements(n.arg("size"));
            int target = size.size();
            x = ElementwiseConverters.toRank(ctx, x, target);
            long[] st = Layers.sizes(x);
            boolean[] bcast = new boolean[target];
            List<Arg> shape = new ArrayList<>();
            boolean any = false;
            for (int i = 0; i < target; i++) {
                Arg e = size.get(i);
                boolean keep = e instanceof Arg.IntLit l && l.value() == -1;
                bcast[i] = !keep && st[i] == 1 && !(e instanceof Arg.IntLit l1 && l1.value() == 1);
                any |= bcast[i];
                shape.add(keep ? (st[i] >= 0 ? Arg.of(st[i]) : null) : e);
            }
            if (!any) {
                ctx.bind(n.output(), ctx.named(ctx.network().addIdentity(x)).getOutput(0));
                return;
            }
            List<ITensor> parts = new ArrayList<>();
            for (int i = 0; i < target; i++) {
                Arg e = shape.get(i);
                parts.add(e == null ? ctx.dim(x, i) : Layers.shapeTensor(ctx, List.of(e)));
            }
            ctx.bind(n.output(), Layers.expand(ctx, x, Layers.concat(ctx, parts, 0), bcast));
        }
    }

    // ------------------------------------------------------------------ slicing

    /** A [1] i64 tensor: {@code a op b}. */
    static ITensor shapeOp(ConversionContext ctx, ITensor a, ITensor b, ElementWiseOperation op) {
        return ctx.named(ctx.network().addElementWise(a, b, op)).getOutput(0);
    }

    /**
     * {@code x[..., start:start+size:step, ...]} on {@code axis}; {@code start}/{@code size} are [1] i64
     * tensors (use {@link Layers#longs} for static ones), the other axes keep their full extent.
     */
    static ITensor sliceAxis(ConversionContext ctx, ITensor x, int axis, ITensor start, ITensor size, long step) {
        int rank = Layers.rank(x);
        List<ITensor> starts = new ArrayList<>();
        List<ITensor> sizes = new ArrayList<>();
        long[] strides = new long[rank];
        for (int i = 0; i < rank; i++) {
            starts.add(i == axis ? start : Layers.longs(ctx, 0));
            sizes.add(i == axis ? size : Layers.gatherShape(ctx, x, new int[] {i}));
            strides[i] = i == axis ? step : 1;
        }
        ISliceLayer s = ctx.named(ctx.network().addSlice(x, Layers.dims(new long[rank]), Layers.dims(new long[rank]), Layers.dims(strides)));
        s.setInput(1, Layers.concat(ctx, starts, 0));
        s.setInput(2, Layers.concat(ctx, sizes, 0));
        return s.getOutput(0);
    }

    /** A static slice on one axis (every other size static too). */
    static ITensor sliceStatic(ConversionContext ctx, ITensor x, int axis, long start, long size, long step) {
        long[] st = Layers.sizes(x);
        for (int i = 0; i < st.length; i++) {
            if (i != axis && st[i] < 0) {
                return sliceAxis(ctx, x, axis, Layers.longs(ctx, start), Layers.longs(ctx, size), step);
            }
        }
        long[] starts = new long[st.length];
        long[] sizes = st.clone();
        long[] strides = new long[st.length];
        java.util.Arrays.fill(strides, 1);
        starts[axis] = start;
        sizes[axis] = size;
        strides[axis] = step;
        return ctx.named(ctx.network().addSlice(x, Layers.dims(starts), Layers.dims(sizes), Layers.dims(strides))).getOutput(0);
    }

    @AutoService(OpConverter.class)
    public static final class SliceTensor extends AtenConverter {
        public SliceTensor() {
            super("aten::slice.Tensor");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        public String limits() {
            return "symbolic start/end are taken as non-negative";
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            if (rank == 0 || !Layers.validAxis(n.intArg("dim"), rank)) {
                return Support.no("dim " + n.intArg("dim") + " is out of range for rank " + rank);
            }
            Arg step = n.arg("step");
            if (!(step instanceof Arg.IntLit l) || l.value() < 1) {
                return Support.no("step must be a constant positive int but is " + dev.kiln.ir.Args.describe(step));
            }
            for (String b : List.of("start", "end")) {
                Arg a = n.arg(b);
                if (!a.isNone() && !(a instanceof Arg.IntLit) && !(a instanceof Value)) {
                    return Support.no("'" + b + "' must be an int but is " + dev.kiln.ir.Args.describe(a));
                }
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int rank = Layers.rank(x);
            int axis = Layers.axis(n, n.intArg("dim"), rank);
            long step = n.intArg("step");
            Arg start = n.arg("start");
            Arg end = n.arg("end");
            long dimSize = Layers.sizes(x)[axis];
            boolean literal = !(start instanceof Value) && !(end instanceof Value);
            if (literal && dimSize >= 0) {
                long s = start.isNone() ? 0 : clamp(n.intArg("start"), dimSize);
                long e = end.isNone() ? dimSize : clamp(n.intArg("end"), dimSize);
                long len = Math.max(e - s, 0);
                ctx.bind(n.output(), sliceStatic(ctx, x, axis, s, (len + step - 1) / step, step));
                return;
            }
            // runtime arithmetic on shape tensors
            ITensor d = ctx.dim(x, axis);
            ITensor zero = Layers.longs(ctx, 0);
            ITensor s = bound(ctx, start, d, zero, zero);
            ITensor e = bound(ctx, end, d, d, zero);
            ITensor len = shapeOp(ctx, shapeOp(ctx, e, s, ElementWiseOperation.kSUB), zero, ElementWiseOperation.kMAX);
            ITensor count = step == 1 ? len
                    : shapeOp(ctx, shapeOp(ctx, len, Layers.longs(ctx, step - 1), ElementWiseOperation.kSUM), Layers.longs(ctx, step),
                            ElementWiseOperation.kFLOOR_DIV);
            ctx.bind(n.output(), sliceAxis(ctx, x, axis, s, count, step));
        }

        /** Python's slice bound clamping for a static size. */
        static long clamp(long v, long size) {
            if (v >= Layers.HUGE) {
                return size;
            }
            if (v < 0) {
                v += size;
            }
            return Math.max(0, Math.min(v, size));
        }

        /** A bound as a [1] i64 tensor in [0, d]. */
        private static ITensor bound(ConversionContext ctx, Arg a, ITensor d, ITensor ifNone, ITensor zero) {
            if (a.isNone()) {
                return ifNone;
            }
            if (a instanceof Arg.IntLit l) {
                if (l.value() >= Layers.HUGE) {
                    return d;
                }
                if (l.value() < 0) {
                    return shapeOp(ctx, shapeOp(ctx, d, Layers.longs(ctx, l.value()), ElementWiseOperation.kSUM), zero, ElementWiseOperation.kMAX);
                }
                return shapeOp(ctx, Layers.longs(ctx, l.value()), d, ElementWiseOperation.kMIN);
            }
            return shapeOp(ctx, Layers.toShapeElement(ctx, ctx.get(a)), d, ElementWiseOperation.kMIN);
        }
    }

    @AutoService(OpConverter.class)
    public static final class SelectInt extends AtenConverter {
        public SelectInt() {
            super("aten::select.int");
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            TensorType t = type(n, "self");
            if (t.rank() == 0 || !Layers.validAxis(n.intArg("dim"), t.rank())) {
                return Support.no("dim " + n.intArg("dim") + " is out of range for rank " + t.rank());
            }
            Arg idx = n.arg("index");
            if (idx instanceof Arg.IntLit l) {
                Long size = Layers.staticDim(t, Layers.axis(n, n.intArg("dim"), t.rank())).orElse(null);
                if (size != null && (l.value() >= size || l.value() < -size)) {
                    return Support.no("index " + l.value() + " is out of range for size " + size);
                }
                return Support.yes();
            }
            return idx instanceof Value ? Support.yes() : Support.no("index must be an int but is " + dev.kiln.ir.Args.describe(idx));
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int axis = Layers.axis(n, n.intArg("dim"), Layers.rank(x));
            ctx.bind(n.output(), gatherOne(ctx, x, axis, n.arg("index")));
        }
    }

    /** {@code x.select(axis, index)}: a gather with a 0-d index (drops the axis); negative literals count from the end. */
    static ITensor gatherOne(ConversionContext ctx, ITensor x, int axis, Arg index) {
        ITensor idx;
        long size = Layers.sizes(x)[axis];
        if (index instanceof Arg.IntLit l && (l.value() >= 0 || size >= 0)) {
            long v = l.value() < 0 ? l.value() + size : l.value();
            idx = ctx.constant(dev.kiln.ir.ConstantTensor.scalar(DType.INT64, v), "index");
        } else if (index instanceof Arg.IntLit l) {
            idx = ctx.reshape(shapeOp(ctx, ctx.dim(x, axis), Layers.longs(ctx, l.value()), ElementWiseOperation.kSUM), new long[0]);
        } else {
            idx = ctx.reshape(Layers.toShapeElement(ctx, ctx.get(index)), new long[0]);
        }
        return ctx.named(ctx.network().addGather(x, idx, axis)).getOutput(0);
    }

    // ------------------------------------------------------------------ cat / stack

    static Support checkTensorList(Node n, String name) {
        List<Arg> ts = Layers.elements(n.arg(name));
        if (ts.isEmpty()) {
            return Support.no("an empty tensor list");
        }
        int rank = -1;
        for (Arg a : ts) {
            if (!(a instanceof Value v) || !(v.type() instanceof TensorType t) || !t.isComplete()) {
                return Support.no("every tensor of '" + name + "' needs a known dtype and rank; run shape propagation");
            }
            if (!AtenConverter.ANY.contains(t.elementType())) {
                return Support.no("a tensor of '" + name + "' is " + t.elementType() + ", which TensorRT does not handle");
            }
            if (isLegacyEmpty(t)) {
                continue;
            }
            if (rank >= 0 && t.rank() != rank) {
                return Support.no("tensors of different ranks");
            }
            rank = t.rank();
        }
        return Support.yes();
    }

    /** A 1-d tensor of static size 0, which cat skips (legacy behaviour). */
    static boolean isLegacyEmpty(TensorType t) {
        return t.rank() == 1 && Layers.staticDim(t, 0).orElse(-1L) == 0;
    }

    static List<ITensor> tensorList(ConversionContext ctx, Node n, String name, DType to) {
        List<ITensor> out = new ArrayList<>();
        for (Arg a : Layers.elements(n.arg(name))) {
            if (isLegacyEmpty(((Value) a).tensorType())) {
                continue;
            }
            out.add(ctx.cast(ctx.get(a), to));
        }
        return out;
    }

    @AutoService(OpConverter.class)
    public static final class Cat extends AtenConverter {
        public Cat() {
            super("aten::cat");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of();
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            return checkTensorList(n, "tensors");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            List<ITensor> ts = tensorList(ctx, n, "tensors", Layers.outDType(n, 0));
            if (ts.isEmpty()) {
                // every input is a skipped 1-d empty tensor: PyTorch returns an empty [0] of the promoted
                // dtype (dim is not even checked), which is any input cast (a zero-volume tensor, legal in TRT 10)
                Arg first = Layers.elements(n.arg("tensors")).get(0);
                ITensor empty = ctx.cast(ctx.get(first), Layers.outDType(n, 0));
                ctx.bind(n.output(), ctx.named(ctx.network().addIdentity(empty)).getOutput(0));
                return;
            }
            int axis = Layers.axis(n, n.intArg("dim"), Layers.rank(ts.get(0)));
            ctx.bind(n.output(), ts.size() == 1 ? ctx.named(ctx.network().addIdentity(ts.get(0))).getOutput(0) : Layers.concat(ctx, ts, axis));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Stack extends AtenConverter {
        public Stack() {
            super("aten::stack");
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of();
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            return checkTensorList(n, "tensors");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType out = Layers.outDType(n, 0);
            List<ITensor> ts = new ArrayList<>();
            for (Arg a : Layers.elements(n.arg("tensors"))) {
                ts.add(ctx.cast(ctx.get(a), out));
            }
            int rank = Layers.rank(ts.get(0)) + 1;
            long d = n.intArg("dim");
            int axis = (int) (d < 0 ? d + rank : d);
            List<ITensor> u = new ArrayList<>();
            for (ITensor t : ts) {
                u.add(Layers.unsqueeze(ctx, t, axis));
            }
            ctx.bind(n.output(), u.size() == 1 ? u.get(0) : Layers.concat(ctx, u, axis));
        }
    }

    // ------------------------------------------------------------------ split family

    /**
     * Split, split_with_sizes, chunk and unbind. A node either has one output per piece (bound here) or,
     * as torch.export and TorchScript write it, one list output unpacked by a {@code prim::ListUnpack}
     * node: then the list value is bound to the input and {@link ListUnpack} slices the pieces.
     */
    abstract static class SplitBase extends AtenConverter {
        SplitBase(String op) {
            super(op);
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected boolean tensorOutputs() {
            return false;
        }

        /** Piece sizes along the axis; {@code dimSize} is -1 when symbolic. */
        abstract long[] pieces(Node n, long dimSize);

        boolean needsStaticDim() {
            return true;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            TensorType t = type(n, "self");
            if (t.rank() == 0 || !Layers.validAxis(n.intArg("dim"), t.rank())) {
                return Support.no("dim " + n.intArg("dim") + " is out of range for rank " + t.rank());
            }
            long size = Layers.staticDim(t, Layers.axis(n, n.intArg("dim"), t.rank())).orElse(-1L);
            if (size < 0 && needsStaticDim()) {
                return Support.no("the split dimension has symbolic size " + t.shape().dim(Layers.axis(n, n.intArg("dim"), t.rank()))
                        + "; the number of pieces must be known when building the engine");
            }
            long[] p = pieces(n, size);
            if (isListResult(n)) {
                for (Node user : n.output(0).users()) {
                    if (!user.op().equals(ListUnpack.OP)) {
                        return Support.no("the list result is used by " + user.describe() + "; only prim::ListUnpack of it converts");
                    }
                }
                return Support.yes();
            }
            if (p.length != n.outputs().size()) {
                return Support.no("the node has " + n.outputs().size() + " outputs but the split gives " + p.length + " pieces");
            }
            for (int i = 0; i < n.outputs().size(); i++) {
                if (Layers.outType(n, i).isEmpty()) {
                    return Support.no("the type of output " + i + " is not known; run shape propagation before conversion");
                }
            }
            return Support.yes();
        }

        /** The {@code i}-th piece of {@code x} (the node's input). */
        ITensor piece(ConversionContext ctx, Node n, ITensor x, int i) {
            int axis = Layers.axis(n, n.intArg("dim"), Layers.rank(x));
            long[] p = pieces(n, Layers.sizes(x)[axis]);
            long start = 0;
            for (int k = 0; k < i; k++) {
                start += p[k];
            }
            return sliceStatic(ctx, x, axis, start, p[i], 1);
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            if (isListResult(n)) {
                // the pieces are cut by the prim::ListUnpack that reads this list
                ctx.bind(n.output(0), x);
                return;
            }
            for (int i = 0; i < n.outputs().size(); i++) {
                ctx.bind(n.output(i), piece(ctx, n, x, i));
            }
        }
    }

    static boolean isListResult(Node n) {
        return n.outputs().size() == 1 && n.output(0).type() instanceof dev.kiln.ir.ListType;
    }

    /** The split-family converters by op, for {@link ListUnpack}. */
    static final java.util.Map<String, SplitBase> SPLITS = java.util.Map.of(
            "aten::split.Tensor", new SplitTensor(), "aten::split_with_sizes", new SplitWithSizes(),
            "aten::chunk", new Chunk(), "aten::unbind.int", new UnbindInt());

    /** Unpacks the list result of a split-family node into its pieces. */
    @AutoService(OpConverter.class)
    public static final class ListUnpack extends AtenConverter {
        static final String OP = "prim::ListUnpack";

        public ListUnpack() {
            super(OP);
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of();
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        public String limits() {
            return "lists made by split, split_with_sizes, chunk or unbind";
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Arg a = n.arg(0);
            Node producer = a instanceof Value v ? v.producer().orElse(null) : null;
            SplitBase split = producer == null ? null : SPLITS.get(producer.op());
            if (split == null) {
                return Support.no("only lists made by split, split_with_sizes, chunk or unbind are unpacked in TensorRT; this one comes from "
                        + (producer == null ? dev.kiln.ir.Args.describe(a) : producer.describe()));
            }
            Support ps = split.check(producer, s);
            if (!ps.isSupported()) {
                return ps;
            }
            TensorType t = type(producer, "self");
            long size = Layers.staticDim(t, Layers.axis(producer, producer.intArg("dim"), t.rank())).orElse(-1L);
            long[] p = split.pieces(producer, size);
            return p.length == n.outputs().size() ? Support.yes()
                    : Support.no("unpacks " + n.outputs().size() + " values but " + producer.describe() + " gives " + p.length + " pieces");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            Node producer = ((Value) n.arg(0)).producer().orElseThrow();
            SplitBase split = SPLITS.get(producer.op());
            ITensor x = ctx.get(producer.arg("self"));
            for (int i = 0; i < n.outputs().size(); i++) {
                ctx.bind(n.output(i), split.piece(ctx, producer, x, i));
            }
        }
    }

    @AutoService(OpConverter.class)
    public static final class SplitTensor extends SplitBase {
        public SplitTensor() {
            super("aten::split.Tensor");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Arg sz = n.arg("split_size");
            if (!(sz instanceof Arg.IntLit l) || l.value() < 1) {
                return Support.no("split_size must be a constant positive int but is " + dev.kiln.ir.Args.describe(sz));
            }
            return super.checkNode(n, s);
        }

        @Override
        long[] pieces(Node n, long dimSize) {
            long step = n.intArg("split_size");
            int count = (int) Math.max(1, (dimSize + step - 1) / step);
            long[] p = new long[count];
            for (int i = 0; i < count; i++) {
                p[i] = Math.min(step, dimSize - i * step);
            }
            return p;
        }
    }

    @AutoService(OpConverter.class)
    public static final class SplitWithSizes extends SplitBase {
        public SplitWithSizes() {
            super("aten::split_with_sizes");
        }

        @Override
        boolean needsStaticDim() {
            return false;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lits = requireIntLiterals(n, "split_sizes");
            return lits.isSupported() ? super.checkNode(n, s) : lits;
        }

        @Override
        long[] pieces(Node n, long dimSize) {
            return n.intListArg("split_sizes");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Chunk extends SplitBase {
        public Chunk() {
            super("aten::chunk");
        }

        @Override
        long[] pieces(Node n, long dimSize) {
            long chunks = n.intArg("chunks");
            long each = (dimSize + chunks - 1) / chunks;
            if (each == 0) {
                return new long[] {dimSize};
            }
            int count = (int) ((dimSize + each - 1) / each);
            long[] p = new long[count];
            for (int i = 0; i < count; i++) {
                p[i] = Math.min(each, dimSize - i * each);
            }
            return p;
        }
    }

    @AutoService(OpConverter.class)
    public static final class UnbindInt extends SplitBase {
        public UnbindInt() {
            super("aten::unbind.int");
        }

        @Override
        long[] pieces(Node n, long dimSize) {
            long[] p = new long[(int) Math.max(dimSize, 0)];
            java.util.Arrays.fill(p, 1);
            return p;
        }

        @Override
        ITensor piece(ConversionContext ctx, Node n, ITensor x, int i) {
            int axis = Layers.axis(n, n.intArg("dim"), Layers.rank(x));
            return gatherOne(ctx, x, axis, Arg.of((long) i));
        }
    }

    // ------------------------------------------------------------------ sym_size

    /** {@code x.size(dim)} as an int: a 0-d i64 shape tensor (a constant when the size is static). */
    abstract static class SizeBase extends AtenConverter {
        SizeBase(String op) {
            super(op);
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        @Override
        protected boolean tensorOutputs() {
            return false;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            int rank = type(n, "self").rank();
            return Layers.validAxis(n.intArg("dim"), rank) && rank > 0 ? Support.yes() : Support.no("dim " + n.intArg("dim") + " is out of range for rank " + rank);
        }

        @Override
        public String limits() {
            return "binds a 0-d i64 shape tensor";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            int axis = Layers.axis(n, n.intArg("dim"), Layers.rank(x));
            long s = Layers.sizes(x)[axis];
            ITensor d = s >= 0 ? ctx.constant(dev.kiln.ir.ConstantTensor.scalar(DType.INT64, s), "size") : ctx.reshape(ctx.dim(x, axis), new long[0]);
            ctx.bind(n.output(), d);
        }
    }

    @AutoService(OpConverter.class)
    public static final class SymSizeInt extends SizeBase {
        public SymSizeInt() {
            super("aten::sym_size.int");
        }
    }

    /** TorchScript's spelling of {@code sym_size.int}. */
    @AutoService(OpConverter.class)
    public static final class SizeInt extends SizeBase {
        public SizeInt() {
            super("aten::size.int");
        }
    }

    /** Integer arithmetic on sizes ({@code s0 * 4}): element-wise layers on 0-d i64 shape tensors. */
    abstract static class IntArith extends AtenConverter {
        private final ElementWiseOperation op;

        IntArith(String name, ElementWiseOperation op) {
            super(name);
            this.op = op;
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of();
        }

        @Override
        protected boolean tensorOutputs() {
            return false;
        }

        @Override
        public Set<DType> supportedDTypes() {
            return Set.of(DType.INT64);
        }

        @Override
        public String limits() {
            return "int operands (literals or symbolic sizes)";
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            for (String a : List.of("a", "b")) {
                Arg x = n.arg(a);
                if (!(x instanceof Arg.IntLit) && !(x instanceof Value v && v.type() == dev.kiln.ir.PrimitiveType.INT)) {
                    return Support.no("'" + a + "' must be an int but is " + dev.kiln.ir.Args.describe(x));
                }
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor a = ctx.reshape(Layers.toShapeElement(ctx, ctx.get(n.arg("a"))), new long[0]);
            ITensor b = ctx.reshape(Layers.toShapeElement(ctx, ctx.get(n.arg("b"))), new long[0]);
            ctx.bind(n.output(), shapeOp(ctx, a, b, op));
        }
    }

    @AutoService(OpConverter.class)
    public static final class AddInt extends IntArith {
        public AddInt() {
            super("aten::add.int", ElementWiseOperation.kSUM);
        }
    }

    @AutoService(OpConverter.class)
    public static final class SubInt extends IntArith {
        public SubInt() {
            super("aten::sub.int", ElementWiseOperation.kSUB);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MulInt extends IntArith {
        public MulInt() {
            super("aten::mul.int", ElementWiseOperation.kPROD);
        }
    }

    @AutoService(OpConverter.class)
    public static final class FloordivInt extends IntArith {
        public FloordivInt() {
            super("aten::floordiv.int", ElementWiseOperation.kFLOOR_DIV);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MaxInt extends IntArith {
        public MaxInt() {
            super("prim::max.int", ElementWiseOperation.kMAX);
        }
    }

    @AutoService(OpConverter.class)
    public static final class MinInt extends IntArith {
        public MinInt() {
            super("prim::min.int", ElementWiseOperation.kMIN);
        }
    }
}
