package dev.kiln.passes.fold;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.passes.Ops;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassOption;
import dev.kiln.passes.eval.TorchEval;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Evaluates, with libtorch on the CPU ({@link TorchEval}), every pure node whose inputs are all
 * constants, and replaces its outputs by constants. Walking in order folds whole constant subgraphs
 * (a weight's transpose, then its cast, ...) in one run. No fold materializes more than
 * {@code max-bytes}: nodes whose result is known to be larger are skipped, and a result found larger
 * after evaluation is dropped; each skip is noted in the context. Int, float and bool results
 * become literals in their users' arguments. Quantization markers ({@code fake_quantize_per_*}) on weights are
 * kept: the backend needs them to choose int8 kernels.
 *
 * <pre>{@code kiln opt --passes='fold-constants{max-bytes=1048576},dce' model.kir}</pre>
 */
@AutoService(Pass.class)
public final class FoldConstants implements Pass {
    public static final PassOption<Long> MAX_BYTES = PassOption.ofLong("max-bytes", 128L << 20,
            "largest result, in bytes, that one fold may materialize");

    @Override
    public String name() {
        return "fold-constants";
    }

    @Override
    public String description() {
        return "evaluates subgraphs whose inputs are all constants (libtorch, CPU), up to max-bytes per result";
    }

    @Override
    public List<PassOption<?>> options() {
        return List.of(MAX_BYTES);
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        if (dev.kiln.passes.Ops.writesInPlace(graph)) {
            return false; // a constant may be written in place after a node would have read it
        }
        long cap = context.options().get(this, MAX_BYTES);
        boolean changed = false;
        for (Node n : new ArrayList<>(graph.nodes())) {
            if (!foldable(n)) {
                continue;
            }
            OptionalLong known = knownBytes(n);
            if (known.isPresent() && known.getAsLong() > cap) {
                context.note(n.describe() + ": not folded, its result of " + known.getAsLong()
                        + " bytes is over max-bytes=" + cap);
                continue;
            }
            List<ConstantTensor> results = TorchEval.evaluate(n, java.util.Map.of());
            long bytes = results.stream().mapToLong(ConstantTensor::byteSize).sum();
            if (bytes > cap) {
                context.note(n.describe() + ": not folded, its result of " + bytes + " bytes is over max-bytes=" + cap);
                continue;
            }
            if (replace(graph, n, results)) {
                changed = true;
            }
        }
        return changed;
    }

    private static boolean foldable(Node n) {
        if (Ops.isImpure(n) || Ops.isQuantizationMarker(n) || n.outputs().stream().noneMatch(Value::isUsed)
                || !n.subgraphs().isEmpty()) {
            return false;
        }
        for (Value v : n.inputs()) {
            if (v.kind() != Value.Kind.CONSTANT) {
                return false;
            }
        }
        for (Value o : n.outputs()) {
            boolean ok = o.type() instanceof TensorType || o.type() == PrimitiveType.INT
                    || o.type() == PrimitiveType.FLOAT || o.type() == PrimitiveType.BOOL;
            if (!ok) {
                return false; // lists, tuples: leave them to the backends
            }
        }
        return true;
    }

    private static OptionalLong knownBytes(Node n) {
        long total = 0;
        for (Value o : n.outputs()) {
            if (!(o.type() instanceof TensorType t)) {
                continue;
            }
            if (t.dtype().isEmpty() || t.shape().staticSizes().isEmpty()) {
                return OptionalLong.empty();
            }
            long numel = 1;
            for (long s : t.shape().staticSizes().get()) {
                numel = Math.multiplyExact(numel, s);
            }
            total += numel * t.elementType().byteSize();
        }
        return OptionalLong.of(total);
    }

    private static boolean replace(Graph graph, Node n, List<ConstantTensor> results) {
        for (Value o : n.outputs()) {
            if (!(o.type() instanceof TensorType) && graph.outputs().contains(o)) {
                return false; // a number the graph returns stays computed
            }
        }
        List<Value> created = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n.outputs().size(); i++) {
            Value o = n.output(i);
            if (!o.isUsed()) {
                continue;
            }
            if (o.type() instanceof TensorType) {
                Value c = graph.addConstant(o.name() + "_folded", results.get(i));
                o.replaceAllUsesWith(c);
                created.add(c);
                names.add(o.name());
            } else {
                Arg lit = literal(o, results.get(i));
                for (Node u : List.copyOf(o.users())) {
                    for (int a = 0; a < u.args().size(); a++) {
                        u.setArg(a, substitute(u.arg(a), o, lit));
                    }
                }
            }
        }
        graph.remove(n);
        // the constants take over the folded outputs' names, so printed IR stays readable
        for (int i = 0; i < created.size(); i++) {
            graph.rename(created.get(i), names.get(i));
        }
        return true;
    }

    private static Arg literal(Value o, ConstantTensor r) {
        if (o.type() == PrimitiveType.INT) {
            return new Arg.IntLit(r.getLong(0));
        }
        if (o.type() == PrimitiveType.BOOL) {
            return new Arg.BoolLit(r.getDouble(0) != 0);
        }
        return new Arg.FloatLit(r.getDouble(0));
    }

    private static Arg substitute(Arg a, Value old, Arg lit) {
        if (a == old) {
            return lit;
        }
        if (a instanceof Arg.ListArg l) {
            List<Arg> out = new ArrayList<>();
            for (Arg e : l.elements()) {
                out.add(substitute(e, old, lit));
            }
            return new Arg.ListArg(out);
        }
        return a;
    }
}
