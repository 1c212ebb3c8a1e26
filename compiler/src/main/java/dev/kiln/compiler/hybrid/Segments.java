package dev.kiln.compiler.hybrid;

import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.backend.tensorrt.Profiles;
import dev.kiln.ir.Arg;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cuts a segment out of a graph as a standalone graph: its inputs are the values that cross into the
 * segment (same names and types, symbolic dimensions included), its constants the weights its nodes
 * read, its outputs the values that leave it. Also derives a segment's engine input ranges from the
 * user's input specs on the whole model.
 *
 * <pre>{@code Graph seg = Segments.extract(g, "seg0", segment.nodes(), segment.inputs(), segment.outputs());}</pre>
 */
public final class Segments {
    private Segments() {
    }

    /** A new graph running {@code nodes} (in order) of {@code g} from {@code inputs} to {@code outputs}. */
    public static Graph extract(Graph g, String name, List<Node> nodes, List<Value> inputs, List<Value> outputs) {
        Graph s = new Graph(name);
        for (Symbol sym : g.symbols()) {
            s.declare(sym);
        }
        s.attributes().putAll(g.attributes());
        s.attributes().put("segment_of", g.name());
        Map<Value, Value> map = new IdentityHashMap<>();
        for (Value v : inputs) {
            map.put(v, s.addInput(v.name(), v.type()));
        }
        for (Node n : nodes) {
            List<Arg> args = new ArrayList<>(n.args().size());
            for (Arg a : n.args()) {
                args.add(mapArg(a, map, s, n));
            }
            List<Type> types = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (Value out : n.outputs()) {
                types.add(out.type());
                names.add(out.name());
            }
            Node m = s.insertAt(s.nodes().size(), n.schema(), args, types, names);
            for (int i = 0; i < n.outputs().size(); i++) {
                map.put(n.output(i), m.output(i));
            }
            m.setName(n.name());
            n.location().ifPresent(m::setLocation);
            for (Graph sub : n.subgraphs()) {
                m.addSubgraph(Graphs.copy(sub));
            }
        }
        List<Value> outs = new ArrayList<>();
        for (Value v : outputs) {
            Value nv = map.get(v);
            if (nv == null) {
                throw new KilnException("segment " + name + ": output %" + v.name() + " is not computed inside it");
            }
            outs.add(nv);
        }
        s.setOutputs(outs);
        return s;
    }

    private static Arg mapArg(Arg a, Map<Value, Value> map, Graph s, Node n) {
        if (a instanceof Value v) {
            Value nv = map.get(v);
            if (nv == null && v.kind() == Value.Kind.CONSTANT) {
                nv = s.addConstant(v.name(), v.constant().orElseThrow());
                if (!nv.type().equals(v.type())) {
                    nv.setType(v.type());
                }
                map.put(v, nv);
            }
            if (nv == null) {
                throw KilnException.at(n, "reads %" + v.name() + ", which neither enters its segment nor is computed in it");
            }
            return nv;
        }
        if (a instanceof Arg.ListArg l) {
            List<Arg> out = new ArrayList<>(l.elements().size());
            for (Arg e : l.elements()) {
                out.add(mapArg(e, map, s, n));
            }
            return new Arg.ListArg(out);
        }
        return a;
    }

    /**
     * Input specs ({@code x0, x1, ...}) for the engine of {@code segment}, a piece of {@code whole}: each
     * symbol takes the min/opt/max the user's {@code specs} give the whole model's input dimension it
     * names (its own range and default opt point otherwise), and each segment input dimension is its
     * size expression evaluated at those three points. Empty when the user gave no specs: the engine
     * builder then reads the same symbol ranges from the segment graph.
     */
    public static List<InputSpec> specsFor(Graph whole, List<InputSpec> specs, Graph segment) {
        if (specs.isEmpty()) {
            return List.of();
        }
        Map<String, Long> min = new TreeMap<>();
        Map<String, Long> opt = new TreeMap<>();
        Map<String, Long> max = new TreeMap<>();
        for (Symbol s : whole.symbols()) {
            min.put(s.name(), s.min());
            max.put(s.name(), s.max());
            opt.put(s.name(), s.max() <= Profiles.DEFAULT_OPT_CAP ? s.max() : Math.max(s.min(), Profiles.DEFAULT_OPT_CAP));
        }
        List<Profiles.InputProfile> profile = Profiles.compute(whole, specs);
        for (int i = 0; i < profile.size(); i++) {
            Profiles.InputProfile p = profile.get(i);
            TensorType tt = (TensorType) whole.inputs().get(i).type();
            for (int d = 0; d < tt.rank(); d++) {
                if (tt.shape().dim(d) instanceof SymExpr.Sym sym) {
                    min.put(sym.symbol().name(), p.min()[d]);
                    opt.put(sym.symbol().name(), p.opt()[d]);
                    max.put(sym.symbol().name(), p.max()[d]);
                }
            }
        }
        List<InputSpec> out = new ArrayList<>();
        for (int i = 0; i < segment.inputs().size(); i++) {
            Value v = segment.inputs().get(i);
            if (!(v.type() instanceof TensorType tt) || !tt.shape().isRanked()) {
                return List.of(); // the engine builder explains what it needs
            }
            long[] lo = new long[tt.rank()];
            long[] mid = new long[tt.rank()];
            long[] hi = new long[tt.rank()];
            for (int d = 0; d < tt.rank(); d++) {
                SymExpr e = tt.shape().dim(d);
                long[] three = {e.evaluate(min), e.evaluate(opt), e.evaluate(max)};
                java.util.Arrays.sort(three);
                lo[d] = Math.max(0, three[0]);
                mid[d] = Math.max(lo[d], e.evaluate(opt));
                hi[d] = Math.max(mid[d], three[2]);
                mid[d] = Math.min(mid[d], hi[d]);
            }
            out.add(new InputSpec(Profiles.inputName(i), lo, mid, hi));
        }
        return out;
    }
}
