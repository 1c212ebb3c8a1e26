package dev.kiln.ir.testing;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SourceLocation;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaRegistry;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Random graphs that pass the verifier, for property tests: random ops from a small set of real
 * aten schemas, literal arguments including special floats, extreme ints and odd strings, symbolic
 * dimensions with ranges and expressions, constants of every dtype (random bytes), node names,
 * source locations and graph attributes. Types are plausible, not shape-inferred: use the graphs to
 * test structure (printing, copying, verifying), not numerics.
 *
 * <pre>{@code @Property(tries = 200) void roundTrip(@ForAll("graphs") Graph g) { ... }
 * @Provide Arbitrary<Graph> graphs() { return RandomGraphs.graphs(); }}</pre>
 */
public final class RandomGraphs {
    private static final DType[] TENSOR_DTYPES = {DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16, DType.FLOAT64, DType.INT64, DType.INT32, DType.BOOL};
    private static final String[] NAMES = {"x", "conv1.weight", "layer1.0.bn.running_mean", "out", "_tmp", "a.b.c", "v", "1"};
    private static final String[] STRINGS = {"", "none", "tanh", "quote \" backslash \\ slash /", "line\nbreak\ttab\r",
            "\u0001\u001f\u007f", "\u00e9t\u00e9 \u4e2d\u6587", "\ud83d\ude00", "\ud800 lone", "\u2028"};
    private static final double[] FLOATS = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-5, 1e-300, Double.MIN_VALUE, Double.MAX_VALUE,
            -Double.MAX_VALUE, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 3.4028234663852886e38, 0.1};
    private static final long[] INTS = {0, 1, -1, 2, 7, Long.MIN_VALUE, Long.MAX_VALUE, Integer.MIN_VALUE, 1L << 53};

    private final Random r;
    private final SchemaRegistry registry;
    private final Graph g;
    private final List<Symbol> symbols = new ArrayList<>();
    private final List<Value> tensors = new ArrayList<>();
    private final List<Value> ints = new ArrayList<>();

    private RandomGraphs(Random r, SchemaRegistry registry) {
        this.r = r;
        this.registry = registry;
        this.g = new Graph(r.nextInt(4) == 0 ? "graph " + r.nextInt(10) : "g" + r.nextInt(100));
    }

    /** Random valid graphs over {@link SchemaRegistry#standard()} (no shrinking: each is built from a seed). */
    public static Arbitrary<Graph> graphs() {
        return Arbitraries.randomValue(random -> generate(random, SchemaRegistry.standard()));
    }

    /** The random valid graph of {@code seed} over {@link SchemaRegistry#standard()}. */
    public static Graph generate(long seed) {
        return generate(new Random(seed), SchemaRegistry.standard());
    }

    /** One random valid graph, determined by {@code r}'s state. */
    public static Graph generate(Random r, SchemaRegistry registry) {
        return new RandomGraphs(r, registry).build();
    }

    private Graph build() {
        int nsym = r.nextInt(4);
        for (int i = 0; i < nsym; i++) {
            long min = r.nextInt(3) == 0 ? -r.nextInt(5) : r.nextInt(5);
            long max = r.nextInt(3) == 0 ? Symbol.UNBOUNDED : min + r.nextInt(100);
            symbols.add(g.declare(new Symbol("s" + i, min, max)));
        }
        int nattr = r.nextInt(3);
        for (int i = 0; i < nattr; i++) {
            g.attributes().put(i == 0 ? "source" : pick(STRINGS) + i, pick(STRINGS));
        }
        int ninputs = 1 + r.nextInt(3);
        for (int i = 0; i < ninputs; i++) {
            tensors.add(g.addInput(pick(NAMES), tensorType()));
        }
        if (r.nextBoolean()) {
            ints.add(g.addInput("n", PrimitiveType.INT));
        }
        if (r.nextInt(4) == 0) {
            g.addInput("opt", new OptionalType(TensorType.unknown()));
        }
        if (r.nextInt(4) == 0) {
            g.addInput("sizes", new ListType(PrimitiveType.INT));
        }
        int nconst = r.nextInt(4);
        for (int i = 0; i < nconst; i++) {
            tensors.add(g.addConstant(pick(NAMES), constant()));
        }
        int nnodes = 1 + r.nextInt(10);
        for (int i = 0; i < nnodes; i++) {
            node();
        }
        List<Value> outs = new ArrayList<>();
        int nout = 1 + r.nextInt(3);
        for (int i = 0; i < nout; i++) {
            outs.add(pick(tensors));
        }
        g.setOutputs(outs);
        return g;
    }

    // --- nodes ---

    private void node() {
        Value x = pick(tensors);
        TensorType xt = x.tensorType();
        switch (r.nextInt(14)) {
            case 0 -> add("aten::relu", List.of(x), List.of(xt));
            case 1 -> add("aten::add.Tensor", List.of(x, pick(tensors), scalar()), List.of(xt));
            case 2 -> add("aten::mul.Scalar", List.of(x, scalar()), List.of(xt));
            case 3 -> add("aten::clamp", List.of(x, r.nextBoolean() ? Arg.NONE : scalar(), r.nextBoolean() ? Arg.NONE : scalar()), List.of(xt));
            case 4 -> add("aten::leaky_relu", List.of(x, new Arg.FloatLit(pick(FLOATS))), List.of(xt));
            case 5 -> {
                Node n = add("aten::sym_size.int", List.of(x, new Arg.IntLit(r.nextInt(3))), List.of(PrimitiveType.INT));
                ints.add(n.output());
            }
            case 6 -> add("aten::view", List.of(x, sizeList()), List.of(tensorType()));
            case 7 -> add("aten::to.dtype", List.of(x, new Arg.DTypeLit(pick(DType.values())), new Arg.BoolLit(r.nextBoolean()),
                    new Arg.BoolLit(r.nextBoolean()), r.nextBoolean() ? Arg.NONE : new Arg.MemoryFormatLit(
                            pick(new String[] {"contiguous_format", "channels_last", "preserve_format"}))), List.of(tensorType()));
            case 8 -> add("aten::max.dim", List.of(x, new Arg.IntLit(pick(INTS)), new Arg.BoolLit(r.nextBoolean())),
                    List.of(tensorType(), tensorType()));
            case 9 -> {
                List<Arg> list = new ArrayList<>();
                int k = r.nextInt(4);
                for (int i = 0; i < k; i++) {
                    list.add(pick(tensors));
                }
                add("aten::cat", List.of(new Arg.ListArg(list), new Arg.IntLit(pick(INTS))), List.of(TensorType.unknown()));
            }
            case 10 -> add("aten::gelu", List.of(x, new Arg.StrLit(pick(STRINGS))), List.of(xt));
            case 11 -> add("aten::zeros", List.of(sizeList(), r.nextBoolean() ? Arg.NONE : new Arg.DTypeLit(pick(DType.values())),
                    r.nextBoolean() ? Arg.NONE : new Arg.LayoutLit("strided"),
                    r.nextBoolean() ? Arg.NONE : new Arg.DeviceLit(pick(new String[] {"cpu", "cuda:0", "cuda:1", "meta"})),
                    r.nextBoolean() ? Arg.NONE : new Arg.BoolLit(r.nextBoolean())), List.of(tensorType()));
            case 12 -> add("aten::_assert_async.msg", List.of(x, new Arg.StrLit(pick(STRINGS))), List.of());
            default -> add("aten::split.Tensor", List.of(x, intArg(), new Arg.IntLit(r.nextInt(3))), List.of(new ListType(tensorType())));
        }
    }

    private Node add(String op, List<Arg> args, List<Type> outTypes) {
        OpSchema s = registry.get(op);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < outTypes.size(); i++) {
            names.add(r.nextInt(3) == 0 ? pick(NAMES) : s.name().substring(6));
        }
        Node n = g.insertAt(g.nodes().size(), s, args, outTypes, names);
        if (r.nextInt(5) == 0) {
            n.setName(pick(new String[] {"renamed", "layer1.0", "weird name", "_"}) + r.nextInt(3));
        }
        if (r.nextInt(3) == 0) {
            n.setLocation(new SourceLocation(pick(new String[] {"model.py", "/abs/path/m.py", "we\"ird.py"}), r.nextInt(1000) - 1,
                    r.nextBoolean() ? "" : pick(STRINGS)));
        }
        for (Value out : n.outputs()) {
            if (out.type() instanceof TensorType) {
                tensors.add(out);
            }
        }
        return n;
    }

    private Arg scalar() {
        return switch (r.nextInt(3)) {
            case 0 -> new Arg.IntLit(pick(INTS));
            case 1 -> new Arg.FloatLit(r.nextInt(4) == 0 ? Double.longBitsToDouble(r.nextLong()) : pick(FLOATS));
            default -> new Arg.BoolLit(r.nextBoolean());
        };
    }

    private Arg intArg() {
        return !ints.isEmpty() && r.nextBoolean() ? pick(ints) : new Arg.IntLit(pick(INTS));
    }

    /** A {@code SymInt[]} mixing int values and literals: {@code [%sym_size, -1]}. */
    private Arg sizeList() {
        List<Arg> l = new ArrayList<>();
        int k = r.nextInt(4);
        for (int i = 0; i < k; i++) {
            l.add(intArg());
        }
        return new Arg.ListArg(l);
    }

    // --- types and constants ---

    private TensorType tensorType() {
        if (r.nextInt(8) == 0) {
            return TensorType.unknown();
        }
        Optional<DType> dtype = r.nextInt(8) == 0 ? Optional.empty() : Optional.of(pick(TENSOR_DTYPES));
        if (r.nextInt(8) == 0) {
            return new TensorType(dtype, Shape.unranked());
        }
        int rank = r.nextInt(5);
        List<SymExpr> dims = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            dims.add(symbols.isEmpty() || r.nextBoolean() ? SymExpr.of(r.nextInt(9)) : expr(2));
        }
        return new TensorType(dtype, Shape.of(dims));
    }

    /** A size expression of depth at most {@code depth}, built through the canonicalizing factories. */
    private SymExpr expr(int depth) {
        if (depth == 0 || r.nextInt(3) == 0) {
            return r.nextInt(4) == 0 ? SymExpr.of(r.nextInt(7) - 1) : SymExpr.of(pick(symbols));
        }
        SymExpr a = expr(depth - 1);
        SymExpr b = expr(depth - 1);
        SymExpr divisor = SymExpr.of(1 + r.nextInt(4));
        return switch (r.nextInt(7)) {
            case 0 -> SymExpr.add(a, b);
            case 1 -> SymExpr.sub(a, b);
            case 2 -> SymExpr.mul(a, b);
            case 3 -> SymExpr.floorDiv(a, r.nextBoolean() ? divisor : SymExpr.of(pick(symbols)));
            case 4 -> SymExpr.mod(a, divisor);
            case 5 -> SymExpr.max(a, b);
            default -> SymExpr.min(a, b);
        };
    }

    private ConstantTensor constant() {
        DType dt = pick(DType.values());
        int rank = r.nextInt(3);
        long[] sizes = new long[rank];
        for (int i = 0; i < rank; i++) {
            sizes[i] = r.nextInt(4);
        }
        ByteBuffer b = ConstantTensor.allocate(dt, sizes);
        while (b.hasRemaining()) {
            b.put((byte) r.nextInt(256));
        }
        b.flip();
        return new ConstantTensor(dt, sizes, b);
    }

    private <T> T pick(List<T> l) {
        return l.get(r.nextInt(l.size()));
    }

    private <T> T pick(T[] a) {
        return a[r.nextInt(a.length)];
    }

    private String pick(String[] a) {
        return a[r.nextInt(a.length)];
    }

    private double pick(double[] a) {
        return a[r.nextInt(a.length)];
    }

    private long pick(long[] a) {
        return a[r.nextInt(a.length)];
    }
}
