package dev.kiln.partition;

import dev.kiln.ir.Node;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The support report of a {@link Partition}: every node with where it runs and why, and the
 * segments with their cost estimates, as plain text (what {@code kiln compile --dry-run} prints), as
 * JSON (stable field order, for tools) and as a self-contained HTML page with an inline SVG picture
 * of the partitioned graph (no scripts, no network). All three are deterministic.
 *
 * <pre>{@code Files.writeString(Path.of("report.html"), SupportReport.html(partition));}</pre>
 */
public final class SupportReport {
    private SupportReport() {
    }

    /** The report as aligned plain text, ending with a newline. */
    public static String text(Partition p) {
        StringBuilder b = new StringBuilder();
        b.append(summary(p)).append('\n');
        PartitionSettings s = p.settings();
        b.append("settings: min_block_size=").append(s.minBlockSize())
                .append(" torch_ops=").append(s.torchOps())
                .append(" torch_nodes=").append(s.torchNodes())
                .append(" require_full_compilation=").append(s.requireFullCompilation()).append('\n');
        b.append("segments:\n");
        for (Segment seg : p.segments()) {
            b.append(String.format(Locale.ROOT, "  #%-3d %-8s %4d node%s  in: %s  out: %s", seg.index(), seg.target().text(),
                    seg.nodes().size(), seg.nodes().size() == 1 ? " " : "s", names(seg.inputs()), names(seg.outputs())));
            CostModel.SegmentCost c = seg.cost();
            b.append(String.format(Locale.ROOT, "  est. torch %.1f us, tensorrt %.1f us, boundary %.1f us", c.torchMicros(),
                    c.tensorrtMicros(), c.boundaryMicros()));
            b.append('\n');
        }
        int wName = 4;
        int wOp = 2;
        for (Placement pl : p.placements()) {
            wName = Math.max(wName, pl.node().name().length());
            wOp = Math.max(wOp, pl.node().op().length());
        }
        b.append("nodes:\n");
        b.append(String.format(Locale.ROOT, "  %-" + wName + "s  %-" + wOp + "s  %-8s  %-4s  %-14s  %s%n", "node", "op",
                "runs in", "seg", "why", "reason"));
        for (Placement pl : p.placements()) {
            b.append(String.format(Locale.ROOT, "  %-" + wName + "s  %-" + wOp + "s  %-8s  #%-3d  %-14s  %s", pl.node().name(),
                    pl.node().op(), pl.target().text(), pl.segment(), pl.why().text(), pl.reason()));
            pl.node().location().ifPresent(l -> b.append("  (at ").append(l).append(')'));
            b.append('\n');
        }
        return b.toString().replace(System.lineSeparator(), "\n");
    }

    /** One line: segment and node counts. */
    public static String summary(Partition p) {
        long trtSegments = p.segments().stream().filter(s -> s.target() == Target.TENSORRT).count();
        return String.format(Locale.ROOT, "partition of graph %s for %s: %d segment%s (%d %s, %d torch); %d of %d nodes in %s",
                p.graph().name(), p.backend(), p.segments().size(), p.segments().size() == 1 ? "" : "s", trtSegments,
                p.backend(), p.segments().size() - trtSegments, p.tensorrtNodeCount(), p.placements().size(), p.backend());
    }

    /** The report as JSON (two-space indented, fields in a fixed order), ending with a newline. */
    public static String json(Partition p) {
        StringBuilder b = new StringBuilder();
        PartitionSettings s = p.settings();
        b.append("{\n");
        b.append("  \"graph\": ").append(q(p.graph().name())).append(",\n");
        b.append("  \"backend\": ").append(q(p.backend())).append(",\n");
        b.append("  \"settings\": {\"min_block_size\": ").append(s.minBlockSize())
                .append(", \"torch_ops\": ").append(strings(new ArrayList<>(s.torchOps())))
                .append(", \"torch_nodes\": ").append(strings(new ArrayList<>(s.torchNodes())))
                .append(", \"require_full_compilation\": ").append(s.requireFullCompilation()).append("},\n");
        b.append("  \"summary\": {\"nodes\": ").append(p.placements().size())
                .append(", \"tensorrt_nodes\": ").append(p.tensorrtNodeCount())
                .append(", \"segments\": ").append(p.segments().size()).append("},\n");
        b.append("  \"segments\": [");
        for (int i = 0; i < p.segments().size(); i++) {
            Segment seg = p.segments().get(i);
            List<String> nodes = new ArrayList<>();
            for (Node n : seg.nodes()) {
                nodes.add(n.name());
            }
            b.append(i == 0 ? "\n" : ",\n");
            b.append("    {\"index\": ").append(seg.index()).append(", \"target\": ").append(q(seg.target().text()))
                    .append(", \"nodes\": ").append(strings(nodes))
                    .append(", \"inputs\": ").append(strings(valueNames(seg.inputs())))
                    .append(", \"outputs\": ").append(strings(valueNames(seg.outputs())))
                    .append(", \"cost_us\": {\"torch\": ").append(num(seg.cost().torchMicros()))
                    .append(", \"tensorrt\": ").append(num(seg.cost().tensorrtMicros()))
                    .append(", \"boundary\": ").append(num(seg.cost().boundaryMicros())).append("}}");
        }
        b.append(p.segments().isEmpty() ? "],\n" : "\n  ],\n");
        b.append("  \"nodes\": [");
        for (int i = 0; i < p.placements().size(); i++) {
            Placement pl = p.placements().get(i);
            b.append(i == 0 ? "\n" : ",\n");
            b.append("    {\"name\": ").append(q(pl.node().name())).append(", \"op\": ").append(q(pl.node().op()))
                    .append(", \"target\": ").append(q(pl.target().text())).append(", \"segment\": ").append(pl.segment())
                    .append(", \"why\": ").append(q(pl.why().text())).append(", \"reason\": ").append(q(pl.reason()));
            pl.node().location().ifPresent(l -> b.append(", \"location\": ").append(q(l.toString())));
            b.append('}');
        }
        b.append(p.placements().isEmpty() ? "]\n" : "\n  ]\n");
        b.append("}\n");
        return b.toString();
    }

    /**
     * A self-contained HTML page: the summary, an SVG of the graph (nodes layered by depth, coloured
     * by target, labelled with their segment; edges between producers and users) and the node table.
     */
    public static String html(Partition p) {
        List<Placement> ps = p.placements();
        Map<Node, Integer> pos = new IdentityHashMap<>();
        for (int i = 0; i < ps.size(); i++) {
            pos.put(ps.get(i).node(), i);
        }
        int[] layer = new int[ps.size()];
        int maxLayer = 0;
        for (int i = 0; i < ps.size(); i++) {
            int l = 0;
            for (Value v : ps.get(i).node().inputs()) {
                Integer src = v.producer().map(pos::get).orElse(null);
                if (src != null && src < i) {
                    l = Math.max(l, layer[src] + 1);
                }
            }
            layer[i] = l;
            maxLayer = Math.max(maxLayer, l);
        }
        int[] column = new int[ps.size()];
        int[] width = new int[maxLayer + 1];
        for (int i = 0; i < ps.size(); i++) {
            column[i] = width[layer[i]]++;
        }
        int maxWidth = 1;
        for (int w : width) {
            maxWidth = Math.max(maxWidth, w);
        }
        final int bw = 190;
        final int bh = 40;
        final int gx = 20;
        final int gy = 36;
        int svgW = maxWidth * (bw + gx) + gx;
        int svgH = (maxLayer + 1) * (bh + gy) + gy;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(svgW).append("\" height=\"").append(svgH)
                .append("\" viewBox=\"0 0 ").append(svgW).append(' ').append(svgH).append("\">\n");
        for (int i = 0; i < ps.size(); i++) {
            for (Value v : ps.get(i).node().inputs()) {
                Integer src = v.producer().map(pos::get).orElse(null);
                if (src == null || src >= i) {
                    continue;
                }
                svg.append(String.format(Locale.ROOT, "<line class=\"edge%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
                        ps.get(src).segment() != ps.get(i).segment() ? " cross" : "",
                        x(column[src], bw, gx) + bw / 2, y(layer[src], bh, gy) + bh,
                        x(column[i], bw, gx) + bw / 2, y(layer[i], bh, gy)));
            }
        }
        for (int i = 0; i < ps.size(); i++) {
            Placement pl = ps.get(i);
            int x = x(column[i], bw, gx);
            int y = y(layer[i], bh, gy);
            svg.append("<g class=\"node ").append(pl.target().text()).append("\" id=\"n").append(i).append("\">")
                    .append("<title>").append(esc(pl.node().name() + " (" + pl.node().op() + "): " + pl.target().text()
                            + " #" + pl.segment() + ", " + pl.why().text() + ": " + pl.reason())).append("</title>")
                    .append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"5\"/>", x, y, bw, bh))
                    .append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>", x + 6, y + 16, esc(clip(pl.node().name(), 28))))
                    .append(String.format(Locale.ROOT, "<text class=\"op\" x=\"%d\" y=\"%d\">%s #%d</text>", x + 6, y + 32,
                            esc(clip(pl.node().op(), 24)), pl.segment()))
                    .append("</g>\n");
        }
        svg.append("</svg>\n");

        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Kiln partition: ")
                .append(esc(p.graph().name())).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:13px}")
                .append("td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}")
                .append("tr.tensorrt td.t{background:#cdebc5}tr.torch td.t{background:#f7d6b0}")
                .append(".node rect{stroke:#333;stroke-width:1}.node.tensorrt rect{fill:#cdebc5}.node.torch rect{fill:#f7d6b0}")
                .append(".node text{font-size:12px;font-family:monospace}.node text.op{fill:#555}")
                .append(".edge{stroke:#999;stroke-width:1}.edge.cross{stroke:#c0392b;stroke-width:2}")
                .append(".graph{overflow:auto;border:1px solid #ddd;margin:1em 0}\n</style>\n</head>\n<body>\n");
        b.append("<h1>").append(esc(summary(p))).append("</h1>\n");
        b.append("<p>Green: runs in ").append(esc(p.backend())).append("; orange: runs in libtorch; red edges cross a segment boundary.")
                .append(" Hover a node for its reason.</p>\n");
        b.append("<h2>Segments</h2>\n<table>\n<tr><th>#</th><th>runs in</th><th>nodes</th><th>inputs</th><th>outputs</th>")
                .append("<th>est. torch us</th><th>est. tensorrt us</th><th>boundary us</th></tr>\n");
        for (Segment seg : p.segments()) {
            b.append("<tr class=\"").append(seg.target().text()).append("\"><td>").append(seg.index()).append("</td><td class=\"t\">")
                    .append(seg.target().text()).append("</td><td>").append(seg.nodes().size()).append("</td><td>")
                    .append(esc(names(seg.inputs()))).append("</td><td>").append(esc(names(seg.outputs()))).append("</td><td>")
                    .append(num(seg.cost().torchMicros())).append("</td><td>").append(num(seg.cost().tensorrtMicros()))
                    .append("</td><td>").append(num(seg.cost().boundaryMicros())).append("</td></tr>\n");
        }
        b.append("</table>\n<h2>Graph</h2>\n<div class=\"graph\">\n").append(svg).append("</div>\n");
        b.append("<h2>Nodes</h2>\n<table>\n<tr><th>node</th><th>op</th><th>runs in</th><th>segment</th><th>why</th><th>reason</th>")
                .append("<th>location</th></tr>\n");
        for (Placement pl : ps) {
            b.append("<tr class=\"").append(pl.target().text()).append("\"><td>").append(esc(pl.node().name())).append("</td><td>")
                    .append(esc(pl.node().op())).append("</td><td class=\"t\">").append(pl.target().text()).append("</td><td>")
                    .append(pl.segment()).append("</td><td>").append(pl.why().text()).append("</td><td>").append(esc(pl.reason()))
                    .append("</td><td>").append(esc(pl.node().location().map(Object::toString).orElse(""))).append("</td></tr>\n");
        }
        b.append("</table>\n</body>\n</html>\n");
        return b.toString();
    }

    private static int x(int column, int bw, int gx) {
        return gx + column * (bw + gx);
    }

    private static int y(int layer, int bh, int gy) {
        return gy / 2 + layer * (bh + gy);
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "\u2026";
    }

    private static String names(List<Value> vs) {
        if (vs.isEmpty()) {
            return "-";
        }
        List<String> out = new ArrayList<>();
        for (Value v : vs) {
            out.add("%" + v.name());
        }
        return String.join(", ", out);
    }

    private static List<String> valueNames(List<Value> vs) {
        List<String> out = new ArrayList<>();
        for (Value v : vs) {
            out.add(v.name());
        }
        return out;
    }

    private static String num(double d) {
        return String.format(Locale.ROOT, "%.3f", d);
    }

    private static String strings(List<String> xs) {
        List<String> out = new ArrayList<>();
        for (String x : xs) {
            out.add(q(x));
        }
        return "[" + String.join(", ", out) + "]";
    }

    /** A JSON string literal. */
    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                default:
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }

    /** HTML text escaping. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<':
                    b.append("&lt;");
                    break;
                case '>':
                    b.append("&gt;");
                    break;
                case '&':
                    b.append("&amp;");
                    break;
                case '"':
                    b.append("&quot;");
                    break;
                case '\'':
                    b.append("&#39;");
                    break;
                default:
                    b.append(c);
            }
        }
        return b.toString();
    }
}
