package dev.kiln.passes.core;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.Args;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ViewWrites;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaArgument;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.passes.Ops;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Rewrites each op family the frontends produce to one canonical op, so converters and later passes
 * see one form, and drops inference no-ops. The canonical forms:
 * <ul>
 * <li>{@code aten::linear(x, W, b)} for {@code addmm(b, x, t(W))} (beta = alpha = 1),
 *     {@code mm(x, t(W))} and {@code matmul(x, t(W))} where {@code t(W)} is {@code aten::t},
 *     {@code transpose(0, 1)} or {@code permute([1, 0])} of a 2-d {@code W}; other {@code addmm}/{@code mm}/
 *     {@code matmul} stay as they are (they are not a layer);</li>
 * <li>{@code aten::reshape} for {@code view} and {@code _unsafe_view};</li>
 * <li>{@code aten::_to_copy} for {@code to.dtype} (the cast the precision pass also inserts);</li>
 * <li>{@code aten::convolution} for {@code conv1d/2d/3d} (int padding, or {@code "valid"}, or
 *     {@code "same"} when it is symmetric), {@code _convolution} and
 *     {@code conv_transpose1d/2d/3d}, with stride, padding, dilation and output padding spelled out per
 *     spatial dimension;</li>
 * <li>no node for inference no-ops: {@code dropout}-family (and its in-place forms) with {@code train=false}, {@code detach},
 *     {@code alias}, {@code lift_fresh}, {@code clone} and {@code contiguous} (no user observes memory
 *     format once views are reshapes), {@code _to_copy}/{@code to.dtype} to the input's own dtype, and
 *     asserts ({@code _assert_*}, {@code sym_constrain_range*}, their functional forms);</li>
 * <li>{@code .Tensor} overloads with a 0-d constant for {@code add/sub/mul/div.Scalar}, and
 *     {@code sub.Tensor} for {@code rsub} (operands swapped).</li>
 * </ul>
 *
 * <pre>{@code kiln opt --passes=canonicalize,dce model.kir}</pre>
 */
@AutoService(Pass.class)
public final class Canonicalize implements Pass {
    private static final Set<String> IDENTITY = Set.of("aten::detach", "aten::alias", "aten::lift_fresh",
            "aten::lift_fresh_copy", "aten::clone", "aten::contiguous");
    /** The identities above that copy (the others alias): dropped only while nothing writes into what they copy. */
    private static final Set<String> COPIES = Set.of("aten::clone", "aten::lift_fresh_copy");
    private static final Set<String> DROPOUT = Set.of("aten::dropout", "aten::feature_dropout", "aten::alpha_dropout",
            "aten::feature_alpha_dropout");
    private static final Set<String> ASSERTS = Set.of("aten::_assert_async", "aten::_assert_scalar",
            "aten::_assert_tensor_metadata", "aten::sym_constrain_range", "aten::sym_constrain_range_for_size",
            "aten::_functional_assert_async", "aten::_functional_sym_constrain_range",
            "aten::_functional_sym_constrain_range_for_size", "aten::_functional_assert_scalar");
    /** Ops that observe strides, so a {@code clone}/{@code contiguous} feeding them must stay. */
    private static final Set<String> STRIDE_OBSERVERS = Set.of("aten::as_strided", "aten::stride",
            "aten::is_contiguous", "aten::view", "aten::_unsafe_view", "aten::set_");

    @Override
    public String name() {
        return "canonicalize";
    }

    @Override
    public String description() {
        return "one canonical op per family (linear, reshape, convolution, .Tensor overloads); drops inference no-ops";
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        boolean changed = false;
        for (Node n : new ArrayList<>(graph.nodes())) {
            if (n.isRemoved()) {
                continue;
            }
            Optional<Runnable> rewrite = match(n);
            if (rewrite.isPresent()) {
                rewrite.get().run();
                changed = true;
            }
        }
        return changed;
    }

    /** The rewrite for {@code n}, found without touching the graph; empty when {@code n} is canonical. */
    static Optional<Runnable> match(Node n) {
        String name = n.schema().name();
        String op = n.op();
        Optional<Runnable> inPlace = matchInPlace(n);
        if (inPlace.isPresent()) {
            return inPlace;
        }
        Optional<Runnable> scalar = matchWideScalarConstant(n);
        if (scalar.isPresent()) {
            return scalar;
        }
        // dropout_ (nn.Dropout(inplace=True) in torch.export's training IR) writes nothing when train=false
        if ((DROPOUT.contains(name) || name.endsWith("_") && DROPOUT.contains(name.substring(0, name.length() - 1)))
                && n.arg("train") instanceof Arg.BoolLit t && !t.value()) {
            return forward(n, n.arg(0));
        }
        if (name.equals("aten::native_dropout") && n.arg("train") instanceof Arg.BoolLit t && !t.value()
                && !n.output(1).isUsed()) {
            return Optional.of(() -> Ops.replace(n, (Value) n.arg(0)));
        }
        // a copy is no copy to drop when the copy or what it copies is written in place (y = x.clone(); x.add_(1)),
        // also through another view of that memory (x = a.contiguous(); c = x.clone(); a.add_(1): c must not change)
        if (IDENTITY.contains(name) && n.arg(0) instanceof Value in && !observesStrides(n.output()) && !observesStrides(in)
                && !(COPIES.contains(name) && Ops.memoryWritten(in))) {
            return forward(n, n.arg(0));
        }
        if (ASSERTS.contains(name) && n.outputs().stream().noneMatch(Value::isUsed)) {
            return Optional.of(() -> n.graph().remove(n));
        }
        if ((op.equals("aten::_to_copy") || op.equals("aten::to.dtype")) && isSameDTypeCopy(n)
                && !(op.equals("aten::_to_copy") && n.arg(0) instanceof Value copied && Ops.memoryWritten(copied))) {
            return forward(n, n.arg(0));
        }
        if (op.equals("aten::to.dtype")) {
            return Optional.of(() -> replaceWith(n, "aten::_to_copy", List.of(n.arg("self")), Map.of(
                    "dtype", n.arg("dtype"), "non_blocking", n.arg("non_blocking"), "memory_format", n.arg("memory_format"))));
        }
        if (op.equals("aten::view") || op.equals("aten::_unsafe_view")) {
            return Optional.of(() -> replaceWith(n, "aten::reshape", List.of(n.arg(0), n.arg(1)), Map.of()));
        }
        if (op.equals("aten::addmm")) {
            return matchAddmm(n);
        }
        if (op.equals("aten::mm") || op.equals("aten::matmul")) {
            return transposedWeight(n.arg(1)).map(w -> () -> replaceWith(n, "aten::linear",
                    List.of(n.arg(0), w, Arg.NONE), Map.of()));
        }
        if (name.equals("aten::conv1d") || name.equals("aten::conv2d") || name.equals("aten::conv3d")) {
            return matchConv(n, false);
        }
        if (name.equals("aten::conv_transpose1d") || name.equals("aten::conv_transpose2d")
                || name.equals("aten::conv_transpose3d")) {
            return matchConv(n, true);
        }
        if (op.equals("aten::size.int")) {
            // TorchScript's x.size(d) is torch.export's sym_size.int: same schema, one canonical spelling
            return Optional.of(() -> replaceWith(n, "aten::sym_size.int", List.of(n.arg(0), n.arg(1)), Map.of()));
        }
        if (op.equals("aten::_convolution")) {
            return Optional.of(() -> replaceWith(n, "aten::convolution", n.args().subList(0, 9), Map.of()));
        }
        return matchScalarOverloads(n);
    }

    private static Optional<Runnable> forward(Node n, Arg input) {
        if (!(input instanceof Value v) || n.outputs().size() != 1) {
            return Optional.empty();
        }
        return Optional.of(() -> Ops.replace(n, v));
    }

    private static boolean observesStrides(Value v) {
        for (Node u : v.users()) {
            if (STRIDE_OBSERVERS.contains(u.schema().name()) || u.schema().mutates()) {
                return true;
            }
            // a write into a view of the copy (y = x.clone(); y[0] += 1) must not reach what was copied
            if (makesView(u) && u.outputs().stream().anyMatch(Canonicalize::observesStrides)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSameDTypeCopy(Node n) {
        if (!(n.arg(0) instanceof Value in) || !(in.type() instanceof TensorType t) || t.dtype().isEmpty()) {
            return false;
        }
        Arg dtype = n.arg("dtype");
        boolean same = dtype.isNone() || dtype instanceof Arg.DTypeLit d && d.value() == t.dtype().get();
        if (n.op().equals("aten::_to_copy")) {
            return same && n.arg("layout").isNone() && isCpuOrNone(n.arg("device")) && keepsFormat(n.arg("memory_format"));
        }
        return same && !(n.arg("copy") instanceof Arg.BoolLit c && c.value());
    }

    private static boolean isCpuOrNone(Arg a) {
        return a.isNone();
    }

    private static boolean keepsFormat(Arg a) {
        return a.isNone() || a instanceof Arg.MemoryFormatLit m
                && (m.value().equals("preserve_format") || m.value().equals("contiguous_format"));
    }

    private static Optional<Runnable> matchAddmm(Node n) {
        if (!Ops.isLiteral(n.arg("beta"), 1) || !Ops.isLiteral(n.arg("alpha"), 1)) {
            return Optional.empty();
        }
        return transposedWeight(n.arg("mat2")).map(w -> () -> replaceWith(n, "aten::linear",
                List.of(n.arg("mat1"), w, n.arg("self")), Map.of()));
    }

    /** {@code W} when {@code a} is {@code t(W)}, {@code transpose(W, 0, 1)} or {@code permute(W, [1, 0])} of a 2-d W. */
    private static Optional<Value> transposedWeight(Arg a) {
        if (!(a instanceof Value v) || v.producer().isEmpty()) {
            return Optional.empty();
        }
        Node p = v.producer().get();
        if (!(p.arg(0) instanceof Value w) || !isRank(w, 2)) {
            return Optional.empty();
        }
        boolean isT = p.op().equals("aten::t")
                || p.op().equals("aten::transpose.int") && isPair(p.arg(1), p.arg(2))
                || p.op().equals("aten::permute") && p.arg(1) instanceof Arg.ListArg l && l.elements().size() == 2
                        && Ops.isLiteral(l.elements().get(0), 1) && Ops.isLiteral(l.elements().get(1), 0);
        return isT ? Optional.of(w) : Optional.empty();
    }

    private static boolean isPair(Arg a, Arg b) {
        return (Ops.isLiteral(a, 0) || Ops.isLiteral(a, -2)) && (Ops.isLiteral(b, 1) || Ops.isLiteral(b, -1))
                || (Ops.isLiteral(b, 0) || Ops.isLiteral(b, -2)) && (Ops.isLiteral(a, 1) || Ops.isLiteral(a, -1));
    }

    private static boolean isRank(Value v, int rank) {
        return v.type() instanceof TensorType t && t.shape().isRanked() && t.rank() == rank;
    }

    private static Optional<Runnable> matchConv(Node n, boolean transposed) {
        int spatial = n.schema().name().charAt(n.schema().name().length() - 2) - '0';
        Arg padding = n.arg("padding");
        if (padding instanceof Arg.StrLit mode) {
            Optional<Arg> explicit = explicitPadding(n, mode.value(), spatial);
            if (explicit.isEmpty()) {
                return Optional.empty(); // asymmetric 'same' padding has no convolution form: left to the converter
            }
            padding = explicit.get();
        } else if (!(padding instanceof Arg.ListArg) && !(padding instanceof Arg.IntLit)) {
            return Optional.empty();
        }
        List<Arg> args = List.of(n.arg("input"), n.arg("weight"), n.arg("bias"),
                expand(n.arg("stride"), spatial), expand(padding, spatial), expand(n.arg("dilation"), spatial),
                new Arg.BoolLit(transposed),
                transposed ? expand(n.arg("output_padding"), spatial) : Arg.ints(new long[spatial]),
                n.arg("groups"));
        return Optional.of(() -> replaceWith(n, "aten::convolution", args, Map.of()));
    }

    /**
     * {@code padding="valid"} is zeros; {@code "same"} (stride 1) is {@code dilation * (k - 1) / 2} per
     * side when that is a whole number and the kernel size is static, else empty (PyTorch then pads
     * one more on the right, which {@code convolution} cannot say).
     */
    private static Optional<Arg> explicitPadding(Node n, String mode, int spatial) {
        if (mode.equals("valid")) {
            return Optional.of(Arg.ints(new long[spatial]));
        }
        if (!mode.equals("same") || !(n.arg("weight") instanceof Value w) || !(w.type() instanceof TensorType t)
                || !t.shape().isRanked() || t.rank() != spatial + 2 || !t.shape().isStatic()) {
            return Optional.empty();
        }
        long[] k = t.shape().staticSizes().orElseThrow();
        long[] stride = Args.toLongs(expand(n.arg("stride"), spatial), n, "stride");
        long[] dilation = Args.toLongs(expand(n.arg("dilation"), spatial), n, "dilation");
        long[] pad = new long[spatial];
        for (int i = 0; i < spatial; i++) {
            long total = dilation[i] * (k[i + 2] - 1);
            if (stride[i] != 1 || total % 2 != 0) {
                return Optional.empty();
            }
            pad[i] = total / 2;
        }
        return Optional.of(Arg.ints(pad));
    }

    /** {@code int[N]} arguments given as one value are broadcast, as ATen does. */
    private static Arg expand(Arg a, int n) {
        List<Arg> items = a instanceof Arg.ListArg l ? l.elements() : List.of(a);
        if (items.size() == n) {
            return new Arg.ListArg(items);
        }
        List<Arg> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(items.get(items.size() == 1 ? 0 : i));
        }
        return new Arg.ListArg(out);
    }

    private static Optional<Runnable> matchScalarOverloads(Node n) {
        String op = n.op();
        if (op.endsWith(".Scalar") && n.schema().indexOf("other").isPresent() && n.arg("other") instanceof Value) {
            return Optional.empty(); // a symbolic scalar has no 0-d constant form
        }
        switch (op) {
            case "aten::add.Scalar":
            case "aten::sub.Scalar":
                return Optional.of(() -> {
                    Value s = scalarConstant(n, n.arg("other"));
                    replaceWith(n, n.schema().name() + ".Tensor", List.of(n.arg(0), s, n.arg("alpha")), Map.of());
                });
            case "aten::mul.Scalar":
            case "aten::div.Scalar":
                return Optional.of(() -> {
                    Value s = scalarConstant(n, n.arg("other"));
                    replaceWith(n, n.schema().name() + ".Tensor", List.of(n.arg(0), s), Map.of());
                });
            case "aten::rsub.Scalar":
                return Optional.of(() -> {
                    Value s = scalarConstant(n, n.arg("other"));
                    replaceWith(n, "aten::sub.Tensor", List.of(s, n.arg(0), n.arg("alpha")), Map.of());
                });
            case "aten::rsub.Tensor":
                return Optional.of(() -> replaceWith(n, "aten::sub.Tensor",
                        List.of(n.arg("other"), n.arg("self"), n.arg("alpha")), Map.of()));
            default:
                return Optional.empty();
        }
    }

    /** A 0-d constant for a Scalar literal; a Value scalar (symbolic) is passed as it is, which the .Tensor schema rejects. */
    private static Value scalarConstant(Node n, Arg a) {
        Graph g = n.graph();
        if (a instanceof Arg.FloatLit f) {
            return Ops.scalarConstant(g, "scalar", DType.FLOAT32, f.value());
        }
        if (a instanceof Arg.BoolLit b) {
            return Ops.scalarConstant(g, "scalar", DType.BOOL, b.value() ? 1 : 0);
        }
        return Ops.scalarConstant(g, "scalar", DType.INT64, ((Arg.IntLit) a).value());
    }

    /**
     * An in-place op ({@code aten::relu_}, {@code aten::add_.Tensor}: torch.export's training IR keeps
     * them) becomes its functional twin, and every later reader of the written tensor reads the result
     * instead. Only when nothing else can see the write: the written tensor is not a view of another
     * and no view of it exists; otherwise the node stays, and the converter registry explains it.
     */
    private static Optional<Runnable> matchInPlace(Node n) {
        String name = n.schema().name();
        List<SchemaArgument> args = n.schema().arguments();
        if (!name.endsWith("_") || name.endsWith("__") || args.isEmpty() || !args.get(0).isMutated()
                || n.outputs().size() != 1 || !(n.arg(0) instanceof Value self)) {
            return Optional.empty();
        }
        for (int i = 1; i < args.size(); i++) {
            if (args.get(i).isMutated()) {
                return Optional.empty();
            }
        }
        Optional<OpSchema> functional = SchemaRegistry.standard().find(name.substring(0, name.length() - 1),
                n.schema().overload());
        if (functional.isEmpty() || !sameArguments(functional.get(), n.schema())) {
            return Optional.empty();
        }
        if (isView(self)) {
            return matchWriteIntoSlice(n, self, functional.get());
        }
        if (self.users().stream().anyMatch(u -> u != n && makesView(u))) {
            return Optional.empty();
        }
        return Optional.of(() -> {
            Graph g = n.graph();
            String keepName = n.output().name();
            Node r = g.insertBefore(n, functional.get(), n.args(), List.of(n.output().type()));
            Value written = r.output();
            int at = g.indexOf(r);
            for (Node u : new ArrayList<>(self.users())) {
                if (u != n && !u.isRemoved() && g.indexOf(u) > at) {
                    for (int i = 0; i < u.args().size(); i++) {
                        Arg a = u.args().get(i);
                        Arg b = substitute(a, self, written);
                        if (b != a) {
                            u.setArg(i, b);
                        }
                    }
                }
            }
            if (g.outputs().contains(self)) {
                List<Value> outs = new ArrayList<>(g.outputs());
                outs.replaceAll(v -> v == self ? written : v);
                g.setOutputs(outs);
            }
            Ops.replace(n, written);
            Ops.rename(written, keepName);
        });
    }

    private static final Set<String> ARITHMETIC = Set.of("aten::add.Tensor", "aten::sub.Tensor", "aten::mul.Tensor",
            "aten::div.Tensor", "aten::div.Tensor_mode");

    /**
     * A traced Python number arrives as a 0-d f64 constant ({@code x * 2.0}). Against a tensor of
     * rank >= 1 and a floating dtype, a 0-d tensor of the same category does not change the result's
     * dtype (PyTorch's promotion), and the kernel computes in the result's dtype anyway: the constant
     * becomes one of that dtype, which TensorRT (no f64) can take.
     */
    private static Optional<Runnable> matchWideScalarConstant(Node n) {
        if (!ARITHMETIC.contains(n.op())) {
            return Optional.empty();
        }
        for (int i = 0; i < 2; i++) {
            if (n.arg(i) instanceof Value c && c.constant().isPresent() && c.constant().get().rank() == 0
                    && c.constant().get().dtype() == DType.FLOAT64
                    && n.arg(1 - i) instanceof Value t && t.type() instanceof TensorType tt && tt.isComplete()
                    && tt.rank() >= 1 && tt.elementType().isFloatingPoint() && tt.elementType() != DType.FLOAT64) {
                int at = i;
                DType to = tt.elementType();
                double v = c.constant().get().getDouble(0);
                return Optional.of(() -> n.setArg(at, Ops.scalarConstant(n.graph(), c.name(), to, v)));
            }
        }
        return Optional.empty();
    }

    /**
     * An in-place op writing into a slice or a select of a tensor ({@code x[:, 0] += 1}, {@code x[1:3] *= s},
     * {@code x[0] = t} as TorchScript writes them) becomes the functional op on the view and a
     * {@code slice_scatter}/{@code select_scatter} of the result into the tensor; later readers of the tensor read
     * the scatter and later readers of the view the result, as functionalization does; a view of a view
     * ({@code x[0:2, 1:3]}) is scattered back level by level. Only when the write reads no other view of the tensor
     * and every tensor of the chain has no other view read after the write,
     * and the dtypes are floating (an integer view written with a float would promote in the functional op);
     * otherwise the node stays.
     */
    private static Optional<Runnable> matchWriteIntoSlice(Node n, Value view, OpSchema functional) {
        // the chain of slices and selects from the written view up to a tensor that is no view (x[0:2, 1:3] is two)
        List<Node> chain = ViewWrites.sliceChain(view);
        Value cur = view;
        Node user = n;
        for (Node v : chain) {
            Value owner = cur;
            Node reader = user;
            if (owner.users().stream().anyMatch(u -> u != reader && makesView(u) && earlier(u, n))) {
                return Optional.empty();
            }
            user = v;
            cur = (Value) v.arg(0);
        }
        if (isView(cur)) {
            return Optional.empty(); // below the slices, another kind of view
        }
        Value base = cur;
        Node top = user;
        // the write reads another view of the tensor (x[1:3] += x[0:2]): PyTorch reads it while writing, element by
        // element, so overlapping parts see the write; a functional rewrite would read it all first
        for (int i = 1; i < n.args().size(); i++) {
            if (n.arg(i) instanceof Value other && rootOf(other) == base) {
                return Optional.empty();
            }
        }
        // (views taken after the write read the written tensor once the readers are redirected)
        if (chain.isEmpty() || base.users().stream().anyMatch(u -> u != top && makesView(u) && earlier(u, n))
                || !(view.type() instanceof TensorType vt) || !vt.dtype().map(DType::isFloatingPoint).orElse(false)
                || !(base.type() instanceof TensorType bt) || !bt.dtype().equals(vt.dtype())
                || !(n.output().type() instanceof TensorType ot) || !ot.dtype().equals(vt.dtype())) {
            return Optional.empty();
        }
        return Optional.of(() -> {
            Graph g = n.graph();
            String keepName = n.output().name();
            Node r = g.insertBefore(n, functional, n.args(), List.of(n.output().type()));
            // scatter the result back level by level: each view's tensor, written, ends in the one below
            List<Value> written = ViewWrites.scatterBack(chain, r.output(),
                    (schema, args, type, into) -> g.insertBefore(n, schema, args, List.of(type)).output());
            int at = g.indexOf(n) - 1;
            readLater(g, view, r.output(), at);
            for (int i = 0; i < chain.size(); i++) {
                readLater(g, (Value) chain.get(i).arg(0), written.get(i), at);
            }
            Ops.replace(n, r.output());
            Ops.rename(r.output(), keepName);
        });
    }

    /** The tensor {@code v} is a view of (through any chain of views), or {@code v} itself. */
    private static Value rootOf(Value v) {
        Value cur = v;
        while (isView(cur) && cur.producer().orElseThrow().arg(0) instanceof Value parent) {
            cur = parent;
        }
        return cur;
    }

    /**
     * Whether view {@code u} was taken before the write {@code n} and is read after it (it would have to see the write;
     * a view read only up to the write, such as the operand of {@code a[1] += a[0]}, does not).
     */
    private static boolean earlier(Node u, Node n) {
        Graph g = n.graph();
        if (u.graph() != g || g.indexOf(u) >= g.indexOf(n)) {
            return false;
        }
        for (Value o : u.outputs()) {
            if (g.outputs().contains(o) || o.users().stream().anyMatch(r -> r != n && (r.graph() != g || g.indexOf(r) > g.indexOf(n)
                    || makesView(r) && earlier(r, n)))) {
                return true;
            }
        }
        return false;
    }

    /** Nodes after index {@code at}, and the graph's outputs, read {@code replacement} where they read {@code old}. */
    private static void readLater(Graph g, Value old, Value replacement, int at) {
        for (Node u : new ArrayList<>(old.users())) {
            if (!u.isRemoved() && g.indexOf(u) > at) {
                for (int i = 0; i < u.args().size(); i++) {
                    Arg a = u.args().get(i);
                    Arg b = substitute(a, old, replacement);
                    if (b != a) {
                        u.setArg(i, b);
                    }
                }
            }
        }
        if (g.outputs().contains(old)) {
            List<Value> outs = new ArrayList<>(g.outputs());
            outs.replaceAll(x -> x == old ? replacement : x);
            g.setOutputs(outs);
        }
    }

    private static boolean sameArguments(OpSchema a, OpSchema b) {
        if (a.arguments().size() != b.arguments().size() || a.returns().size() != b.returns().size()) {
            return false;
        }
        for (int i = 0; i < a.arguments().size(); i++) {
            SchemaArgument x = a.arguments().get(i);
            SchemaArgument y = b.arguments().get(i);
            if (!x.name().equals(y.name()) || !x.type().equals(y.type())) {
                return false;
            }
        }
        return true;
    }

    /** The value is a view: its producer returns an alias of an argument without writing it. */
    private static boolean isView(Value v) {
        return v.producer().map(Canonicalize::makesView).orElse(false);
    }

    private static boolean makesView(Node n) {
        return n.schema().returns().stream().anyMatch(r -> r.alias().isPresent() && !r.isMutated());
    }

    private static Arg substitute(Arg a, Value old, Value replacement) {
        if (a == old) {
            return replacement;
        }
        if (a instanceof Arg.ListArg l) {
            List<Arg> out = new ArrayList<>(l.elements().size());
            boolean changed = false;
            for (Arg e : l.elements()) {
                Arg r = substitute(e, old, replacement);
                changed |= r != e;
                out.add(r);
            }
            return changed ? new Arg.ListArg(out) : a;
        }
        return a;
    }

    /** Replaces {@code n} by {@code op} on {@code args}, keeping its output type and taking over its output's name. */
    private static void replaceWith(Node n, String op, List<? extends Arg> args, Map<String, Arg> kw) {
        Type type = n.output().type();
        String keepName = n.output().name();
        Node r = Ops.insertBefore(n, op, args, kw, type);
        Ops.replace(n, r.output());
        Ops.rename(r.output(), keepName);
    }
}
