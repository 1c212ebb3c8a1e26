package dev.kiln.passes.eval;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.ControlFlow;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a whole {@link Graph} on the CPU with libtorch, node by node through {@link TorchEval}:
 * the reference the folding passes and numeric tests compare against (and the base of the libtorch
 * backend). A {@code kiln::cond} runs the branch its predicate picks. Inputs and outputs are {@link ConstantTensor}s; intermediate tensors stay in libtorch
 * and are freed when the run ends.
 *
 * <pre>{@code List<ConstantTensor> ys = GraphEvaluator.run(graph, List.of(x0));}</pre>
 */
public final class GraphEvaluator {
    private GraphEvaluator() {
    }

    /** Evaluates {@code graph} on {@code inputs} (one per graph input, in order) and returns its outputs. */
    public static List<ConstantTensor> run(Graph graph, List<ConstantTensor> inputs) {
        return run(graph, inputs, java.util.Set.of(), (v, t) -> { });
    }

    /**
     * Evaluates {@code graph} like {@link #run(Graph, List)} and hands {@code observer} a copy of each tensor in
     * {@code observe} (graph inputs and node outputs) as soon as it is computed: what calibration reads. Only the
     * values asked for leave libtorch.
     */
    public static List<ConstantTensor> run(Graph graph, List<ConstantTensor> inputs, java.util.Set<Value> observe,
                                           java.util.function.BiConsumer<Value, ConstantTensor> observer) {
        if (inputs.size() != graph.inputs().size()) {
            throw new KilnException("graph " + graph.name() + " takes " + graph.inputs().size()
                    + " inputs but " + inputs.size() + " were given");
        }
        try (PointerScope scope = new PointerScope()) {
            List<IValue> in = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                // a copy: a graph that writes its input in place (TorchScript's x += 1) must not write the caller's
                // constant, and the copy lives as long as libtorch needs it, whenever the caller drops its own
                Value gin = graph.inputs().get(i);
                in.add(gin.type() instanceof dev.kiln.ir.PrimitiveType p ? number(graph, gin, p, inputs.get(i))
                        : new IValue(TorchEval.toTorch(inputs.get(i)).clone()));
                java.lang.ref.Reference.reachabilityFence(inputs.get(i));
                if (observe.contains(graph.inputs().get(i))) {
                    observer.accept(graph.inputs().get(i), inputs.get(i));
                }
            }
            List<IValue> outs = evaluate(graph, in, observe, observer);
            List<ConstantTensor> result = new ArrayList<>();
            for (int i = 0; i < outs.size(); i++) {
                result.add(TorchEval.toConstant(graph.outputs().get(i), outs.get(i)));
            }
            // the graph's constants are read in place (TorchEval.toTorch): the graph keeps them alive until here
            java.lang.ref.Reference.reachabilityFence(graph);
            return result;
        }
    }

    /**
     * An int, float or bool input given as a one-element tensor, as {@link TorchEval#numberInput} reads it (the libtorch
     * stages' reading too); a number of unknown kind ({@code number}) as an int or a float by the tensor's dtype.
     */
    private static IValue number(Graph graph, Value in, dev.kiln.ir.PrimitiveType p, ConstantTensor c) {
        if (p == dev.kiln.ir.PrimitiveType.NUMBER && c.numel() == 1) {
            return c.dtype().isFloatingPoint() ? new IValue(c.getDouble(0)) : new IValue(c.getLong(0));
        }
        IValue v = TorchEval.numberInput(graph.name(), in, p, TorchEval.toTorch(c));
        java.lang.ref.Reference.reachabilityFence(c); // read in place by toTorch
        return v;
    }

    /**
     * Runs {@code graph}'s nodes on {@code inputs} and returns its outputs; everything belongs to the caller's
     * {@link PointerScope}. A {@code kiln::cond} runs the branch its predicate picks, the same way.
     */
    private static List<IValue> evaluate(Graph graph, List<IValue> inputs, java.util.Set<Value> observe,
                                         java.util.function.BiConsumer<Value, ConstantTensor> observer) {
        Map<Value, IValue> env = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            env.put(graph.inputs().get(i), inputs.get(i));
        }
        for (Value c : graph.constants()) {
            env.put(c, new IValue(TorchEval.toTorch(c.constant().orElseThrow())));
        }
        for (Node n : graph.nodes()) {
            java.util.function.Function<Value, IValue> read = v -> {
                IValue iv = env.get(v);
                if (iv == null) {
                    throw KilnException.at(n, "reads %" + v.name() + " before it is defined");
                }
                return iv;
            };
            List<IValue> outs;
            if (ControlFlow.isCond(n)) {
                Graph branch = ControlFlow.branch(n, TorchEval.predicate(n, read.apply((Value) n.arg(0))));
                // a branch that writes in place writes into copies (what it wrote comes back as outputs)
                boolean writes = branch.nodes().stream().anyMatch(b -> b.schema().mutates());
                List<IValue> operands = new ArrayList<>();
                for (Value o : ControlFlow.operands(n)) {
                    IValue iv = read.apply(o);
                    operands.add(writes && iv.isTensor() ? new IValue(iv.toTensor().clone()) : iv);
                }
                outs = evaluate(branch, operands, java.util.Set.of(), (v, t) -> { });
            } else if (ControlFlow.isLoop(n)) {
                outs = loop(n, read, env);
            } else {
                outs = TorchEval.call(n, read);
            }
            if (outs.size() < n.outputs().size()) {
                throw KilnException.at(n, "libtorch returned " + outs.size() + " values for "
                        + n.outputs().size() + " outputs");
            }
            for (int i = 0; i < n.outputs().size(); i++) {
                env.put(n.output(i), outs.get(i));
                if (observe.contains(n.output(i))) {
                    observer.accept(n.output(i), TorchEval.toConstant(n.output(i), outs.get(i)));
                }
            }
        }
        return outputs(graph, env);
    }

    /**
     * A {@code kiln::loop}: the body while trips remain and the condition holds (a body that writes in place gets
     * copies); its scan outputs stacked after the last trip.
     */
    private static List<IValue> loop(Node n, java.util.function.Function<Value, IValue> read, Map<Value, IValue> env) {
        Graph body = ControlFlow.body(n);
        boolean writes = body.nodes().stream().anyMatch(b -> b.schema().mutates());
        long max = TorchEval.tripCount(n, TorchEval.literalOrRead(n.arg(0), read));
        boolean go = TorchEval.predicate(n, TorchEval.literalOrRead(n.arg(1), read));
        List<IValue> carried = new ArrayList<>();
        for (dev.kiln.ir.Arg a : ControlFlow.carried(n)) {
            carried.add(TorchEval.literalOrRead(a, read));
        }
        int own = carried.size();
        List<List<org.bytedeco.pytorch.Tensor>> scans = new ArrayList<>();
        for (int k = 0; k < ControlFlow.scans(n); k++) {
            scans.add(new ArrayList<>());
        }
        for (long i = 0; i < max && go; i++) {
            List<IValue> in = new ArrayList<>();
            in.add(new IValue(i));
            for (IValue c : carried) {
                in.add(writes && c.isTensor() ? new IValue(c.toTensor().clone()) : c);
            }
            List<IValue> out = evaluate(body, in, java.util.Set.of(), (v, t) -> { });
            go = TorchEval.predicate(n, out.get(0));
            carried = out.subList(1, 1 + own);
            for (int k = 0; k < scans.size(); k++) {
                scans.get(k).add(out.get(1 + own + k).toTensor());
            }
        }
        List<IValue> result = new ArrayList<>(carried);
        for (int k = 0; k < scans.size(); k++) {
            result.add(new IValue(TorchEval.stackTrips(n, k, scans.get(k), env)));
        }
        return result;
    }

    private static List<IValue> outputs(Graph graph, Map<Value, IValue> env) {
        List<IValue> result = new ArrayList<>();
        for (Value o : graph.outputs()) {
            IValue v = env.get(o);
            if (v == null) {
                throw new KilnException("graph " + graph.name() + ": output %" + o.name() + " is never computed");
            }
            result.add(v);
        }
        return result;
    }
}
