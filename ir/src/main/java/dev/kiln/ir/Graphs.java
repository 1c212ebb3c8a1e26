package dev.kiln.ir;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Utilities over whole graphs. {@link #copy(Graph)} makes a deep copy: new values and nodes with the
 * same names, types, arguments, node names, locations, attributes, symbols and nested graphs;
 * constants share their (immutable, off-heap) data with the original.
 *
 * <pre>{@code Graph before = Graphs.copy(graph); pass.run(graph, ctx);}</pre>
 */
public final class Graphs {
    private Graphs() {
    }

    /** A deep copy of {@code g}; changing one never changes the other. */
    public static Graph copy(Graph g) {
        Graph c = new Graph(g.name());
        for (Symbol s : g.symbols()) {
            c.declare(s);
        }
        c.attributes().putAll(g.attributes());
        Map<Value, Value> map = new IdentityHashMap<>();
        for (Value v : g.inputs()) {
            map.put(v, named(v, c.addInput(v.name(), v.type())));
        }
        for (Value v : g.constants()) {
            Value nv = named(v, c.addConstant(v.name(), v.constant().orElseThrow()));
            if (!nv.type().equals(v.type())) {
                nv.setType(v.type());
            }
            map.put(v, nv);
        }
        for (Node n : g.nodes()) {
            List<Arg> args = new ArrayList<>(n.args().size());
            for (Arg a : n.args()) {
                args.add(mapArg(a, map, n));
            }
            List<Type> types = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (Value out : n.outputs()) {
                types.add(out.type());
                names.add(out.name());
            }
            Node m = c.insertAt(c.nodes().size(), n.schema(), args, types, names);
            for (int i = 0; i < n.outputs().size(); i++) {
                map.put(n.output(i), named(n.output(i), m.output(i)));
            }
            m.setName(n.name());
            n.location().ifPresent(m::setLocation);
            for (Graph sub : n.subgraphs()) {
                m.addSubgraph(copy(sub));
            }
        }
        List<Value> outs = new ArrayList<>();
        for (Value v : g.outputs()) {
            Value nv = map.get(v);
            if (nv == null) {
                throw new KilnException("cannot copy graph " + g.name() + ": its output %" + v.name() + " is not defined in it");
            }
            outs.add(nv);
        }
        c.setOutputs(outs);
        return c;
    }

    /** Names are unique in the source graph, so the copy gets them unchanged; anything else is a bug. */
    private static Value named(Value original, Value copy) {
        if (!copy.name().equals(original.name())) {
            throw new IllegalStateException("copy of %" + original.name() + " was named %" + copy.name());
        }
        return copy;
    }

    private static Arg mapArg(Arg a, Map<Value, Value> map, Node n) {
        if (a instanceof Value v) {
            Value nv = map.get(v);
            if (nv == null) {
                throw KilnException.at(n, "cannot copy the graph: argument %" + v.name() + " is not defined before the node");
            }
            return nv;
        }
        if (a instanceof Arg.ListArg l) {
            List<Arg> out = new ArrayList<>(l.elements().size());
            for (Arg e : l.elements()) {
                out.add(mapArg(e, map, n));
            }
            return new Arg.ListArg(out);
        }
        return a; // literals are immutable records
    }
}
