package dev.kiln.passes;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;

import java.util.List;
import java.util.Map;

/**
 * A third-party pass, registered from test code with AutoService exactly as an outside jar would:
 * rewrites {@code relu(x)} to {@code clamp(x, 0, none)}.
 */
@AutoService(Pass.class)
public final class ReluToClamp implements Pass {
    @Override
    public String name() {
        return "test-relu-to-clamp";
    }

    @Override
    public String description() {
        return "(test) rewrites relu to clamp(min=0)";
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        boolean changed = false;
        for (Node n : graph.nodesOf("aten::relu")) {
            Node c = Ops.insertBefore(n, "aten::clamp", List.of(n.arg(0), new Arg.FloatLit(0.0)), Map.of(),
                    n.output().type());
            String name = n.output().name();
            Ops.replace(n, c.output());
            Ops.rename(c.output(), name);
            changed = true;
        }
        return changed;
    }
}
