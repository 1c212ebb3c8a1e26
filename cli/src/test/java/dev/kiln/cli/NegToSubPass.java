package dev.kiln.cli;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.Ops;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;

import java.util.List;
import java.util.Map;

/**
 * A third-party pass living only in this module's test code, registered through
 * {@code META-INF/services/dev.kiln.passes.Pass} (the file AutoService writes): rewrites
 * {@code neg(x)} to {@code sub(0, x)}.
 */
public final class NegToSubPass implements Pass {
    @Override
    public String name() {
        return "test-neg-to-sub";
    }

    @Override
    public String description() {
        return "(test) rewrites neg(x) to sub(0, x)";
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        boolean changed = false;
        for (Node n : graph.nodesOf("aten::neg")) {
            Value zero = Ops.scalarConstant(graph, "zero", DType.FLOAT32, 0);
            Node s = Ops.insertBefore(n, "aten::sub.Tensor", List.of(zero, n.arg(0), new Arg.IntLit(1)), Map.of(),
                    n.output().type());
            String name = n.output().name();
            Ops.replace(n, s.output());
            Ops.rename(s.output(), name);
            changed = true;
        }
        return changed;
    }
}
