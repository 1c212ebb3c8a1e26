package dev.kiln.tck;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
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
import dev.kiln.passes.PassContext;
import dev.kiln.passes.eval.TorchEval;
import dev.kiln.passes.shapes.PropagateShapes;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.TensorVector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * An {@link OpCase} as IR: its tensor inputs become graph inputs, weights constants, sizes
 * {@code aten::sym_size.int} nodes, then the node itself with every schema default bound (and a
 * {@code prim::ListUnpack} for a list result, as the frontends write it). The libtorch reference runs
 * on the CPU through the same dispatcher call as backend-torch's {@code NodeExecutor}; the node's
 * output types come from it for static cases and from {@code propagate-shapes} for dynamic ones.
 * Several cases can share one graph (with distinct name prefixes): that is how
 * {@link EngineRun} packs many cases into one engine.
 *
 * <pre>{@code CaseGraph c = CaseGraph.standalone(OpCase.of("aten::relu", x), false); c.expected();}</pre>
 */
public final class CaseGraph {
    /** Profile points of a dynamic case: every symbol at its minimum, nominal size, maximum. */
    public static final int MIN = 0;
    public static final int NOMINAL = 1;
    public static final int MAX = 2;

    private final Graph graph;
    private final OpCase op;
    private final boolean dynamic;
    private final List<TensorSpec> specs = new ArrayList<>();
    private final List<Value> inputs = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final List<ConstantTensor> expected = new ArrayList<>();
    /** One symbol per distinct nominal size among the dynamic axes. */
    private final Map<Long, Symbol> symbols = new TreeMap<>();
    /** libtorch's result for each output of the node under test, at the nominal sizes. */
    private final List<Result> results = new ArrayList<>();
    private Node node;

    /** What libtorch returned for one output of the node: a tensor, a list of tensors, an int, or None. */
    private record Result(IValueKind kind, List<ConstantTensor> tensors) {
    }

    private enum IValueKind { TENSOR, TENSOR_LIST, INT, NONE }

    private CaseGraph(Graph graph, OpCase op, boolean dynamic) {
        this.graph = graph;
        this.op = op;
        this.dynamic = dynamic;
    }

    /** A graph of its own holding just this case. */
    public static CaseGraph standalone(OpCase c, boolean dynamic) {
        Graph g = new Graph(c.op().replace("::", "_").replace('.', '_'));
        CaseGraph cg = append(g, c, "", dynamic);
        g.setOutputs(cg.outputs);
        if (dynamic) {
            finishTypes(g, List.of(cg));
        }
        return cg;
    }

    /**
     * Adds the case to {@code g} with names starting with {@code prefix}; the caller sets the graph's
     * outputs (see {@link #outputs()}) and, for dynamic cases, calls {@link #finishTypes}.
     */
    public static CaseGraph append(Graph g, OpCase c, String prefix, boolean dynamic) {
        CaseGraph cg = new CaseGraph(g, c, dynamic);
        cg.build(prefix, null);
        return cg;
    }

    /**
     * Adds {@code like}'s case to {@code g} as {@link #append} does, taking libtorch's results from
     * {@code like} instead of computing them again (the reference runs once per case, not once more
     * per pack).
     */
    static CaseGraph appendLike(Graph g, CaseGraph like, String prefix) {
        CaseGraph cg = new CaseGraph(g, like.op, like.dynamic);
        cg.build(prefix, like);
        return cg;
    }

    /** Types the dynamic cases' outputs with propagate-shapes; what it cannot type keeps libtorch's static type. */
    public static void finishTypes(Graph g, List<CaseGraph> cases) {
        try {
            new PropagateShapes().run(g, PassContext.defaults());
        } catch (RuntimeException e) {
            // shape inference is a convenience here: the static fallback below still types every output
        }
        for (CaseGraph c : cases) {
            for (int i = 0; i < c.outputs.size(); i++) {
                Value o = c.outputs.get(i);
                if (!(o.type() instanceof TensorType t) || !t.isComplete()) {
                    o.setType(c.expected.get(i).type());
                }
            }
        }
    }

    public Graph graph() {
        return graph;
    }

    public OpCase opCase() {
        return op;
    }

    /** The node under test. */
    public Node node() {
        return node;
    }

    public boolean dynamic() {
        return dynamic;
    }

    public List<Value> inputs() {
        return List.copyOf(inputs);
    }

    public List<Value> outputs() {
        return List.copyOf(outputs);
    }

    /** libtorch's outputs at the nominal sizes. */
    public List<ConstantTensor> expected() {
        return List.copyOf(expected);
    }

    /** The input data at profile point {@link #MIN}, {@link #NOMINAL} or {@link #MAX} (all nominal for static cases). */
    public List<ConstantTensor> feeds(int point) {
        List<ConstantTensor> out = new ArrayList<>();
        for (TensorSpec s : specs) {
            long[] sizes = s.sizes();
            if (dynamic) {
                for (int ax : s.dynamicAxes()) {
                    Symbol sym = symbols.get(s.sizes()[ax]);
                    sizes[ax] = point == MIN ? sym.min() : point == MAX ? sym.max() : sizes[ax];
                }
            }
            out.add(s.materialize(sizes));
        }
        return out;
    }

    /** The symbols of this case (empty when static). */
    public List<Symbol> symbols() {
        return List.copyOf(symbols.values());
    }

    /** libtorch's outputs for {@code feeds} (one per input of this case). */
    public List<ConstantTensor> reference(List<ConstantTensor> feeds) {
        try (PointerScope scope = new PointerScope()) {
            Map<Value, IValue> values = new HashMap<>();
            for (int i = 0; i < feeds.size(); i++) {
                values.put(inputs.get(i), new IValue(TorchEval.toTorch(feeds.get(i))));
            }
            Function<Value, IValue> lookup = v -> values.computeIfAbsent(v,
                    k -> new IValue(TorchEval.toTorch(k.constant().orElseThrow(
                            () -> new KilnException("value %" + k.name() + " has no value in the reference run")))));
            for (Node n : nodes) {
                List<IValue> r = n.op().equals("prim::ListUnpack") ? unpack(n, lookup) : call(n, lookup);
                for (int i = 0; i < n.outputs().size(); i++) {
                    values.put(n.output(i), r.get(i));
                }
            }
            List<ConstantTensor> out = new ArrayList<>();
            for (Value o : outputs) {
                out.add(TorchEval.toConstant(values.get(o).toTensor()));
            }
            // libtorch read the feeds in place (TorchEval.toTorch): they must outlive the run
            java.lang.ref.Reference.reachabilityFence(feeds);
            return out;
        }
    }

    // ------------------------------------------------------------------ building

    private void build(String prefix, CaseGraph like) {
        Map<Value, ConstantTensor> env = new LinkedHashMap<>();
        for (TensorSpec t : op.extraInputs()) {
            arg(t, prefix, env);
        }
        List<Arg> pos = new ArrayList<>();
        for (Object o : op.args()) {
            pos.add(arg(o, prefix, env));
        }
        Map<String, Arg> kws = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : op.kwargs().entrySet()) {
            kws.put(e.getKey(), arg(e.getValue(), prefix, env));
        }
        OpSchema s = schema(op.op());
        List<Arg> args = SchemaBinder.bind(s, pos, kws);
        List<Type> placeholders = new ArrayList<>();
        for (var r : s.returns()) {
            placeholders.add(r.type().toIrType().orElse(TensorType.unknown()));
        }
        node = graph.append(s, args, placeholders);
        nodes.add(node);
        results.addAll(like != null ? like.results : evaluate());
        for (int i = 0; i < node.outputs().size(); i++) {
            Result r = results.get(i);
            Value out = node.output(i);
            switch (r.kind()) {
                case TENSOR_LIST -> {
                    List<Type> types = new ArrayList<>();
                    for (ConstantTensor c : r.tensors()) {
                        expected.add(c);
                        types.add(dynamic ? TensorType.unknown() : c.type());
                    }
                    out.setType(new ListType(TensorType.unknown()));
                    Node unpack = graph.append(schema("prim::ListUnpack"), List.of(out), types);
                    nodes.add(unpack);
                    outputs.addAll(unpack.outputs());
                }
                case TENSOR -> {
                    ConstantTensor c = r.tensors().get(0);
                    out.setType(dynamic ? TensorType.unknown() : c.type());
                    if (op.exposed() == null || contains(op.exposed(), i)) {
                        outputs.add(out);
                        expected.add(c);
                    }
                }
                case INT -> out.setType(PrimitiveType.INT);
                case NONE -> {
                }
            }
        }
    }

    /** libtorch's result for each output of the node under test (and the size nodes before it) at the nominal sizes. */
    private List<Result> evaluate() {
        List<ConstantTensor> feeds = new ArrayList<>();
        for (TensorSpec t : specs) {
            feeds.add(t.materialize());
        }
        try (PointerScope scope = new PointerScope()) {
            Map<Value, IValue> values = new HashMap<>();
            for (int i = 0; i < feeds.size(); i++) {
                values.put(inputs.get(i), new IValue(TorchEval.toTorch(feeds.get(i))));
            }
            Function<Value, IValue> lookup = v -> values.computeIfAbsent(v,
                    k -> new IValue(TorchEval.toTorch(k.constant().orElseThrow())));
            for (Node before : nodes) {
                if (before != node) {
                    values.put(before.output(), call(before, lookup).get(0));
                }
            }
            List<IValue> refs = call(node, lookup);
            List<Result> out = new ArrayList<>();
            for (int i = 0; i < node.outputs().size(); i++) {
                IValue r = refs.get(i);
                if (r.isTensorList()) {
                    TensorVector tv = r.toTensorVector();
                    List<ConstantTensor> ts = new ArrayList<>();
                    for (long k = 0; k < tv.size(); k++) {
                        ts.add(TorchEval.toConstant(tv.get(k)));
                    }
                    out.add(new Result(IValueKind.TENSOR_LIST, ts));
                } else if (r.isTensor()) {
                    out.add(new Result(IValueKind.TENSOR, List.of(TorchEval.toConstant(r.toTensor()))));
                } else if (r.isInt()) {
                    out.add(new Result(IValueKind.INT, List.of()));
                } else if (!r.isNone()) {
                    throw new KilnException("unexpected libtorch result for " + op.op());
                } else {
                    out.add(new Result(IValueKind.NONE, List.of()));
                }
            }
            java.lang.ref.Reference.reachabilityFence(feeds);
            return out;
        }
    }

    private Arg arg(Object o, String prefix, Map<Value, ConstantTensor> env) {
        if (o instanceof Arg a) {
            return a;
        }
        if (o instanceof TensorSpec t) {
            List<SymExpr> dims = new ArrayList<>();
            long[] sizes = t.sizes();
            for (long size : sizes) {
                dims.add(SymExpr.of(size));
            }
            if (dynamic) {
                for (int ax : t.dynamicAxes()) {
                    long nominal = sizes[ax];
                    Symbol sym = symbols.computeIfAbsent(nominal, n -> graph.declare(
                            new Symbol(prefix + "s" + graph.symbols().size(), 1, Math.max(2, 2 * n))));
                    dims.set(ax, SymExpr.of(sym));
                }
            }
            Value v = graph.addInput(prefix + "x" + inputs.size(), new TensorType(t.dtype(), Shape.of(dims)));
            inputs.add(v);
            specs.add(t);
            return v;
        }
        if (o instanceof OpCase.Weight w) {
            return graph.addConstant(graph.freshName(prefix + "w"), w.data().materialize());
        }
        if (o instanceof OpCase.SymSize s) {
            Value x = inputs.get(s.input());
            Node sz = graph.append(schema("aten::sym_size.int"), List.of(x, Arg.of((long) s.dim())), List.of(PrimitiveType.INT));
            nodes.add(sz);
            return sz.output();
        }
        if (o instanceof OpCase.InputRef r) {
            return inputs.get(r.input());
        }
        if (o instanceof OpCase.IntOp io) {
            Arg a = arg(io.a(), prefix, env);
            Arg b = arg(io.b(), prefix, env);
            Node n = graph.append(schema(io.op()), List.of(a, b), List.of(PrimitiveType.INT));
            nodes.add(n);
            return n.output();
        }
        Optional<Arg> literal = Arg.literal(o);
        if (literal.isPresent()) {
            return literal.get();
        }
        if (o instanceof List<?> l) {
            List<Arg> out = new ArrayList<>();
            for (Object e : l) {
                out.add(arg(e, prefix, env));
            }
            return Arg.list(out);
        }
        throw new IllegalArgumentException("no IR argument for " + o + " (" + o.getClass().getName() + ")");
    }

    /** The schema of {@code op} from the standard registry ({@code prim::ListUnpack} registered on first use). */
    static synchronized OpSchema schema(String op) {
        SchemaRegistry r = SchemaRegistry.standard();
        if (r.find("prim::ListUnpack", "").isEmpty()) {
            r.register("prim::ListUnpack(Any list) -> ...");
        }
        return r.get(op);
    }

    /** libtorch's dispatcher for ATen ops; the scalar int ops of the JIT registry are computed here. */
    static List<IValue> call(Node n, Function<Value, IValue> lookup) {
        switch (n.op()) {
            case "aten::size.int", "aten::sym_size.int" -> {
                IValue x = lookup.apply((Value) n.arg(0));
                long d = n.intArg("dim");
                long r = x.toTensor().dim();
                return List.of(new IValue(x.toTensor().size(d < 0 ? d + r : d)));
            }
            case "aten::add.int", "aten::sub.int", "aten::mul.int", "aten::floordiv.int", "prim::max.int", "prim::min.int" -> {
                long a = intValue(n.arg(0), lookup);
                long b = intValue(n.arg(1), lookup);
                long r = switch (n.op()) {
                    case "aten::add.int" -> a + b;
                    case "aten::sub.int" -> a - b;
                    case "aten::mul.int" -> a * b;
                    case "aten::floordiv.int" -> Math.floorDiv(a, b);
                    case "prim::max.int" -> Math.max(a, b);
                    default -> Math.min(a, b);
                };
                return List.of(new IValue(r));
            }
            default -> {
                return TorchEval.call(n, lookup);
            }
        }
    }

    private static List<IValue> unpack(Node n, Function<Value, IValue> lookup) {
        TensorVector tv = lookup.apply((Value) n.arg(0)).toTensorVector();
        List<IValue> out = new ArrayList<>();
        for (int i = 0; i < n.outputs().size(); i++) {
            out.add(new IValue(tv.get(i)));
        }
        return out;
    }

    private static long intValue(Arg a, Function<Value, IValue> lookup) {
        return a instanceof Arg.IntLit l ? l.value() : lookup.apply((Value) a).toInt();
    }

    private static boolean contains(int[] xs, int x) {
        for (int v : xs) {
            if (v == x) {
                return true;
            }
        }
        return false;
    }
}
