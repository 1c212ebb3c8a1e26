package dev.kiln.passes.shapes;

import dev.kiln.ir.Arg;
import dev.kiln.ir.Args;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.passes.shapes.TypePromotion.Operand;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a {@link ShapeRule} sees of one node: its arguments read by schema name as tensor types,
 * literal or symbolic ints, dtypes and promotion operands, plus helpers that fail with messages
 * naming the node. Input types must already be known; when one is not, the reader stops the rule
 * (the node's outputs stay as they are) without a note, since the cause lies upstream.
 *
 * <pre>{@code TensorType x = ctx.tensor("self"); int d = ctx.dim("dim", x.rank());}</pre>
 */
public final class InferenceContext {
    private final Node node;
    private final Map<Value, SymExpr> symInts;
    private final Map<Value, List<Type>> lists;
    private final SymExpr[] defined;

    InferenceContext(Node node, Map<Value, SymExpr> symInts, Map<Value, List<Type>> lists) {
        this.node = node;
        this.symInts = symInts;
        this.lists = lists;
        this.defined = new SymExpr[node.outputs().size()];
    }

    /** Raised by a rule that cannot decide; {@code quiet} when the cause is an unknown input. */
    static final class Unresolved extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final boolean quiet;

        Unresolved(String reason, boolean quiet) {
            super(reason, null, false, false);
            this.quiet = quiet;
        }
    }

    public Node node() {
        return node;
    }

    /** Stops the rule: the outputs stay unknown and {@code reason} becomes a note for the user. */
    public RuntimeException unresolved(String reason) {
        return new Unresolved(reason, false);
    }

    /** A {@link KilnException} naming the node, for shapes that are provably incompatible. */
    public KilnException error(String message) {
        return KilnException.at(node, message);
    }

    /** Whether the node's schema has an argument called {@code name}. */
    public boolean has(String name) {
        OptionalInt i = node.schema().indexOf(name);
        return i.isPresent() && i.getAsInt() < node.args().size();
    }

    public Arg arg(String name) {
        return node.arg(name);
    }

    /** True when the argument is absent from the schema or is {@code none}. */
    public boolean isNone(String name) {
        return !has(name) || node.arg(name).isNone();
    }

    // --- tensors ---

    /** The complete type (dtype and ranked shape) of tensor argument {@code name}. */
    public TensorType tensor(String name) {
        return tensorOf(node.arg(name), name);
    }

    /** The tensor argument {@code name}, empty when it is {@code none}. */
    public Optional<TensorType> optionalTensor(String name) {
        return isNone(name) ? Optional.empty() : Optional.of(tensor(name));
    }

    /** The complete tensor type of {@code a}, a value of this node. */
    public TensorType tensorOf(Arg a, String what) {
        if (!(a instanceof Value v)) {
            throw error("argument '" + what + "' must be a tensor but is " + Args.describe(a));
        }
        if (!(v.type() instanceof TensorType t)) {
            throw error("argument '" + what + "' must be a tensor but " + v + " is a " + v.type().text());
        }
        if (!t.isComplete()) {
            throw new Unresolved("the type of " + v + " is not known", true);
        }
        return t;
    }

    /** The tensors of a {@code Tensor[]} argument. */
    public List<TensorType> tensorList(String name) {
        Arg a = node.arg(name);
        List<TensorType> out = new ArrayList<>();
        if (a instanceof Arg.ListArg l) {
            for (int i = 0; i < l.elements().size(); i++) {
                out.add(tensorOf(l.elements().get(i), name + "[" + i + "]"));
            }
            return out;
        }
        throw error("argument '" + name + "' must be a list of tensors but is " + Args.describe(a));
    }

    /** The element types of a list value that an earlier node of this graph returned. */
    public List<Type> listElements(Arg a, String what) {
        if (a instanceof Value v) {
            List<Type> t = lists.get(v);
            if (t != null) {
                return t;
            }
            if (v.type() instanceof ListType) {
                throw new Unresolved("the elements of the list " + v + " are not known", true);
            }
        }
        if (a instanceof Arg.ListArg l) {
            List<Type> out = new ArrayList<>();
            for (Arg e : l.elements()) {
                out.add(e instanceof Value v ? v.type() : PrimitiveType.INT);
            }
            return out;
        }
        throw error("argument '" + what + "' must be a list but is " + Args.describe(a));
    }

    /** The sizes of tensor argument {@code name}. */
    public List<SymExpr> dims(String name) {
        return tensor(name).shape().dims();
    }

    // --- ints ---

    /** Int argument {@code name} as a number; a symbolic int must be a known constant here. */
    public long intArg(String name) {
        return constant(symIntOf(node.arg(name), name), name);
    }

    /** Int argument {@code name} or {@code fallback} when it is none. */
    public long intArg(String name, long fallback) {
        return isNone(name) ? fallback : intArg(name);
    }

    /** An int list argument as numbers; a single int is repeated {@code n} times as ATen does for {@code int[N]}. */
    public long[] ints(String name, int n) {
        List<SymExpr> l = symInts(name);
        if (l.size() == 1 && n > 1) {
            long v = constant(l.get(0), name);
            long[] out = new long[n];
            java.util.Arrays.fill(out, v);
            return out;
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = constant(l.get(i), name + "[" + i + "]");
        }
        return out;
    }

    public long[] ints(String name) {
        return ints(name, 0);
    }

    private long constant(SymExpr e, String what) {
        if (e instanceof SymExpr.Const c) {
            return c.value();
        }
        throw unresolved("argument '" + what + "' is the symbolic size " + e + "; this op needs it to be a constant");
    }

    /** Int (or SymInt) argument {@code name} as a size expression. */
    public SymExpr symInt(String name) {
        return symIntOf(node.arg(name), name);
    }

    /** An int argument: a literal, or a value whose expression shape propagation knows. */
    public SymExpr symIntOf(Arg a, String what) {
        if (a instanceof Arg.IntLit i) {
            return SymExpr.of(i.value());
        }
        if (a instanceof Arg.BoolLit b) {
            return SymExpr.of(b.value() ? 1 : 0);
        }
        if (a instanceof Arg.FloatLit f && f.value() == Math.rint(f.value())) {
            return SymExpr.of((long) f.value());
        }
        if (a instanceof Value v) {
            SymExpr e = symInts.get(v);
            if (e != null) {
                return e;
            }
            if (v.type() == PrimitiveType.INT || v.type() == PrimitiveType.NUMBER) {
                throw new Unresolved("the value of the int " + v + " is not known", true);
            }
        }
        throw error("argument '" + what + "' must be an int but is " + Args.describe(a));
    }

    /** A {@code SymInt[]} argument as size expressions (a bare int counts as a one-element list). */
    public List<SymExpr> symInts(String name) {
        Arg a = node.arg(name);
        List<SymExpr> out = new ArrayList<>();
        if (a instanceof Arg.ListArg l) {
            for (int i = 0; i < l.elements().size(); i++) {
                out.add(symIntOf(l.elements().get(i), name + "[" + i + "]"));
            }
            return out;
        }
        if (a instanceof Value v && symInts.get(v) == null && v.type() instanceof ListType) {
            throw new Unresolved("the int list " + v + " is not known", true);
        }
        out.add(symIntOf(a, name));
        return out;
    }

    /** Wraps a possibly negative dimension index into {@code [0, rank)}, as ATen's {@code maybe_wrap_dim}. */
    public int wrapDim(long dim, int rank) {
        int r = Math.max(rank, 1); // a 0-d tensor accepts dims -1 and 0
        if (dim < -r || dim >= r) {
            throw error("dimension " + dim + " is out of range for a tensor of rank " + rank
                    + " (expected in [" + -r + ", " + (r - 1) + "])");
        }
        return (int) (dim < 0 ? dim + r : dim);
    }

    /** Int argument {@code name} as a dimension of a tensor of rank {@code rank}. */
    public int dim(String name, int rank) {
        return wrapDim(intArg(name), rank);
    }

    // --- other literals ---

    public boolean bool(String name) {
        Arg a = node.arg(name);
        if (a instanceof Value) {
            throw unresolved("argument '" + name + "' is computed at run time; it must be a constant bool");
        }
        return Args.toBool(a, node, name);
    }

    public boolean bool(String name, boolean fallback) {
        return isNone(name) ? fallback : bool(name);
    }

    public double number(String name) {
        Arg a = node.arg(name);
        if (a instanceof Value) {
            throw unresolved("argument '" + name + "' is computed at run time; it must be a constant number");
        }
        return Args.toDouble(a, node, name);
    }

    public Optional<String> string(String name) {
        if (isNone(name)) {
            return Optional.empty();
        }
        Arg a = node.arg(name);
        if (a instanceof Arg.StrLit s) {
            return Optional.of(s.value());
        }
        throw error("argument '" + name + "' must be a string but is " + Args.describe(a));
    }

    /** A {@code ScalarType?} argument: a dtype literal or, from TorchScript, its c10 code. */
    public Optional<DType> dtypeArg(String name) {
        if (isNone(name)) {
            return Optional.empty();
        }
        Arg a = node.arg(name);
        if (a instanceof Arg.DTypeLit d) {
            return Optional.of(d.value());
        }
        if (a instanceof Arg.IntLit i) {
            return Optional.of(DType.fromC10((int) i.value())
                    .orElseThrow(() -> error("argument '" + name + "' is the unknown ScalarType code " + i.value())));
        }
        throw unresolved("argument '" + name + "' must be a constant dtype but is " + Args.describe(a));
    }

    // --- promotion ---

    /** Argument {@code name} as a promotion operand: a tensor, or a Python number (literal or int/float value). */
    public Operand operand(String name) {
        return operandOf(node.arg(name), name);
    }

    public Operand operandOf(Arg a, String what) {
        if (a instanceof Arg.IntLit) {
            return Operand.number(DType.INT64);
        }
        if (a instanceof Arg.FloatLit) {
            return Operand.number(DType.FLOAT64);
        }
        if (a instanceof Arg.BoolLit) {
            return Operand.number(DType.BOOL);
        }
        if (a instanceof Value v) {
            Type t = v.type();
            if (t instanceof TensorType) {
                TensorType tt = tensorOf(v, what);
                return Operand.tensor(tt.elementType(), tt.rank());
            }
            if (t == PrimitiveType.INT) {
                return Operand.number(DType.INT64);
            }
            if (t == PrimitiveType.FLOAT) {
                return Operand.number(DType.FLOAT64);
            }
            if (t == PrimitiveType.BOOL) {
                return Operand.number(DType.BOOL);
            }
            if (t == PrimitiveType.NUMBER || (t instanceof OptionalType)) {
                throw unresolved("argument '" + what + "' is a number of unknown kind (" + v + ")");
            }
        }
        throw error("argument '" + what + "' must be a tensor or a number but is " + Args.describe(a));
    }

    /** The promoted dtype of the named arguments (none-valued ones skipped). */
    public DType promote(String... names) {
        List<Operand> ops = new ArrayList<>();
        for (String n : names) {
            if (!isNone(n)) {
                ops.add(operand(n));
            }
        }
        return promote(ops);
    }

    public DType promote(List<Operand> ops) {
        return TypePromotion.resultType(ops).orElseThrow(() -> error("PyTorch has no common dtype for " + ops));
    }

    /** The shape of argument {@code name}: a tensor's shape, or {@code []} for a number. */
    public List<SymExpr> dimsOrScalar(String name) {
        Arg a = node.arg(name);
        if (a instanceof Value v && v.type() instanceof TensorType) {
            return tensorOf(v, name).shape().dims();
        }
        return List.of();
    }

    // --- shapes ---

    /** Broadcasts shapes as NumPy and ATen do; throws naming the node when two sizes cannot broadcast. */
    public List<SymExpr> broadcast(List<List<SymExpr>> shapes) {
        int rank = 0;
        for (List<SymExpr> s : shapes) {
            rank = Math.max(rank, s.size());
        }
        List<SymExpr> out = new ArrayList<>(rank);
        for (int i = 0; i < rank; i++) {
            SymExpr acc = null;
            for (List<SymExpr> s : shapes) {
                int j = i - (rank - s.size());
                if (j < 0) {
                    continue;
                }
                SymExpr d = s.get(j);
                acc = acc == null ? d : broadcastDim(acc, d, shapes);
            }
            out.add(acc);
        }
        return out;
    }

    private SymExpr broadcastDim(SymExpr a, SymExpr b, List<List<SymExpr>> shapes) {
        if (a.equals(b)) {
            return a;
        }
        if (isOne(a)) {
            return b;
        }
        if (isOne(b)) {
            return a;
        }
        if (a.isConstant() && b.isConstant()) {
            throw error("shapes " + render(shapes) + " cannot be broadcast together: size " + a + " against " + b);
        }
        // A symbolic size against a constant c != 1: valid programs have the symbol equal to c (or 1).
        if (a.isConstant()) {
            return a;
        }
        if (b.isConstant()) {
            return b;
        }
        if (a.lowerBound() >= 1 && b.lowerBound() >= 1) {
            return SymExpr.max(a, b); // equal, or one of them is 1
        }
        throw unresolved("cannot tell how the symbolic sizes " + a + " and " + b + " broadcast");
    }

    private static boolean isOne(SymExpr e) {
        return e instanceof SymExpr.Const c && c.value() == 1;
    }

    static String render(List<List<SymExpr>> shapes) {
        List<String> s = new ArrayList<>();
        for (List<SymExpr> d : shapes) {
            s.add(Shape.of(d).toString());
        }
        return String.join(" and ", s);
    }

    /** Throws naming the node when two sizes provably differ. */
    public void requireEqual(SymExpr a, SymExpr b, String what) {
        if (ShapeMath.provablyDifferent(a, b)) {
            throw error(what + ": " + a + " != " + b);
        }
    }

    // --- outputs ---

    /** Says that output {@code i}, an int, has the value {@code e}. */
    public void defineInt(int i, SymExpr e) {
        defined[i] = ShapeMath.simplify(e);
    }

    SymExpr definedInt(int i) {
        return defined[i];
    }

    /** A tensor type from a dtype and sizes. */
    public static TensorType tensorType(DType dtype, List<SymExpr> dims) {
        List<SymExpr> simple = new ArrayList<>(dims.size());
        for (SymExpr d : dims) {
            simple.add(ShapeMath.simplify(d));
        }
        return new TensorType(dtype, Shape.of(simple));
    }
}
