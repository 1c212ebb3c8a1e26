package dev.kiln.passes;

import dev.kiln.ir.Arg;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A structural copy of a graph with the same names, sharing the (immutable) constant data, so a
 * snapshot costs O(nodes) and no weight bytes. The pass manager snapshots the graph before each
 * pass for failure reproducers and {@code --print-ir-after-change}.
 *
 * <pre>{@code Graph before = GraphCopy.of(graph);}</pre>
 */
public final class GraphCopy {
    private GraphCopy() {
    }

    public static Graph of(Graph g) {
        Graph c = new Graph(g.name());
        c.attributes().putAll(g.attributes());
        for (Symbol s : g.symbols()) {
            c.declare(s);
        }
        Map<Value, Value> map = new HashMap<>();
        for (Value v : g.inputs()) {
            map.put(v, c.addInput(v.name(), v.type()));
        }
        for (Value v : g.constants()) {
            Value nv = c.addConstant(v.name(), v.constant().orElseThrow());
            nv.setType(v.type());
            map.put(v, nv);
        }
        for (Node n : g.nodes()) {
            List<Arg> args = new ArrayList<>();
            for (Arg a : n.args()) {
                args.add(map(a, map));
            }
            List<Type> types = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (Value o : n.outputs()) {
                types.add(o.type());
                names.add(o.name());
            }
            Node m = c.insertAt(c.nodes().size(), n.schema(), args, types, names);
            m.setName(n.name());
            n.location().ifPresent(m::setLocation);
            for (int i = 0; i < n.outputs().size(); i++) {
                map.put(n.output(i), m.output(i));
            }
            for (Graph sub : n.subgraphs()) {
                m.addSubgraph(of(sub));
            }
        }
        List<Value> outs = new ArrayList<>();
        for (Value o : g.outputs()) {
            outs.add(map.get(o));
        }
        c.setOutputs(outs);
        return c;
    }

    private static Arg map(Arg a, Map<Value, Value> map) {
        if (a instanceof Value v) {
            return map.get(v);
        }
        if (a instanceof Arg.ListArg l) {
            List<Arg> out = new ArrayList<>();
            for (Arg e : l.elements()) {
                out.add(map(e, map));
            }
            return new Arg.ListArg(out);
        }
        return a;
    }
}
