package dev.kiln.passes.core;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.passes.Ops;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges equal computations: constants with equal dtype, sizes and bytes become one (the first),
 * then pure nodes with the same op, the same arguments (values by identity, literals by value) and
 * the same output types are replaced by the first such node. One forward walk suffices because
 * arguments are rewritten before their users are keyed.
 *
 * <pre>{@code kiln opt --passes=cse,dce model.kir}</pre>
 */
@AutoService(Pass.class)
public final class CommonSubexpressionElimination implements Pass {
    @Override
    public String name() {
        return "cse";
    }

    @Override
    public String description() {
        return "merges equal constants and equal pure nodes";
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        if (Ops.writesInPlace(graph)) {
            return false; // two equal nodes may read one tensor before and after a write into it
        }
        boolean changed = mergeConstants(graph);
        Map<Key, Node> seen = new HashMap<>();
        for (Node n : new ArrayList<>(graph.nodes())) {
            if (Ops.isImpure(n) || n.outputs().isEmpty() || !n.subgraphs().isEmpty()) {
                continue;
            }
            Key k = new Key(n.op(), n.args(), n.outputs().stream().map(Value::type).toList());
            Node first = seen.putIfAbsent(k, n);
            if (first != null) {
                for (int i = 0; i < n.outputs().size(); i++) {
                    n.output(i).replaceAllUsesWith(first.output(i));
                }
                graph.remove(n);
                changed = true;
            }
        }
        return changed;
    }

    private static boolean mergeConstants(Graph graph) {
        // group by dtype and sizes first so digests are computed only where a collision is possible
        Map<String, List<Value>> bySignature = new HashMap<>();
        for (Value c : graph.constants()) {
            ConstantTensor t = c.constant().orElseThrow();
            bySignature.computeIfAbsent(t.dtype() + Arrays.toString(t.sizes()), x -> new ArrayList<>()).add(c);
        }
        boolean changed = false;
        Map<Value, Value> replace = new IdentityHashMap<>();
        for (List<Value> group : bySignature.values()) {
            if (group.size() < 2) {
                continue;
            }
            Map<String, Value> byDigest = new HashMap<>();
            for (Value c : group) {
                ConstantTensor t = c.constant().orElseThrow();
                Value first = byDigest.putIfAbsent(t.digest(), c);
                if (first != null && first.constant().orElseThrow().contentEquals(t) && first.type().equals(c.type())) {
                    replace.put(c, first);
                }
            }
        }
        for (Value c : new ArrayList<>(graph.constants())) {
            Value first = replace.get(c);
            if (first != null) {
                c.replaceAllUsesWith(first);
                graph.removeConstant(c);
                changed = true;
            }
        }
        return changed;
    }

    /** Values compare by identity (Value does not override equals); literals by value. */
    private record Key(String op, List<Arg> args, List<Type> types) {
    }
}
