package dev.kiln.backend.tensorrt.converters;

import dev.kiln.frontend.fx.importer.FxSchemas;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaBinder;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.passes.eval.TorchEval;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.TensorVector;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Random;

/**
 * Builds one-node IR graphs with the real libtorch 2.5.1 schemas and computes their reference
 * outputs with libtorch on the CPU; the node's output types are taken from those results (so tests
 * need not spell them out). A list result is unpacked by a {@code prim::ListUnpack} node, as the
 * frontends write it.
 *
 * <pre>{@code OneNode c = OneNode.of("aten::relu", OneNode.in(OneNode.randn(2, 3)));}</pre>
 */
final class OneNode {
    /** A graph input fed with {@code data}; {@code dynamicAxes} get symbolic sizes in [min, 2*size] (min 1 unless given). */
    record In(ConstantTensor data, long min, int... dynamicAxes) {
    }

    /** A graph constant (a weight). */
    record Const(ConstantTensor data) {
    }

    /** A scalar int op ({@code aten::mul.int}, {@code prim::max.int}, {@code aten::size.int}) on two resolved arguments. */
    record IntOp(String op, Object a, Object b) {
    }

    /** An input created earlier in the same call, by index. */
    record InputRef(int index) {
    }

    static InputRef input(int index) {
        return new InputRef(index);
    }

    static IntOp intOp(String op, Object a, Object b) {
        return new IntOp(op, a, b);
    }

    /** The runtime size of dimension {@code dim} of input {@code input} (an {@code aten::sym_size.int} node). */
    record SymSize(int input, int dim) {
    }

    final Graph graph;
    final Node node;
    final List<ConstantTensor> inputs;
    final List<ConstantTensor> expected;

    private OneNode(Graph graph, Node node, List<ConstantTensor> inputs, List<ConstantTensor> expected) {
        this.graph = graph;
        this.node = node;
        this.inputs = inputs;
        this.expected = expected;
    }

    static In in(ConstantTensor data, int... dynamicAxes) {
        return new In(data, 1, dynamicAxes);
    }

    /** As {@link #in}, with symbols that start at {@code min} (torch.export's dynamic dims start at 2). */
    static In inFrom(long min, ConstantTensor data, int... dynamicAxes) {
        return new In(data, min, dynamicAxes);
    }

    static Const weight(ConstantTensor data) {
        return new Const(data);
    }

    static SymSize symSize(int input, int dim) {
        return new SymSize(input, dim);
    }

    static OneNode of(String op, Object... positional) {
        return of(op, java.util.Arrays.asList(positional), Map.of(), null);
    }

    static OneNode kw(String op, List<Object> positional, Map<String, Object> keywords) {
        return of(op, positional, keywords, null);
    }

    /** The schema of {@code op} from the standard registry ({@code prim::ListUnpack} registered first). */
    static OpSchema schema(String op) {
        FxSchemas.listUnpack();
        return SchemaRegistry.standard().get(op);
    }

    /**
     * Builds the graph; {@code exposed} picks the node outputs that become graph outputs (all when null).
     */
    static OneNode of(String op, List<Object> positional, Map<String, Object> keywords, int[] exposed) {
        Graph g = new Graph(op.replace("::", "_"));
        List<ConstantTensor> feeds = new ArrayList<>();
        List<Value> inputValues = new ArrayList<>();
        Map<Value, ConstantTensor> env = new LinkedHashMap<>();
        List<Arg> pos = new ArrayList<>();
        for (Object o : positional) {
            pos.add(arg(g, o, feeds, inputValues, env));
        }
        Map<String, Arg> kws = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : keywords.entrySet()) {
            kws.put(e.getKey(), arg(g, e.getValue(), feeds, inputValues, env));
        }
        OpSchema s = schema(op);
        List<Arg> args = SchemaBinder.bind(s, pos, kws);
        List<Type> placeholders = new ArrayList<>();
        for (var r : s.returns()) {
            placeholders.add(r.type().toIrType().orElse(TensorType.unknown()));
        }
        Node n = g.append(s, args, placeholders);
        List<IValue> refs;
        List<ConstantTensor> expected = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            Map<Value, IValue> values = new HashMap<>();
            java.util.function.Function<Value, IValue> lookup = v -> values.computeIfAbsent(v,
                    k -> new IValue(TorchEval.toTorch(env.get(k) != null ? env.get(k) : k.constant().orElseThrow())));
            for (Node before : g.nodes()) {
                if (before != n) {
                    values.put(before.output(), call(before, lookup).get(0));
                }
            }
            refs = call(n, lookup);
            List<Value> outs = new ArrayList<>();
            for (int i = 0; i < n.outputs().size(); i++) {
                IValue r = refs.get(i);
                Value out = n.output(i);
                if (r.isTensorList()) {
                    TensorVector tv = r.toTensorVector();
                    List<Type> types = new ArrayList<>();
                    List<ConstantTensor> pieces = new ArrayList<>();
                    for (long k = 0; k < tv.size(); k++) {
                        ConstantTensor c = TorchEval.toConstant(tv.get(k));
                        pieces.add(c);
                        types.add(c.type());
                    }
                    out.setType(new ListType(TensorType.unknown()));
                    Node unpack = g.append(schema("prim::ListUnpack"), List.of(out), types);
                    outs.addAll(unpack.outputs());
                    expected.addAll(pieces);
                } else if (r.isTensor()) {
                    ConstantTensor c = TorchEval.toConstant(r.toTensor());
                    out.setType(c.type());
                    if (exposed == null || contains(exposed, i)) {
                        outs.add(out);
                        expected.add(c);
                    }
                } else if (r.isInt()) {
                    out.setType(PrimitiveType.INT);
                } else {
                    throw new KilnException("unexpected libtorch result for " + op);
                }
            }
            g.setOutputs(outs);
        }
        return new OneNode(g, n, feeds, expected);
    }

    /** libtorch's dispatcher for ATen ops; the scalar int ops of the JIT registry are computed here. */
    static List<IValue> call(Node n, java.util.function.Function<Value, IValue> lookup) {
        switch (n.op()) {
            case "aten::size.int": {
                IValue x = lookup.apply((Value) n.arg(0));
                long d = n.intArg("dim");
                long r = x.toTensor().dim();
                return List.of(new IValue(x.toTensor().size(d < 0 ? d + r : d)));
            }
            case "aten::add.int":
            case "aten::sub.int":
            case "aten::mul.int":
            case "aten::floordiv.int":
            case "prim::max.int":
            case "prim::min.int": {
                long a = intValue(n.arg(0), lookup);
                long b = intValue(n.arg(1), lookup);
                long r;
                switch (n.op()) {
                    case "aten::add.int": r = a + b; break;
                    case "aten::sub.int": r = a - b; break;
                    case "aten::mul.int": r = a * b; break;
                    case "aten::floordiv.int": r = Math.floorDiv(a, b); break;
                    case "prim::max.int": r = Math.max(a, b); break;
                    default: r = Math.min(a, b); break;
                }
                return List.of(new IValue(r));
            }
            default:
                return TorchEval.call(n, lookup);
        }
    }

    private static long intValue(Arg a, java.util.function.Function<Value, IValue> lookup) {
        return a instanceof Arg.IntLit l ? l.value() : lookup.apply((Value) a).toInt();
    }

    /**
     * Evaluates {@code g} with libtorch on {@code inputs} (one per graph input); {@code prim::ListUnpack}
     * splits the list its producer returned.
     */
    static List<ConstantTensor> evaluate(Graph g, List<ConstantTensor> inputs) {
        try (PointerScope scope = new PointerScope()) {
            Map<Value, IValue> values = new HashMap<>();
            for (int i = 0; i < inputs.size(); i++) {
                values.put(g.inputs().get(i), new IValue(TorchEval.toTorch(inputs.get(i))));
            }
            java.util.function.Function<Value, IValue> lookup = v -> values.computeIfAbsent(v,
                    k -> new IValue(TorchEval.toTorch(k.constant().orElseThrow())));
            for (Node n : g.nodes()) {
                if (n.op().equals("prim::ListUnpack")) {
                    TensorVector tv = lookup.apply((Value) n.arg(0)).toTensorVector();
                    for (int i = 0; i < n.outputs().size(); i++) {
                        values.put(n.output(i), new IValue(tv.get(i)));
                    }
                    continue;
                }
                List<IValue> r = call(n, lookup);
                for (int i = 0; i < n.outputs().size(); i++) {
                    values.put(n.output(i), r.get(i));
                }
            }
            List<ConstantTensor> out = new ArrayList<>();
            for (Value o : g.outputs()) {
                out.add(TorchEval.toConstant(values.get(o).toTensor()));
            }
            // libtorch read the inputs and constants in place (TorchEval.toTorch)
            java.lang.ref.Reference.reachabilityFence(inputs);
            java.lang.ref.Reference.reachabilityFence(g);
            return out;
        }
    }

    /**
     * New inputs for {@code g} with every symbolic dimension one larger than in {@code old} (within the
     * symbol's range); integer data reuses the old values (so indices stay in range).
     */
    static List<ConstantTensor> resized(Graph g, List<ConstantTensor> old) {
        List<ConstantTensor> out = new ArrayList<>();
        for (int i = 0; i < old.size(); i++) {
            ConstantTensor o = old.get(i);
            TensorType t = (TensorType) g.inputs().get(i).type();
            long[] sizes = o.sizes().clone();
            for (int d = 0; d < sizes.length; d++) {
                if (t.shape().dim(d) instanceof SymExpr.Sym sym && sizes[d] + 1 <= sym.symbol().max()) {
                    sizes[d]++;
                }
            }
            if (o.dtype().isFloatingPoint()) {
                out.add(random(o.dtype(), -1, sizes));
                continue;
            }
            ByteBuffer b = ConstantTensor.allocate(o.dtype(), sizes);
            long n = 1;
            for (long s : sizes) {
                n *= s;
            }
            for (long k = 0; k < n; k++) {
                ElementCodec.put(o.dtype(), b, k, o.numel() == 0 ? 0 : o.getDouble(k % o.numel()));
            }
            out.add(new ConstantTensor(o.dtype(), sizes, b));
        }
        return out;
    }

    private static boolean contains(int[] xs, int x) {
        for (int v : xs) {
            if (v == x) {
                return true;
            }
        }
        return false;
    }


    private static Arg arg(Graph g, Object o, List<ConstantTensor> feeds, List<Value> inputs, Map<Value, ConstantTensor> env) {
        if (o instanceof Arg a) {
            return a;
        }
        if (o instanceof In in) {
            ConstantTensor d = in.data();
            List<SymExpr> dims = new ArrayList<>();
            for (int i = 0; i < d.rank(); i++) {
                dims.add(SymExpr.of(d.sizes()[i]));
            }
            for (int ax : in.dynamicAxes()) {
                Symbol sym = g.declare(new Symbol("s" + g.symbols().size(), in.min(), Math.max(Math.max(2, in.min()), 2 * d.sizes()[ax])));
                dims.set(ax, SymExpr.of(sym));
            }
            Value v = g.addInput("x" + inputs.size(), new TensorType(d.dtype(), Shape.of(dims)));
            inputs.add(v);
            feeds.add(d);
            env.put(v, d);
            return v;
        }
        if (o instanceof Const c) {
            return g.addConstant(g.freshName("w"), c.data());
        }
        if (o instanceof InputRef r) {
            return inputs.get(r.index());
        }
        if (o instanceof IntOp io) {
            Arg a = arg(g, io.a(), feeds, inputs, env);
            Arg b = arg(g, io.b(), feeds, inputs, env);
            return g.append(schema(io.op()), List.of(a, b), List.of(PrimitiveType.INT)).output();
        }
        if (o instanceof ConverterCases.SymOf so) {
            Value x = (Value) arg(g, so.input(), feeds, inputs, env);
            Node sz = g.append(schema("aten::sym_size.int"), List.of(x, Arg.of(0L)), List.of(PrimitiveType.INT));
            return sz.output();
        }
        if (o instanceof SymSize s) {
            Value x = inputs.get(s.input());
            Node sz = g.append(schema("aten::sym_size.int"), List.of(x, Arg.of((long) s.dim())), List.of(PrimitiveType.INT));
            return sz.output();
        }
        Optional<Arg> literal = Arg.literal(o);
        if (literal.isPresent()) {
            return literal.get();
        }
        if (o instanceof List<?> l) {
            List<Arg> out = new ArrayList<>();
            for (Object e : l) {
                out.add(arg(g, e, feeds, inputs, env));
            }
            return Arg.list(out);
        }
        throw new IllegalArgumentException("no IR argument for " + o);
    }

    // ------------------------------------------------------------------ data

    private static final Random RANDOM = new Random(42);

    /** Standard-normal f32 data. */
    static ConstantTensor randn(long... sizes) {
        return random(DType.FLOAT32, -1, sizes);
    }

    /** Data of {@code dtype}: normal floats, or ints uniform in [0, bound) (bool: 0/1). */
    static synchronized ConstantTensor random(DType dtype, long bound, long... sizes) {
        ByteBuffer b = ConstantTensor.allocate(dtype, sizes);
        long n = 1;
        for (long s : sizes) {
            n *= s;
        }
        for (long i = 0; i < n; i++) {
            double v = dtype.isFloatingPoint() ? RANDOM.nextGaussian() : dtype == DType.BOOL ? RANDOM.nextInt(2)
                    : RANDOM.nextInt((int) Math.max(1, bound));
            ElementCodec.put(dtype, b, i, v);
        }
        return new ConstantTensor(dtype, sizes, b);
    }

    /** Positive f32 data in [0.5, 2.5) (for log, sqrt, pow, variances). */
    static synchronized ConstantTensor positive(long... sizes) {
        ByteBuffer b = ConstantTensor.allocate(DType.FLOAT32, sizes);
        long n = 1;
        for (long s : sizes) {
            n *= s;
        }
        for (long i = 0; i < n; i++) {
            ElementCodec.put(DType.FLOAT32, b, i, 0.5 + 2 * RANDOM.nextDouble());
        }
        return new ConstantTensor(DType.FLOAT32, sizes, b);
    }

    /** A tensor of {@code dtype} holding {@code values} (rounded to the dtype), row-major. */
    static ConstantTensor values(DType dtype, long[] sizes, double... values) {
        ByteBuffer b = ConstantTensor.allocate(dtype, sizes);
        for (int i = 0; i < values.length; i++) {
            ElementCodec.put(dtype, b, i, values[i]);
        }
        return new ConstantTensor(dtype, sizes, b);
    }

    /** {@code t} (f32) times {@code factor}. */
    static ConstantTensor scaled(ConstantTensor t, double factor) {
        ByteBuffer b = ConstantTensor.allocate(t.dtype(), t.sizes());
        for (long i = 0; i < t.numel(); i++) {
            ElementCodec.put(t.dtype(), b, i, t.getDouble(i) * factor);
        }
        return new ConstantTensor(t.dtype(), t.sizes(), b);
    }

    static ConstantTensor ints(long[] sizes, long... values) {
        return ConstantTensor.ofLongs(sizes, values);
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
