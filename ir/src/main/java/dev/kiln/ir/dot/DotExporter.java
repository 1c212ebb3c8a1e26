package dev.kiln.ir.dot;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a {@link Graph} as a Graphviz DOT digraph: inputs as ellipses, each node as a box labeled
 * with its op and output types, dataflow edges labeled with the value, and a {@code return} sink.
 * Constants are collapsed into the label of the nodes that use them (weights would drown the
 * picture). The output is deterministic.
 *
 * <pre>{@code Files.writeString(Path.of("g.dot"), DotExporter.export(graph)); // dot -Tsvg g.dot > g.svg}</pre>
 */
public final class DotExporter {
    private DotExporter() {
    }

    /** The DOT text of {@code g}. */
    public static String export(Graph g) {
        StringBuilder sb = new StringBuilder();
        sb.append("digraph ").append(quote(g.name())).append(" {\n");
        sb.append("  rankdir=TB;\n");
        sb.append("  node [fontname=\"monospace\", fontsize=10];\n");
        sb.append("  edge [fontname=\"monospace\", fontsize=9];\n");
        Map<Value, String> producerId = new HashMap<>();
        List<Value> inputs = g.inputs();
        for (int i = 0; i < inputs.size(); i++) {
            Value v = inputs.get(i);
            String id = "i" + i;
            producerId.put(v, id);
            sb.append("  ").append(id).append(" [shape=ellipse, label=").append(quote("%" + v.name() + "\n" + v.type().text()))
                    .append("];\n");
        }
        List<Node> nodes = g.nodes();
        for (int k = 0; k < nodes.size(); k++) {
            Node n = nodes.get(k);
            String id = "n" + k;
            StringBuilder label = new StringBuilder(n.op());
            for (Value out : n.outputs()) {
                label.append("\n%").append(out.name()).append(" : ").append(out.type().text());
                producerId.put(out, id);
            }
            Set<Value> consts = new LinkedHashSet<>();
            for (Value in : n.inputs()) {
                if (in.kind() == Value.Kind.CONSTANT) {
                    consts.add(in);
                }
            }
            for (Value c : consts) {
                label.append("\nconst %").append(c.name()).append(" : ").append(c.type().text());
            }
            if (!n.subgraphs().isEmpty()) {
                label.append("\n(").append(n.subgraphs().size()).append(" nested graph").append(n.subgraphs().size() == 1 ? ")" : "s)");
            }
            n.location().ifPresent(l -> label.append("\n@ ").append(l));
            sb.append("  ").append(id).append(" [shape=box, label=").append(quote(label.toString())).append("];\n");
            for (Value in : distinct(n.inputs())) {
                String from = producerId.get(in);
                if (from != null) {
                    sb.append("  ").append(from).append(" -> ").append(id).append(" [label=").append(quote("%" + in.name())).append("];\n");
                }
            }
        }
        sb.append("  out [shape=doubleoctagon, label=\"return\"];\n");
        List<Value> outs = g.outputs();
        for (int i = 0; i < outs.size(); i++) {
            Value v = outs.get(i);
            String from = producerId.get(v);
            String src = from != null ? from : constNode(sb, v, i);
            sb.append("  ").append(src).append(" -> out [label=").append(quote(i + ": %" + v.name())).append("];\n");
        }
        return sb.append("}\n").toString();
    }

    /** A constant returned directly still needs a node to draw the edge from. */
    private static String constNode(StringBuilder sb, Value v, int i) {
        String id = "c" + i;
        sb.append("  ").append(id).append(" [shape=note, label=").append(quote("const %" + v.name() + "\n" + v.type().text())).append("];\n");
        return id;
    }

    private static List<Value> distinct(List<Value> values) {
        return new ArrayList<>(new LinkedHashSet<>(values));
    }

    /** A DOT string literal ({@code \n} becomes a centered line break). */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
