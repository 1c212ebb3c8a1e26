package dev.kiln.passes.eval;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaArgument;
import dev.kiln.ir.schema.SchemaType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolType;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Dispatcher;
import org.bytedeco.pytorch.FloatType;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.IntType;
import org.bytedeco.pytorch.Operator;
import org.bytedeco.pytorch.OperatorHandle;
import org.bytedeco.pytorch.OperatorName;
import org.bytedeco.pytorch.SingletonTypePtr;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorType;
import org.bytedeco.pytorch.Type;
import org.bytedeco.pytorch.global.torch;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Evaluates one IR node on the CPU with libtorch, through the c10 dispatcher ({@code callBoxed}), so
 * any ATen op libtorch 2.5.1 knows runs without per-op code. Constant inputs are handed to libtorch
 * without a copy ({@code from_blob} over their off-heap bytes); results are copied once into fresh
 * {@link ConstantTensor}s. Every native object lives in a {@link PointerScope} closed before the
 * call returns, and libtorch errors become {@link KilnException}s naming the node.
 *
 * <pre>{@code List<ConstantTensor> out = TorchEval.evaluate(node, Map.of(x, xData));}</pre>
 */
public final class TorchEval {
    static {
        dev.kiln.ir.JavaCppDefaults.apply(); // before anything loads JavaCPP
    }

    private static final Map<Integer, torch.ScalarType> SCALAR_TYPES = new HashMap<>();

    static {
        for (torch.ScalarType t : torch.ScalarType.values()) {
            SCALAR_TYPES.putIfAbsent((int) t.value, t);
        }
    }

    private TorchEval() {
    }

    /**
     * Whether libtorch may use oneDNN (mkldnn) for CPU ops: off unless {@code -Dkiln.torch.onednn=true}.
     * libtorch 2.5.1's oneDNN BRGEMM convolution dies with SIGSEGV in {@code perform_outwork} when a block
     * of the output lies wholly in the padding (oneDNN issue 5942, fixed upstream in 2026, after this
     * libtorch); Kiln's conformance kit met it with generated convolutions on the GPU machine's CPU and the
     * JVM went down with it. Without oneDNN, libtorch runs its own convolution kernels: slower on the
     * CPU, and CPU convolutions are rare in Kiln (TensorRT takes them), but they cannot crash the JVM.
     */
    public static final String ONEDNN_PROPERTY = "kiln.torch.onednn";

    private static final class OneDnn {
        static {
            if (!Boolean.getBoolean(ONEDNN_PROPERTY)) {
                torch.globalContext().setUserEnabledMkldnn(false);
            }
        }

        static void configure() {
            // the static initializer above runs once, on first use
        }
    }

    /**
     * Runs {@code node} on {@code inputs} (every tensor value it reads, by value) and returns its
     * outputs as constants, in output order. Non-tensor outputs (ints of {@code sym_size}) come back
     * as 0-d i64/f64/bool tensors.
     */
    public static List<ConstantTensor> evaluate(Node node, Map<Value, ConstantTensor> inputs) {
        try (PointerScope scope = new PointerScope()) {
            List<IValue> outs = call(node, v -> {
                ConstantTensor c = inputs.get(v);
                if (c == null) {
                    c = v.constant().orElseThrow(() -> KilnException.at(node, "no value for input %" + v.name()));
                }
                return new IValue(toTorch(c));
            });
            List<ConstantTensor> result = new ArrayList<>(outs.size());
            for (IValue o : outs) {
                result.add(toConstant(node, o));
            }
            java.lang.ref.Reference.reachabilityFence(inputs);
            java.lang.ref.Reference.reachabilityFence(node);
            return result;
        }
    }

    /**
     * Calls the node's op with arguments read through {@code env} and returns the raw outputs. The
     * returned objects belong to the caller's enclosing {@link PointerScope}.
     */
    public static List<IValue> call(Node node, Function<Value, IValue> env) {
        return call(node, null, env);
    }

    /** {@link #call(Node, Function)} for a node {@link #prepare}d once, called again and again (the libtorch interpreter's). */
    public static List<IValue> call(Prepared prepared, Function<Value, IValue> env) {
        return call(prepared.node, prepared.literals, env);
    }

    /**
     * A node made ready to call many times: its literal arguments (numbers, int lists, dtypes) made into libtorch
     * values once, owned here until {@link #close}, instead of at every call; its operator is found once anyway
     * ({@link #operator}). An argument the op writes in place is made at each call.
     */
    public static final class Prepared implements AutoCloseable {
        private final Node node;
        private final IValue[] literals;

        private Prepared(Node node, IValue[] literals) {
            this.node = node;
            this.literals = literals;
        }

        public Node node() {
            return node;
        }

        @Override
        public void close() {
            for (int i = 0; i < literals.length; i++) {
                if (literals[i] != null) {
                    literals[i].releaseReference();
                    literals[i] = null;
                }
            }
        }
    }

    /** {@code node} {@link Prepared}: the caller closes it. */
    public static Prepared prepare(Node node) {
        List<SchemaArgument> schemaArgs = node.schema().arguments();
        IValue[] literals = new IValue[node.args().size()];
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < literals.length; i++) {
                Arg a = node.arg(i);
                boolean written = i < schemaArgs.size() && schemaArgs.get(i).isMutated();
                if (a.values().isEmpty() && !written) {
                    SchemaType type = i < schemaArgs.size() ? schemaArgs.get(i).type() : SchemaType.named("Any");
                    try {
                        literals[i] = toIValue(node, a, type, v -> {
                            throw new IllegalStateException("a literal reads %" + v.name());
                        });
                    } catch (RuntimeException notALibtorchValue) {
                        continue; // made (and refused, naming the node) when the node runs, as without preparing
                    }
                    literals[i].retainReference(); // past the scope: the Prepared's until close
                }
            }
        }
        return new Prepared(node, literals);
    }

    private static List<IValue> call(Node node, IValue[] literals, Function<Value, IValue> env) {
        OneDnn.configure();
        if (node.op().equals("prim::ListUnpack")) {
            return unpack(node, env);
        }
        Pointer resolved = operator(node);
        OperatorHandle op = resolved instanceof OperatorHandle h ? h : null;
        Operator jit = resolved instanceof Operator o ? o : null;
        // sized once: push_back is three native calls (size, resize, put), put one
        IValueVector stack = new IValueVector(node.args().size());
        List<SchemaArgument> schemaArgs = node.schema().arguments();
        for (int i = 0; i < node.args().size(); i++) {
            SchemaType type = i < schemaArgs.size() ? schemaArgs.get(i).type() : SchemaType.named("Any");
            stack.put(i, literals != null && literals[i] != null ? literals[i] : toIValue(node, node.arg(i), type, env));
        }
        try {
            if (op != null) {
                op.callBoxed(stack);
            } else {
                jit.getOperation().apply(stack);
            }
        } catch (RuntimeException e) {
            throw KilnException.at(node, "libtorch failed to evaluate the op on the CPU: " + firstLine(e.getMessage()));
        }
        // copies: IValueVector.get is a reference into the stack's storage, which the garbage collector frees with the
        // stack once this method returns; a kept reference then reads freed or reused memory (the control-flow
        // property's rare garbage outputs, 2026-12-05)
        List<IValue> outs = new ArrayList<>();
        for (long i = 0; i < stack.size(); i++) {
            outs.add(new IValue(stack.get(i)));
        }
        return outs;
    }

    /**
     * Libtorch's operators by qualified name, found once (a dispatcher lookup is a string search, and an op outside the
     * dispatcher is found only after that search throws): a dispatcher handle or a JIT-registry operator, each retained
     * so that no pointer scope frees it, kept for the life of the process as libtorch keeps its operator table.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, Pointer> OPERATORS = new java.util.concurrent.ConcurrentHashMap<>();

    private static Pointer operator(Node node) {
        Pointer cached = OPERATORS.get(node.op());
        if (cached != null) {
            return cached;
        }
        String[] parts = split(node.op());
        Pointer found;
        try {
            found = Dispatcher.singleton().findSchemaOrThrow(parts[0], parts[1]);
        } catch (RuntimeException e) {
            // not a dispatcher op: scalar ops such as aten::add.int and prim::max.int live in the JIT registry
            Operator jit = torch.findOperatorFor(new OperatorName(parts[0], parts[1]));
            if (jit == null || jit.isNull()) {
                throw KilnException.at(node, "libtorch has no operator " + node.op() + " to evaluate it on the CPU");
            }
            found = jit;
        }
        found.retainReference();
        Pointer raced = OPERATORS.putIfAbsent(node.op(), found);
        if (raced != null) {
            found.releaseReference();
            return raced;
        }
        return found;
    }

    /**
     * The truth of a {@code kiln::cond}'s predicate at run time: a bool, an int (non-zero) or a one-element tensor, as
     * Python's {@code if} reads it.
     */
    public static boolean predicate(Node cond, IValue v) {
        if (v.isBool()) {
            return v.toBool();
        }
        if (v.isInt()) {
            return v.toInt() != 0;
        }
        if (v.isTensor()) {
            Tensor t = v.toTensor();
            if (t.numel() != 1) {
                throw KilnException.at(cond, "the branch condition is a tensor of " + t.numel()
                        + " elements; a condition needs exactly one");
            }
            return t.item().toBool();
        }
        throw KilnException.at(cond, "the branch condition is a " + v.tagKind().getString() + ", not a bool or a tensor");
    }

    /** A {@code kiln::loop}'s trip count at run time: an int, or a one-element integer tensor. */
    public static long tripCount(Node loop, IValue v) {
        if (v.isInt()) {
            return v.toInt();
        }
        if (v.isTensor() && v.toTensor().numel() == 1) {
            return v.toTensor().item().toLong();
        }
        throw KilnException.at(loop, "the trip count is a " + v.tagKind().getString() + ", not an int");
    }

    /**
     * A {@code kiln::loop}'s scan output {@code k} ({@link dev.kiln.ir.ControlFlow}): the tensors its body gave for it,
     * one per trip (borrowed), stacked along a new leading dimension into a new tensor. After no trips, an empty tensor
     * of the output's declared shape ({@code [0, ...]}) on the CPU: its sizes past the first are constants, or
     * expressions of symbols that {@code live} (the tensors alive where the loop runs, with their declared types) gives
     * sizes to, e.g. the batch {@code s0} of a state {@code [s0, 64]} the loop started from; otherwise a refusal naming
     * the loop. (PyTorch's {@code torch.stack} and {@code torch.cat} raise on an empty list; Kiln's stack of a list with
     * no element is this empty tensor, and a list with elements from before the loop stacks them in front of it.)
     */
    public static Tensor stackTrips(Node loop, int k, List<Tensor> trips, Map<Value, IValue> live) {
        if (!trips.isEmpty()) {
            return torch.stack(new org.bytedeco.pytorch.TensorVector(trips.toArray(new Tensor[0])), 0);
        }
        Value out = loop.output(dev.kiln.ir.ControlFlow.carried(loop).size() + k);
        if (out.type() instanceof dev.kiln.ir.TensorType t && t.dtype().isPresent() && t.shape().isRanked() && t.rank() >= 1) {
            Map<String, Long> sizes = symbolSizes(live);
            long[] dims = new long[t.rank()];
            boolean known = true;
            for (int d = 1; d < dims.length; d++) {
                dev.kiln.ir.SymExpr e = t.shape().dim(d);
                if (e.symbols().stream().allMatch(s -> sizes.containsKey(s.name()))) {
                    dims[d] = e.evaluate(sizes);
                } else {
                    known = false;
                }
            }
            if (known) {
                return torch.empty(dims, new TensorOptions(scalarType(t.dtype().get())), new org.bytedeco.pytorch.MemoryFormatOptional());
            }
        }
        throw KilnException.at(loop, "the loop ran no trips, so the list its body appends to (%" + out.name() + ") is empty,"
                + " and the shape of its elements (" + out.type().text() + ") is not known without one; PyTorch's"
                + " torch.stack and torch.cat raise on an empty list too: give inputs for which the loop runs at least once");
    }

    /**
     * The sizes of the symbols that stand alone as a dimension in the declared types of {@code live}'s tensors ({@code
     * %h : tensor<f32, [s0, 64]>} holding a [3, 64] tensor gives {@code s0 = 3}).
     */
    static Map<String, Long> symbolSizes(Map<Value, IValue> live) {
        Map<String, Long> sizes = new HashMap<>();
        for (Map.Entry<Value, IValue> e : live.entrySet()) {
            if (e.getKey().type() instanceof dev.kiln.ir.TensorType t && t.shape().isRanked() && e.getValue().isTensor()) {
                Tensor x = e.getValue().toTensor();
                if (x.dim() != t.rank()) {
                    continue;
                }
                for (int d = 0; d < t.rank(); d++) {
                    if (t.shape().dim(d) instanceof dev.kiln.ir.SymExpr.Sym s) {
                        sizes.putIfAbsent(s.symbol().name(), x.size(d));
                    }
                }
            }
        }
        return sizes;
    }

    /**
     * Graph input {@code in} of type {@code p} (int, float or bool) given as the one-element tensor {@code t}, as the
     * number ops such as {@code mul.Scalar} read it: how numbers cross process and segment boundaries.
     */
    public static IValue numberInput(String graph, Value in, dev.kiln.ir.PrimitiveType p, Tensor t) {
        if (t.numel() != 1) {
            long[] sizes = new long[(int) t.dim()];
            for (int d = 0; d < sizes.length; d++) {
                sizes[d] = t.size(d);
            }
            throw new KilnException("graph " + graph + ": input %" + in.name() + " is " + p.text()
                    + "; pass a one-element tensor, not one of shape " + java.util.Arrays.toString(sizes));
        }
        switch (p) {
            case INT:
                return new IValue(t.item().toLong());
            case FLOAT:
                return new IValue(t.item().toDouble());
            case BOOL:
                return new IValue(t.item().toBool());
            default:
                throw new KilnException("graph " + graph + ": input %" + in.name() + " of type " + p.text()
                        + " cannot be given as a tensor");
        }
    }

    /** A control-flow node's argument: a value read through {@code env}, or an int, float or bool literal. */
    public static IValue literalOrRead(Arg a, Function<Value, IValue> env) {
        if (a instanceof Value v) {
            return env.apply(v);
        }
        if (a instanceof Arg.IntLit i) {
            return new IValue(i.value());
        }
        if (a instanceof Arg.FloatLit f) {
            return new IValue(f.value());
        }
        if (a instanceof Arg.BoolLit b) {
            return new IValue(b.value());
        }
        throw new KilnException("a control-flow argument must be a value or a number, not " + a);
    }

    /** {@code prim::ListUnpack}: the elements of the list, one per output. */
    private static List<IValue> unpack(Node node, Function<Value, IValue> env) {
        if (!(node.arg(0) instanceof Value v)) {
            throw KilnException.at(node, "unpacks a literal, not a list value");
        }
        IValue list = env.apply(v);
        if (!list.isList()) {
            throw KilnException.at(node, "the value %" + v.name() + " is not a list");
        }
        GenericList l = list.toList();
        if (l.size() != node.outputs().size()) {
            throw KilnException.at(node, "the list has " + l.size() + " elements but the node has "
                    + node.outputs().size() + " outputs");
        }
        List<IValue> out = new ArrayList<>();
        for (long i = 0; i < l.size(); i++) {
            out.add(l.get(i));
        }
        return out;
    }

    /**
     * A libtorch tensor over the constant's bytes (no copy; read-only use only). Nothing ties the constant's memory to
     * the tensor: the caller keeps {@code c} reachable while the tensor is in use ({@link
     * java.lang.ref.Reference#reachabilityFence}), or the collector may free the bytes under libtorch (a graph input
     * read after its last Java use came back as garbage, 2026-12-05).
     */
    public static Tensor toTorch(ConstantTensor c) {
        ByteBuffer data = c.data();
        Pointer p = data.capacity() == 0 ? new BytePointer(1) : new Pointer(data);
        return torch.from_blob(p, c.sizes(), new TensorOptions(scalarType(c.dtype())));
    }

    /** Copies a libtorch tensor (any layout) into a fresh constant. */
    public static ConstantTensor toConstant(Tensor t) {
        try (PointerScope scope = new PointerScope()) {
            Tensor c = t.contiguous();
            DType dtype = DType.fromC10(c.scalar_type().intern().value)
                    .orElseThrow(() -> new KilnException("libtorch returned a tensor of unsupported type " + c.scalar_type()));
            long[] sizes = new long[(int) c.dim()];
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = c.size(i);
            }
            ByteBuffer out = ConstantTensor.allocate(dtype, sizes);
            long n = c.nbytes();
            if (n > 0) {
                ByteBuffer src = new BytePointer(c.data_ptr()).capacity(n).limit(n).asByteBuffer();
                out.put(src);
                out.flip();
            }
            return new ConstantTensor(dtype, sizes, out);
        }
    }

    public static torch.ScalarType scalarType(DType t) {
        torch.ScalarType s = SCALAR_TYPES.get(t.c10Code());
        if (s == null) {
            throw new KilnException("libtorch has no scalar type for " + t.text());
        }
        return s;
    }

    static ConstantTensor toConstant(Value out, IValue v) {
        if (v.isTensor() || v.isInt() || v.isDouble() || v.isBool()) {
            return toConstant((Node) null, v);
        }
        throw new KilnException("value %" + out.name() + " is not a tensor or number and cannot become a constant");
    }

    static ConstantTensor toConstant(Node node, IValue v) {
        if (v.isTensor()) {
            return toConstant(v.toTensor());
        }
        if (v.isInt()) {
            return ConstantTensor.ofLongs(new long[0], v.toInt());
        }
        if (v.isDouble()) {
            return ConstantTensor.scalar(DType.FLOAT64, v.toDouble());
        }
        if (v.isBool()) {
            return ConstantTensor.scalar(DType.BOOL, v.toBool() ? 1 : 0);
        }
        throw KilnException.at(node, "the op returned a value that is not a tensor or number; it cannot become a constant");
    }

    static IValue toIValue(Node node, Arg a, SchemaType type, Function<Value, IValue> env) {
        if (a instanceof Value v) {
            return env.apply(v);
        }
        if (a instanceof Arg.NoneLit) {
            return new IValue();
        }
        if (a instanceof Arg.IntLit i) {
            String base = baseName(type);
            if (base.equals("float")) {
                return new IValue((double) i.value());
            }
            return new IValue(i.value());
        }
        if (a instanceof Arg.FloatLit f) {
            return new IValue(f.value());
        }
        if (a instanceof Arg.BoolLit b) {
            return new IValue(b.value());
        }
        if (a instanceof Arg.StrLit s) {
            return new IValue(s.value());
        }
        if (a instanceof Arg.DTypeLit d) {
            return new IValue((long) d.value().c10Code());
        }
        if (a instanceof Arg.DeviceLit) {
            return new IValue(new Device("cpu")); // evaluation always runs on the CPU
        }
        if (a instanceof Arg.LayoutLit) {
            return new IValue(0L);
        }
        if (a instanceof Arg.MemoryFormatLit m) {
            return new IValue((long) memoryFormatCode(m.value()));
        }
        if (a instanceof Arg.ListArg l) {
            SchemaType elem = listElement(type);
            String base = baseName(elem);
            Type.TypePtr et;
            if (elem instanceof SchemaType.OptionalOf || base.equals("Tensor")) {
                et = elem instanceof SchemaType.OptionalOf
                        ? org.bytedeco.pytorch.OptionalType.ofTensor()
                        : new Type.TypePtr(TensorType.get());
            } else if (base.equals("float")) {
                et = new Type.TypePtr(new SingletonTypePtr(FloatType.getFloatTypePtr().get()));
            } else if (base.equals("bool")) {
                et = new Type.TypePtr(new SingletonTypePtr(BoolType.get().get()));
            } else {
                et = new Type.TypePtr(new SingletonTypePtr(IntType.getIntTypePtr().get()));
            }
            GenericList list = new GenericList(et);
            for (Arg e : l.elements()) {
                list.push_back(toIValue(node, e, elem, env));
            }
            return new IValue(list);
        }
        throw KilnException.at(node, "cannot pass argument " + a + " to libtorch");
    }

    private static SchemaType listElement(SchemaType t) {
        if (t instanceof SchemaType.OptionalOf o) {
            return listElement(o.element());
        }
        if (t instanceof SchemaType.ListOf l) {
            return l.element();
        }
        return SchemaType.named("int");
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    /** {@code aten::add.Tensor} -> {@code [aten::add, Tensor]}; {@code aten::relu} -> {@code [aten::relu, ""]}. */
    static String[] split(String qualified) {
        int ns = qualified.indexOf("::");
        int dot = qualified.indexOf('.', ns < 0 ? 0 : ns);
        if (dot < 0) {
            return new String[] {qualified, ""};
        }
        String overload = qualified.substring(dot + 1);
        return new String[] {qualified.substring(0, dot), overload.equals("default") ? "" : overload};
    }

    static String baseName(SchemaType t) {
        if (t instanceof SchemaType.OptionalOf o) {
            return baseName(o.element());
        }
        if (t instanceof SchemaType.Named n) {
            return n.name();
        }
        return "";
    }

    /** The IR's memory format names to c10 codes. */
    static int memoryFormatCode(String name) {
        switch (name) {
            case "contiguous_format":
                return 0;
            case "preserve_format":
                return 1;
            case "channels_last":
                return 2;
            case "channels_last_3d":
                return 3;
            default:
                throw new KilnException("unknown memory format '" + name + "'");
        }
    }
}
