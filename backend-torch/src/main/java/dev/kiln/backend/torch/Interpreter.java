package dev.kiln.backend.torch;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.ControlFlow;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaArgument;
import dev.kiln.passes.eval.TorchEval;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a whole IR {@link Graph} with libtorch on one {@link TorchDevice}: Kiln's fallback runtime
 * and the engine behind {@code kiln run --device cpu}. Every node goes through the c10 dispatcher
 * ({@link NodeExecutor}); {@code prim::ListUnpack} and the symbolic-int ops of dynamic shapes
 * ({@code aten::sym_size.int}, integer arithmetic) run like any other node; a {@code kiln::cond} runs the
 * interpreter of the branch its predicate picks, a {@code kiln::loop} its body's interpreter trip after trip (one
 * interpreter per nested graph, made with this one).
 *
 * <p>Memory: the graph's constants are wrapped once (zero-copy on the CPU, one upload for CUDA) and
 * freed by {@link #close()}; each intermediate is freed right after its last use; outputs belong to
 * the caller. Nothing is left to the garbage collector. Inputs and constants that a node writes in
 * place ({@code Tensor(a!)} arguments) are copied first, so neither the caller's tensors nor the
 * graph's weights change. {@link #run} may be called from several
 * threads at once; the graph must not change while an interpreter over it is open.
 *
 * <pre>{@code try (Interpreter in = new Interpreter(graph, TorchDevice.cpu())) {
 *     List<ConstantTensor> ys = in.runHost(List.of(x0)); }}</pre>
 */
public final class Interpreter implements AutoCloseable {
    static {
        dev.kiln.ir.JavaCppDefaults.apply(); // before anything loads JavaCPP
    }

    private final Graph graph;
    private final TorchDevice device;
    private final List<Node> nodes;
    /** Constant values, as libtorch IValues owned by this interpreter. */
    private final Map<Value, IValue> constants = new LinkedHashMap<>();
    private final List<TorchTensor> constantTensors = new ArrayList<>();
    /** For each node output or input value: the index of the last node that reads it. */
    private final Map<Value, Integer> lastUse = new IdentityHashMap<>();
    /** Graph inputs and constants some node writes in place ({@code Tensor(a!)}): they get private copies. */
    private final Set<Value> written = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /**
     * By node position: for a {@code kiln::cond} an interpreter per branch (then, else), for a {@code kiln::loop} one
     * for its body; null for every other node (so a run tells them apart without looking at op names).
     */
    private final Interpreter[][] nested;
    /** By node position: every node but a branch or loop, ready to call (its literal arguments made once); closed with this. */
    private final TorchEval.Prepared[] prepared;
    /** By node position: the node outputs it reads last (freed once it has run), computed once rather than every run. */
    private final List<List<Value>> dying = new ArrayList<>();
    private volatile boolean closed;

    /** An interpreter for {@code graph} on {@code device} (checked: CUDA needs libtorch's GPU build). */
    public Interpreter(Graph graph, TorchDevice device) {
        this.graph = graph;
        this.device = device.requireAvailable();
        this.nodes = List.copyOf(graph.nodes());
        this.nested = new Interpreter[nodes.size()][];
        this.prepared = new TorchEval.Prepared[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            for (Value v : nodes.get(i).inputs()) {
                lastUse.put(v, i);
            }
        }
        for (Value o : graph.outputs()) {
            lastUse.put(o, Integer.MAX_VALUE);
        }
        for (int i = 0; i < nodes.size(); i++) {
            List<Value> last = new ArrayList<>();
            for (Value v : nodes.get(i).inputs()) {
                Integer at = lastUse.get(v);
                if (at != null && at == i && v.kind() == Value.Kind.NODE_OUTPUT && !last.contains(v)) {
                    last.add(v);
                }
            }
            dying.add(last);
        }
        for (Node n : nodes) {
            List<SchemaArgument> params = n.schema().arguments();
            for (int i = 0; i < n.args().size() && i < params.size(); i++) {
                boolean mutates = params.get(i).alias().map(a -> a.contains("!")).orElse(false);
                if (mutates && n.arg(i) instanceof Value v && v.kind() != Value.Kind.NODE_OUTPUT) {
                    written.add(v);
                }
            }
        }
        try {
            for (Value c : graph.constants()) {
                TorchTensor t = TorchTensors.fromConstant(c.constant().orElseThrow(), device);
                constantTensors.add(t);
                constants.put(c, new IValue(t.tensor()));
            }
            for (int i = 0; i < nodes.size(); i++) {
                Node n = nodes.get(i);
                if (ControlFlow.isCond(n)) {
                    nested[i] = new Interpreter[2];
                    nested[i][0] = new Interpreter(ControlFlow.branch(n, true), device);
                    nested[i][1] = new Interpreter(ControlFlow.branch(n, false), device);
                } else if (ControlFlow.isLoop(n)) {
                    nested[i] = new Interpreter[1];
                    nested[i][0] = new Interpreter(ControlFlow.body(n), device);
                } else {
                    prepared[i] = TorchEval.prepare(n);
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public Graph graph() {
        return graph;
    }

    public TorchDevice device() {
        return device;
    }

    /**
     * Runs the graph on host inputs (one per graph input, in order; 0-d tensors for int, float or bool
     * inputs) and returns host copies of the outputs.
     */
    public List<ConstantTensor> runHost(List<ConstantTensor> inputs) {
        List<TorchTensor> in = new ArrayList<>(inputs.size());
        try {
            for (ConstantTensor c : inputs) {
                in.add(TorchTensors.fromConstant(c, device));
            }
            List<TorchTensor> out = run(in);
            List<ConstantTensor> result = new ArrayList<>(out.size());
            try {
                for (TorchTensor t : out) {
                    result.add(t.toConstant());
                }
            } finally {
                out.forEach(TorchTensor::close);
            }
            return result;
        } finally {
            in.forEach(TorchTensor::close);
        }
    }

    /**
     * Runs the graph on {@code inputs} (borrowed: still the caller's to close; moved to this
     * interpreter's device if they live elsewhere) and returns new tensors the caller must close.
     * Graph outputs that are ints, floats or bools come back as 0-d tensors.
     */
    public List<TorchTensor> run(List<TorchTensor> inputs) {
        if (closed) {
            throw new KilnException("interpreter for graph " + graph.name() + " is closed");
        }
        List<Value> gin = graph.inputs();
        if (inputs.size() != gin.size()) {
            throw new KilnException("graph " + graph.name() + " takes " + gin.size() + " inputs but "
                    + inputs.size() + " were given");
        }
        List<TorchTensor> result = new ArrayList<>();
        try (PointerScope runScope = new PointerScope()) {
            List<IValue> in = new ArrayList<>(gin.size());
            for (int i = 0; i < gin.size(); i++) {
                in.add(inputValue(gin.get(i), inputs.get(i)));
            }
            List<IValue> outs = execute(in);
            try {
                for (int i = 0; i < outs.size(); i++) {
                    result.add(output(graph.outputs().get(i), outs.get(i)));
                }
            } finally {
                outs.forEach(IValue::releaseReference);
            }
            return result;
        } catch (RuntimeException e) {
            result.forEach(TorchTensor::close);
            throw e;
        }
    }

    /**
     * Runs the nodes on {@code inputs} (the graph inputs' values, borrowed) and returns one new handle per graph
     * output, which the caller releases ({@link IValue#releaseReference()}). Intermediates are freed at their last
     * use; a {@code kiln::cond} runs the interpreter of the branch its predicate picks.
     */
    private List<IValue> execute(List<IValue> inputs) {
        List<Value> gin = graph.inputs();
        Map<Value, IValue> env = new HashMap<>();
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < gin.size(); i++) {
                IValue in = inputs.get(i);
                // a node writes it in place: never into the caller's tensor
                env.put(gin.get(i), written.contains(gin.get(i)) && in.isTensor() ? new IValue(in.toTensor().clone()) : in);
            }
            for (Value c : written) {
                if (c.kind() == Value.Kind.CONSTANT) {
                    // a fresh copy per run: in-place ops must not reach the weights' bytes or leak into the next run
                    env.put(c, new IValue(constants.get(c).toTensor().clone()));
                }
            }
            for (int i = 0; i < nodes.size(); i++) {
                Node n = nodes.get(i);
                Interpreter[] inner = nested[i];
                List<IValue> outs;
                if (inner == null) {
                    outs = NodeExecutor.execute(prepared[i], v -> lookup(n, v, env), device);
                } else if (inner.length == 2) {
                    outs = runBranch(n, inner, env);
                } else {
                    outs = runLoop(n, inner[0], env);
                }
                for (int k = 0; k < n.outputs().size(); k++) {
                    Value o = n.output(k);
                    if (lastUse.containsKey(o)) {
                        env.put(o, outs.get(k));
                    } else {
                        outs.get(k).releaseReference(); // never read: free now
                    }
                }
                for (Value v : dying.get(i)) {
                    IValue dead = env.remove(v);
                    if (dead != null) {
                        dead.releaseReference();
                    }
                }
            }
            List<IValue> result = new ArrayList<>();
            for (Value o : graph.outputs()) {
                // a handle of its own that outlives this scope (an output may also be an input or a constant)
                IValue h = new IValue(lookup(null, o, env));
                h.retainReference();
                result.add(h);
            }
            return result;
        } finally {
            for (Map.Entry<Value, IValue> e : env.entrySet()) {
                if (e.getKey().kind() == Value.Kind.NODE_OUTPUT) {
                    e.getValue().releaseReference();
                }
            }
        }
    }

    /**
     * A {@code kiln::loop}: the body's interpreter while trips remain and the condition holds, each trip's outputs the
     * next one's carried values (and freed once that trip has run); each trip's scan values kept until the last trip,
     * then stacked. Returns handles the caller releases.
     */
    private List<IValue> runLoop(Node n, Interpreter body, Map<Value, IValue> env) {
        java.util.function.Function<Value, IValue> read = v -> lookup(n, v, env);
        long max = TorchEval.tripCount(n, TorchEval.literalOrRead(n.arg(0), read));
        boolean go = TorchEval.predicate(n, TorchEval.literalOrRead(n.arg(1), read));
        List<IValue> carried = new ArrayList<>();
        for (dev.kiln.ir.Arg a : ControlFlow.carried(n)) {
            carried.add(TorchEval.literalOrRead(a, read));
        }
        int own = carried.size();
        boolean everyTrip = ControlFlow.runsEveryTrip(n);
        int scanCount = ControlFlow.scans(n);
        List<List<IValue>> scans = new ArrayList<>(); // every trip's scan values: ours to release
        for (int k = 0; k < scanCount; k++) {
            scans.add(new ArrayList<>());
        }
        List<IValue> owned = null; // the last trip's carried outputs: ours to release
        try {
            for (long i = 0; i < max && go; i++) {
                List<IValue> out;
                try (PointerScope trip = new PointerScope()) {
                    List<IValue> in = new ArrayList<>(carried.size() + 1);
                    in.add(new IValue(i));
                    in.addAll(carried);
                    out = body.execute(in);
                }
                if (owned != null) {
                    owned.forEach(IValue::releaseReference);
                }
                owned = out.subList(1, 1 + own);
                carried = owned;
                for (int k = 0; k < scanCount; k++) {
                    scans.get(k).add(out.get(1 + own + k));
                }
                try {
                    // a for loop's condition stays true: not read (on a GPU each read waits for the device)
                    go = everyTrip || TorchEval.predicate(n, out.get(0));
                } finally {
                    out.get(0).releaseReference();
                }
            }
            List<IValue> result = new ArrayList<>();
            if (owned != null) {
                result.addAll(owned);
                owned = null;
            } else {
                for (IValue c : carried) {
                    IValue h = new IValue(c); // no trip: the initial values, as handles of their own
                    h.retainReference();
                    result.add(h);
                }
            }
            try {
                for (int k = 0; k < scanCount; k++) {
                    result.add(stacked(n, k, scans.get(k), env));
                }
            } catch (RuntimeException e) {
                result.forEach(IValue::releaseReference);
                throw e;
            }
            return result;
        } finally {
            if (owned != null) {
                owned.forEach(IValue::releaseReference);
            }
            scans.forEach(s -> s.forEach(IValue::releaseReference));
        }
    }

    /**
     * Scan output {@code k} of loop {@code n}: its trips' values stacked, on this interpreter's device, as a handle the
     * caller releases; after no trips, sized from what is alive in {@code env}.
     */
    private IValue stacked(Node n, int k, List<IValue> trips, Map<Value, IValue> env) {
        try (PointerScope scope = new PointerScope()) {
            List<Tensor> tensors = new ArrayList<>(trips.size());
            for (IValue t : trips) {
                tensors.add(t.toTensor());
            }
            Tensor s = TorchEval.stackTrips(n, k, tensors, env);
            if (device.isCuda() && (!s.is_cuda() || s.device().index() != device.index())) {
                s = s.to(device.toTorch(), s.scalar_type());
            }
            return new IValue(s).retainReference();
        }
    }

    /** A {@code kiln::cond}: the branch its predicate picks, run on the operands. */
    private List<IValue> runBranch(Node n, Interpreter[] branches, Map<Value, IValue> env) {
        boolean pred = TorchEval.predicate(n, lookup(n, (Value) n.arg(0), env));
        List<IValue> operands = new ArrayList<>();
        for (Value o : ControlFlow.operands(n)) {
            operands.add(lookup(n, o, env));
        }
        return branches[pred ? 0 : 1].execute(operands);
    }

    private IValue lookup(Node n, Value v, Map<Value, IValue> env) {
        IValue iv = env.get(v);
        if (iv == null) {
            iv = constants.get(v);
        }
        if (iv == null) {
            String where = n == null ? "graph " + graph.name() + ": output" : n.describe() + ": reads";
            throw new KilnException(where + " %" + v.name() + " before it is computed");
        }
        return iv;
    }

    /** The run-scoped IValue for one graph input, checked against the input's declared type. */
    private IValue inputValue(Value in, TorchTensor t) {
        Type type = in.type();
        Tensor tensor = t.tensor();
        if (type instanceof PrimitiveType p) {
            return TorchEval.numberInput(graph.name(), in, p, tensor);
        }
        if (type instanceof TensorType tt) {
            DType actual = t.dtype();
            if (tt.dtype().isPresent() && tt.dtype().get() != actual) {
                throw new KilnException("graph " + graph.name() + ": input %" + in.name() + " is declared "
                        + tt.text() + " but a " + actual.text() + " tensor was given; convert it first");
            }
            if (tt.shape().isRanked() && tt.shape().rank() != tensor.dim()) {
                throw new KilnException("graph " + graph.name() + ": input %" + in.name() + " is declared "
                        + tt.text() + " but a tensor of shape " + Arrays.toString(t.sizes()) + " was given");
            }
        }
        if (!t.device().equals(device)) {
            Tensor moved = tensor.to(device.toTorch(), tensor.scalar_type());
            return new IValue(moved);
        }
        return new IValue(tensor);
    }

    /** A caller-owned tensor for one graph output. */
    private TorchTensor output(Value o, IValue v) {
        if (v.isTensor()) {
            // toTensor() is a reference into the IValue: copy the handle so the output owns a reference
            Tensor t = new Tensor(v.toTensor());
            return new TorchTensor(t.retainReference());
        }
        ConstantTensor c;
        if (v.isInt()) {
            c = ConstantTensor.ofLongs(new long[0], v.toInt());
        } else if (v.isDouble()) {
            c = ConstantTensor.scalar(DType.FLOAT64, v.toDouble());
        } else if (v.isBool()) {
            c = ConstantTensor.scalar(DType.BOOL, v.toBool() ? 1 : 0);
        } else {
            throw new KilnException("graph " + graph.name() + ": output %" + o.name() + " is " + o.type().text()
                    + ", which the interpreter cannot return as a tensor");
        }
        try (TorchTensor host = TorchTensors.fromConstant(c)) {
            // a copy that owns its memory, so it does not depend on the temporary constant
            try (PointerScope s = new PointerScope()) {
                Tensor owned = device.isCuda() ? host.tensor().to(device.toTorch(), host.tensor().scalar_type())
                        : host.tensor().clone();
                return new TorchTensor(owned.retainReference());
            }
        }
    }

    /** Frees the constants' libtorch tensors. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (Interpreter[] inner : nested) {
            for (int k = 0; inner != null && k < inner.length; k++) {
                if (inner[k] != null) {
                    inner[k].close();
                }
            }
        }
        for (TorchEval.Prepared p : prepared) {
            if (p != null) {
                p.close();
            }
        }
        for (IValue v : constants.values()) {
            v.close();
        }
        constants.clear();
        constantTensors.forEach(TorchTensor::close);
        constantTensors.clear();
    }
}
