package dev.kiln.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code kernels.md}: for each model, batch and precision, Kiln's engine beside the ONNX parser's, kernel by kernel
 * (GPU time per run, from {@link KernelProfile}), the kernels whose time differs most first: where one engine
 * spends the time the other does not.
 *
 * <pre>{@code String md = KernelReport.markdown(Results.read(work.resolve("results/kernels.json")));}</pre>
 */
final class KernelReport {
    /** Kernels listed per comparison. */
    static final int ROWS = 15;

    private KernelReport() {
    }

    static String markdown(JsonNode root) {
        StringBuilder b = new StringBuilder("# Kernel profiles (CUPTI)\n\n");
        b.append("GPU time of each kernel per run (µs), summed over its launches, from CUPTI's activity records over ")
                .append("the profiled runs (enqueueV3 and a stream sync each). Sorted by |Kiln − ONNX→TRT|; a kernel one ")
                .append("engine does not launch shows as empty there. Above each table, where profiled: each engine's run ")
                .append("profiled alone, per call (enqueueV3 and a stream sync) and replayed from a CUDA graph, median of its runs: ")
                .append("the GPU span from the first activity's start to the last one's end, the idle time inside it (no kernel, ")
                .append("copy or memset running: the gaps between kernels), and its copies and memsets.\n\n");
        Map<String, List<JsonNode>> byKey = new LinkedHashMap<>();
        for (JsonNode p : root.path("profiles")) {
            byKey.computeIfAbsent(p.path("model").asText() + " batch " + p.path("batch").asInt() + " " + p.path("precision").asText(),
                    k -> new ArrayList<>()).add(p);
        }
        for (Map.Entry<String, List<JsonNode>> e : byKey.entrySet()) {
            JsonNode kiln = null;
            JsonNode onnx = null;
            for (JsonNode p : e.getValue()) {
                if (p.path("peer").asText().startsWith("kiln-")) {
                    kiln = p;
                } else {
                    onnx = p;
                }
            }
            b.append("## ").append(e.getKey()).append("\n\n");
            b.append(summary("Kiln", kiln)).append("; ").append(summary("ONNX→TRT", onnx)).append(".\n\n");
            timelines(b, kiln, onnx);
            if (ok(kiln) || ok(onnx)) {
                table(b, kiln, onnx);
            }
        }
        return b.toString();
    }

    private static boolean ok(JsonNode p) {
        return p != null && !p.has("error") && p.has("kernels");
    }

    private static String summary(String who, JsonNode p) {
        if (p == null) {
            return who + ": no engine";
        }
        if (p.has("error")) {
            return who + ": not profiled (" + p.path("error").asText().replace('\n', ' ').replace('|', '/') + ")";
        }
        return String.format(Locale.ROOT, "%s: %.1f µs of GPU time per run in %.0f kernel launches", who,
                p.path("gpu_us_per_run").asDouble(), p.path("kernels_per_run").asDouble());
    }

    /** The two engines' timelines side by side, where either has one. */
    private static void timelines(StringBuilder b, JsonNode kiln, JsonNode onnx) {
        if (!hasTimeline(kiln) && !hasTimeline(onnx)) {
            return;
        }
        b.append("| per run (median) | Kiln | ONNX→TRT | Kiln − ONNX |\n|---|---:|---:|---:|\n");
        for (String mode : List.of("stream", "graph")) {
            String label = mode.equals("stream") ? "per call" : "from a CUDA graph";
            timelineRow(b, label + ": GPU span µs", kiln, onnx, mode, "span_us");
            timelineRow(b, label + ": idle µs", kiln, onnx, mode, "idle_us");
        }
        b.append("| copies (µs), memsets per call | ").append(copies(kiln)).append(" | ").append(copies(onnx)).append(" | |\n");
        for (JsonNode p : java.util.Arrays.asList(kiln, onnx)) {
            for (String mode : List.of("stream", "graph")) {
                if (p != null && p.path(mode).has("error")) {
                    b.append("\n").append(p.path("peer").asText()).append(' ').append(mode).append(": not profiled (")
                            .append(p.path(mode).path("error").asText().replace('\n', ' ').replace('|', '/')).append(")\n");
                }
            }
        }
        b.append('\n');
    }

    private static boolean hasTimeline(JsonNode p) {
        return p != null && (p.has("stream") || p.has("graph"));
    }

    private static void timelineRow(StringBuilder b, String label, JsonNode kiln, JsonNode onnx, String mode, String field) {
        JsonNode k = kiln == null ? null : kiln.path(mode).get(field);
        JsonNode o = onnx == null ? null : onnx.path(mode).get(field);
        b.append("| ").append(label).append(" | ").append(k == null ? "" : String.format(Locale.ROOT, "%.1f", k.asDouble()))
                .append(" | ").append(o == null ? "" : String.format(Locale.ROOT, "%.1f", o.asDouble()))
                .append(" | ").append(k == null || o == null ? "" : String.format(Locale.ROOT, "%+.1f", k.asDouble() - o.asDouble()))
                .append(" |\n");
    }

    /** "N (µs), M": -1 where the runs made different numbers. */
    private static String copies(JsonNode p) {
        if (p == null || !p.path("stream").has("copies")) {
            return "";
        }
        JsonNode t = p.path("stream");
        return count(t.path("copies").asInt()) + String.format(Locale.ROOT, " (%.1f)", t.path("copy_us").asDouble()) + ", "
                + count(t.path("memsets").asInt());
    }

    private static String count(int n) {
        return n < 0 ? "varies" : Integer.toString(n);
    }

    private static void table(StringBuilder b, JsonNode kiln, JsonNode onnx) {
        Map<String, double[]> rows = new LinkedHashMap<>();
        collect(rows, kiln, 0);
        collect(rows, onnx, 2);
        List<Map.Entry<String, double[]>> sorted = new ArrayList<>(rows.entrySet());
        sorted.sort(Comparator.comparingDouble((Map.Entry<String, double[]> r) -> -Math.abs(r.getValue()[0] - r.getValue()[2]))
                .thenComparing(Map.Entry::getKey));
        Map<String, String> kilnLayers = layerCells(kiln);
        Map<String, String> onnxLayers = layerCells(onnx);
        b.append("| kernel | Kiln µs | Kiln launches | ONNX→TRT µs | ONNX→TRT launches | Kiln − ONNX µs | layers (Kiln; ONNX→TRT) |\n");
        b.append("|---|---:|---:|---:|---:|---:|---|\n");
        Set<String> shown = new LinkedHashSet<>();
        for (Map.Entry<String, double[]> r : sorted) {
            if (shown.size() == ROWS) {
                break;
            }
            shown.add(r.getKey());
            double[] v = r.getValue();
            b.append("| ").append(name(r.getKey()))
                    .append(" | ").append(cell(v[0], v[1], "%.2f"))
                    .append(" | ").append(cell(v[1], v[1], "%.0f"))
                    .append(" | ").append(cell(v[2], v[3], "%.2f"))
                    .append(" | ").append(cell(v[3], v[3], "%.0f"))
                    .append(" | ").append(String.format(Locale.ROOT, "%+.2f", v[0] - v[2]))
                    .append(" | ").append(layersCell(kilnLayers.get(r.getKey()), onnxLayers.get(r.getKey())))
                    .append(" |\n");
        }
        if (rows.size() > ROWS) {
            b.append("\n(").append(rows.size() - ROWS).append(" more kernels, closer in time)\n");
        }
        b.append('\n');
    }

    /** Each kernel's layers in one profile, as a cell: the first layer's name and how many more. */
    private static Map<String, String> layerCells(JsonNode p) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!ok(p)) {
            return out;
        }
        for (JsonNode k : p.path("kernels")) {
            if (k.has("layers") && k.path("layers").size() > 0) {
                int n = k.path("layer_count").asInt(k.path("layers").size());
                String first = k.path("layers").get(0).asText().replace('|', '/');
                first = first.length() > 50 ? first.substring(0, 47) + "..." : first;
                out.put(k.path("name").asText(), first + (n > 1 ? " (+" + (n - 1) + ")" : ""));
            }
        }
        return out;
    }

    private static String layersCell(String kiln, String onnx) {
        if (kiln == null && onnx == null) {
            return "";
        }
        return (kiln == null ? "" : kiln) + "; " + (onnx == null ? "" : onnx);
    }

    private static void collect(Map<String, double[]> rows, JsonNode p, int at) {
        if (!ok(p)) {
            return;
        }
        for (JsonNode k : p.path("kernels")) {
            double[] v = rows.computeIfAbsent(k.path("name").asText(), n -> new double[4]);
            v[at] += k.path("us_per_run").asDouble();
            v[at + 1] += k.path("launches_per_run").asDouble();
        }
    }

    private static String cell(double value, double launches, String format) {
        return launches == 0 ? "" : String.format(Locale.ROOT, format, value);
    }

    /** A kernel name for a table cell: no pipes, at most 90 characters. */
    static String name(String n) {
        String s = n.replace('|', '/');
        return s.length() > 90 ? s.substring(0, 87) + "..." : s;
    }
}
