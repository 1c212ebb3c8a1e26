package dev.kiln.backend.tensorrt;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Asks the registry about every node of a graph and, until fallback to libtorch exists, turns any
 * refusal into one {@link KilnException} that lists EVERY unsupported node with its reason (so a user
 * sees the whole picture in one run), followed by a count per op.
 *
 * <pre>{@code UnsupportedNodes.requireAllSupported(graph, ConverterRegistry.standard(), settings);}</pre>
 */
public final class UnsupportedNodes {
    private UnsupportedNodes() {
    }

    /** One refused node and why. */
    public record Refusal(Node node, String reason) {
        @Override
        public String toString() {
            // converters often prefix their reason with the node already; say it once
            String prefix = node.describe() + ": ";
            String r = reason;
            while (r.startsWith(prefix)) {
                r = r.substring(prefix.length());
            }
            return prefix + r;
        }
    }

    /** Every node the registry cannot convert, in graph order. */
    public static List<Refusal> find(Graph g, ConverterRegistry registry, ConverterSettings settings) {
        List<Refusal> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            ConverterRegistry.Lookup l = registry.lookup(n, settings);
            if (!l.supported()) {
                out.add(new Refusal(n, l.reason()));
            }
        }
        return out;
    }

    /** Throws a {@link KilnException} listing every unsupported node, if there is any. */
    public static void requireAllSupported(Graph g, ConverterRegistry registry, ConverterSettings settings) {
        List<Refusal> refused = find(g, registry, settings);
        if (!refused.isEmpty()) {
            throw new KilnException(message(g, refused));
        }
    }

    /** The message: a header, one line per node, and a count per op. */
    public static String message(Graph g, List<Refusal> refused) {
        Map<String, Integer> perOp = new TreeMap<>();
        for (Refusal r : refused) {
            perOp.merge(r.node().op(), 1, Integer::sum);
        }
        StringBuilder b = new StringBuilder();
        b.append("graph ").append(g.name()).append(": ").append(refused.size()).append(" of ").append(g.nodes().size())
                .append(" nodes cannot be converted to TensorRT, so no single engine can hold the graph:");
        for (Refusal r : refused) {
            b.append("\n  ").append(r);
        }
        b.append("\n  by op:");
        for (Map.Entry<String, Integer> e : perOp.entrySet()) {
            b.append(' ').append(e.getKey()).append(" x").append(e.getValue()).append(';');
        }
        b.setLength(b.length() - 1);
        b.append("\n  compile to a Kiln archive (`kiln compile MODEL -o MODEL.kiln`, or Kiln.compile) to run these nodes in libtorch;"
                + " run `kiln converters` to see what TensorRT supports");
        return b.toString();
    }
}
