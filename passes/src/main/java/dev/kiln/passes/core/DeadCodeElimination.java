package dev.kiln.passes.core;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.Ops;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Removes nodes whose outputs nobody uses (walking backwards, so whole dead chains go in one run)
 * and constants nobody reads. Impure nodes (asserts, random ops, in-place writes) stay; removing
 * asserts is canonicalization's job.
 *
 * <pre>{@code kiln opt --passes=dce model.kir}</pre>
 */
@AutoService(Pass.class)
public final class DeadCodeElimination implements Pass {
    @Override
    public String name() {
        return "dce";
    }

    @Override
    public String description() {
        return "removes unused nodes and constants";
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        boolean changed = false;
        List<Node> nodes = new ArrayList<>(graph.nodes());
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (!Ops.isImpure(n) && n.outputs().stream().noneMatch(Value::isUsed)) {
                graph.remove(n);
                changed = true;
            }
        }
        for (Value c : new ArrayList<>(graph.constants())) {
            if (!c.isUsed()) {
                graph.removeConstant(c);
                changed = true;
            }
        }
        return changed;
    }
}
