package dev.kiln.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Renders merged results ({@link Results#merge}) as Markdown: a header with the date, GPU, driver and
 * versions; Kiln's ratio to each kind of peer over every cell (its range and median); one table per model with every peer's latency (median, p99), throughput, speedup over
 * eager FP32, Kiln's speedup over the peer (Kiln at the peer's precision: the peer's median over
 * Kiln's), accuracy and GPU memory; then Kiln's and the ONNX parser's engines side by side replayed from a
 * CUDA graph (where the {@code graph} group ran); then a table of Kiln's compile times, engine sizes, layer
 * counts and per-call overhead; then everything that was not measured, with the reason.
 *
 * <pre>{@code String md = Report.markdown(Results.merge(parts));}</pre>
 */
public final class Report {
    private Report() {
    }

    public static String markdown(JsonNode merged) {
        StringBuilder b = new StringBuilder();
        JsonNode env = merged.path("env");
        b.append("# Kiln bench results\n\n");
        b.append("| | |\n|---|---|\n");
        row(b, "date", env.path("date").asText("?"));
        row(b, "GPU", env.path("gpu").asText("?") + " (driver " + env.path("driver").asText("?") + ")");
        row(b, "TensorRT", env.path("tensorrt").asText("?") + " (Kiln and the ONNX parser, same library)");
        row(b, "CUDA", "runtime " + env.path("cuda_runtime").asText("?") + " for TensorRT; torch built with "
                + env.path("torch_cuda").asText("?"));
        row(b, "torch", env.path("torch").asText("?") + ", torchvision " + env.path("torchvision").asText("?")
                + ", transformers " + env.path("transformers").asText("?") + ", onnx " + env.path("onnx").asText("?"));
        row(b, "Kiln", !env.has("kiln") ? "not in this run (PyTorch peers only)" : env.path("kiln").asText()
                + (env.has("javacpp_max_physical_bytes")
                ? " (JavaCPP maxPhysicalBytes " + env.path("javacpp_max_physical_bytes").asLong() + ")" : ""));
        row(b, "run", env.path("mode").asText("?"));
        Map<String, Set<String>> earlier = new LinkedHashMap<>();
        for (JsonNode m : merged.path("measurements")) {
            if (m.has("run")) {
                earlier.computeIfAbsent(runLabel(m.get("run")), k -> new LinkedHashSet<>()).add(m.path("model").asText());
            }
        }
        if (!earlier.isEmpty()) {
            List<String> runs = new ArrayList<>();
            earlier.forEach((run, models) -> runs.add(run + ": " + String.join(", ", models)));
            row(b, "earlier runs merged in", String.join("; ", runs) + " (each table says which rows)");
        }
        b.append('\n');
        b.append("Latency: CUDA events around one call, synchronized every iteration, inputs already on the GPU, "
                + "after warm-up; median and p99 (nearest rank) in ms. Throughput: back-to-back calls, items/s. "
                + "\"× eager\" = eager FP32 median / peer median. \"Kiln ×\" = peer median / Kiln median at the "
                + "peer's precision (above 1: Kiln is faster); beside it, where measured, \"(turns …)\" for the ONNX "
                + "engine: the two engines timed call by call in turns in one process, the per-call ratio to quote; "
                + "\"(graph …)\" for max-autotune, which replays CUDA graphs: against Kiln's engine captured in a CUDA "
                + "graph (tables below). rel L2 = ‖out − ref‖/‖ref‖ against eager FP32 "
                + "(TF32 off). GPU MiB: PyTorch peers torch.cuda.max_memory_allocated; TensorRT peers the "
                + "cudaMemGetInfo drop for engine + context + I/O.\n\n");

        Map<String, List<JsonNode>> byModel = new LinkedHashMap<>();
        for (JsonNode m : merged.path("measurements")) {
            byModel.computeIfAbsent(m.path("model").asText(), k -> new ArrayList<>()).add(m);
        }
        summaryTable(b, merged);
        for (Map.Entry<String, List<JsonNode>> e : byModel.entrySet()) {
            modelTable(b, e.getKey(), e.getValue());
        }
        graphTable(b, merged);
        autotuneGraphTable(b, merged);
        turnsTable(b, merged);
        kilnTable(b, merged);
        problems(b, merged);
        return b.toString();
    }

    private static void modelTable(StringBuilder b, String model, List<JsonNode> ms) {
        b.append("## ").append(model).append("\n\n");
        b.append("| batch | peer | median ms | p99 ms | items/s | × eager | Kiln × | rel L2 | GPU MiB |\n");
        b.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
        Set<Integer> batches = new LinkedHashSet<>();
        ms.forEach(m -> batches.add(m.path("batch").asInt()));
        for (int batch : batches) {
            JsonNode eager = find(ms, batch, "eager-fp32");
            for (JsonNode m : ms) {
                if (m.path("batch").asInt() != batch) {
                    continue;
                }
                String peer = m.path("peer").asText();
                if (!ok(m)) {
                    b.append("| ").append(batch).append(" | ").append(peer).append(" | ")
                            .append(m.path("status").asText("?")).append(" | | | | | | |\n");
                    continue;
                }
                double med = median(m);
                String speedup = ok(eager) ? ratio(median(eager) / med) : "";
                JsonNode kiln = find(ms, batch, "kiln-" + precision(m));
                String kilnX = ok(kiln) && !peer.startsWith("kiln-") ? ratio(med / median(kiln)) + alsoLikeForLike(peer, med, kiln) : "";
                b.append("| ").append(batch)
                        .append(" | ").append(peer)
                        .append(" | ").append(ms(med))
                        .append(" | ").append(ms(m.path("latency_ms").path("p99").asDouble(Double.NaN)))
                        .append(" | ").append(num(m.path("throughput").asDouble(Double.NaN), 0))
                        .append(" | ").append(speedup)
                        .append(" | ").append(kilnX)
                        .append(" | ").append(accuracy(m))
                        .append(" | ").append(num(mem(m), 0))
                        .append(" |\n");
            }
        }
        b.append('\n');
        unsteady(b, ms);
        provenance(b, ms, batches);
    }

    /** One Kiln × ratio of a cell (model, batch, precision) for {@link #summaryTable}. */
    private record CellRatio(double value, String cell) {
    }

    /**
     * Kiln against each kind of peer over every cell (model × batch × precision) where both were measured: how many
     * cells, the least and the most ratio with the cell it comes from, and the median: the ranges an analysis quotes,
     * taken from the data. Kiln's per-call row against the ONNX engine timed apart, in turns and from a CUDA graph
     * (both engines), against max-autotune per call and with Kiln's engine from a CUDA graph, against torch.compile's
     * default mode and eager at the same precision.
     */
    private static void summaryTable(StringBuilder b, JsonNode merged) {
        List<JsonNode> all = listOf(merged.path("measurements"));
        Map<Versus, List<CellRatio>> by = new java.util.EnumMap<>(Versus.class);
        for (Versus v : Versus.values()) {
            by.put(v, new ArrayList<>());
        }
        for (JsonNode kiln : kilnRows(all)) {
            if (BenchArgs.FP32_ACC_PEER.equals(kiln.path("peer").asText())) {
                continue;
            }
            String prec = precision(kiln);
            String cell = kiln.path("model").asText() + " b" + kiln.path("batch").asInt() + " " + prec;
            double k = median(kiln);
            double kg = graphMedian(kiln);
            JsonNode onnx = peerBeside(all, kiln, "onnx-trt-" + prec);
            JsonNode autotune = peerBeside(all, kiln, "autotune-" + prec);
            JsonNode compile = peerBeside(all, kiln, "compile-" + prec);
            JsonNode eager = peerBeside(all, kiln, "eager-" + prec);
            add(by, Versus.ONNX, ok(onnx) ? median(onnx) / k : Double.NaN, cell);
            add(by, Versus.ONNX_TURNS, kiln.path("turns").path("ratio").asDouble(Double.NaN), cell);
            add(by, Versus.ONNX_GRAPH, ok(onnx) ? graphMedian(onnx) / kg : Double.NaN, cell);
            add(by, Versus.AUTOTUNE, ok(autotune) ? median(autotune) / k : Double.NaN, cell);
            add(by, Versus.AUTOTUNE_GRAPH, ok(autotune) ? median(autotune) / kg : Double.NaN, cell);
            add(by, Versus.COMPILE, ok(compile) ? median(compile) / k : Double.NaN, cell);
            add(by, Versus.EAGER, ok(eager) ? median(eager) / k : Double.NaN, cell);
        }
        List<String> rows = new ArrayList<>();
        by.forEach((versus, ratios) -> {
            if (ratios.isEmpty()) {
                return;
            }
            List<CellRatio> sorted = new ArrayList<>(ratios);
            sorted.sort(java.util.Comparator.comparingDouble(CellRatio::value));
            CellRatio least = sorted.get(0);
            CellRatio most = sorted.get(sorted.size() - 1);
            int n = sorted.size();
            double mid = n % 2 == 1 ? sorted.get(n / 2).value() : (sorted.get(n / 2 - 1).value() + sorted.get(n / 2).value()) / 2;
            rows.add("| " + versus.label + " | " + n + " | " + ratio(least.value()) + " (" + least.cell() + ") | " + ratio(mid)
                    + " | " + ratio(most.value()) + " (" + most.cell() + ") |");
        });
        table(b, "Kiln against each peer, every cell",
                "Over every model × batch × precision cell where Kiln and the peer were both measured (at the same "
                + "precision): \"Kiln ×\" = peer median / Kiln median, as in the tables below (above 1: Kiln is faster). "
                + "\"in turns\": the two engines timed call by call in one process; \"from a CUDA graph\": both "
                + "engines' graph replays; max-autotune \"against Kiln's graph\": Kiln's engine as a graph replay too, "
                + "as max-autotune replays its own. The tables below give each cell.",
                "| Kiln × | cells | least | median | most |", "|---|---:|---:|---:|---:|", rows);
    }

    /** The comparisons {@link #summaryTable} lists, in its order. */
    private enum Versus {
        ONNX("ONNX→TensorRT, per call"), ONNX_TURNS("ONNX→TensorRT, in turns"), ONNX_GRAPH("ONNX→TensorRT, from a CUDA graph"),
        AUTOTUNE("max-autotune, per call"), AUTOTUNE_GRAPH("max-autotune, against Kiln's graph"),
        COMPILE("torch.compile (default), per call"), EAGER("eager, per call");

        final String label;

        Versus(String label) {
            this.label = label;
        }
    }

    private static void add(Map<Versus, List<CellRatio>> by, Versus versus, double value, String cell) {
        if (Double.isFinite(value) && value > 0) {
            by.get(versus).add(new CellRatio(value, cell));
        }
    }

    /**
     * The like-for-like ratio beside a Kiln × cell, where the run measured one: for the ONNX engine, the two engines
     * timed in turns in one process ({@code turns}; timed apart, a host-bound engine's per-call time moved by a third
     * in the twenty-first session's runs); for {@code max-autotune}, which replays CUDA graphs, Kiln's engine replayed
     * from a CUDA graph ({@code graph}). Empty otherwise.
     */
    private static String alsoLikeForLike(String peer, double peerMedian, JsonNode kiln) {
        if (peer.startsWith("onnx-trt-") && Double.isFinite(kiln.path("turns").path("ratio").asDouble(Double.NaN))) {
            return " (turns " + ratio(kiln.path("turns").path("ratio").asDouble()) + ")";
        }
        if (peer.startsWith("autotune-") && Double.isFinite(graphMedian(kiln))) {
            return " (graph " + ratio(peerMedian / graphMedian(kiln)) + ")";
        }
        return "";
    }

    /** A median this many times the fastest sample or more marks a peer whose samples did not settle. */
    static final double UNSTEADY = 1.5;

    /**
     * The peers whose median is {@link #UNSTEADY} times their fastest sample or more: their samples fall into more than
     * one mode (host-bound calls, where the host's state at the time decides; BERT's eager FP32 at batch 1 measured
     * a 5.4 ms minimum and an 11.1 ms median on the H200, 2026-12-05, where an earlier session's median was 5.6 ms).
     * Their median, and every ratio taken from it, is then a property of the host at that moment more than of the
     * model; the line says so under the table instead of leaving it to be found in results.json.
     */
    private static void unsteady(StringBuilder b, List<JsonNode> ms) {
        List<String> found = new ArrayList<>();
        for (JsonNode m : ms) {
            double min = m.path("latency_ms").path("min").asDouble(Double.NaN);
            if (ok(m) && min > 0 && median(m) >= UNSTEADY * min) {
                found.add("batch " + m.path("batch").asInt() + " " + m.path("peer").asText() + " (fastest " + ms(min) + ", median "
                        + ms(median(m)) + " ms" + clock(m) + ")");
            }
        }
        if (!found.isEmpty()) {
            b.append("Unsteady samples (median ").append(UNSTEADY).append("× the fastest sample or more; host-bound calls whose "
                    + "median depends on the host's state, so their ratios say less than the others): ")
                    .append(String.join(", ", found)).append(".\n\n");
        }
    }

    /**
     * The GPU's SM clock the runner read right after the row's timing loop ({@code sm_clock}, since the twenty-first
     * session), with NVML's reasons for a lower one: whether the GPU or the host moved; empty for rows without it.
     */
    static String clock(JsonNode m) {
        JsonNode c = m.path("sm_clock");
        if (!c.has("mhz")) {
            return "";
        }
        List<String> reasons = new ArrayList<>();
        c.path("reasons").forEach(r -> reasons.add(r.asText()));
        return "; SM clock after the loop " + c.path("mhz").asInt() + " of " + c.path("max_mhz").asInt() + " MHz"
                + (reasons.isEmpty() ? "" : ", " + String.join(", ", reasons));
    }

    /**
     * Where a model's rows were measured, when some come from an earlier run merged in ({@code --include}; such rows
     * carry a {@code run}): one entry per batch size, "this run" being the run the header names. A batch whose rows
     * come from more than one run says so: its ratios then compare measurements of different runs.
     */
    private static void provenance(StringBuilder b, List<JsonNode> ms, Set<Integer> batches) {
        if (ms.stream().noneMatch(m -> m.has("run"))) {
            return;
        }
        List<String> parts = new ArrayList<>();
        Set<Set<String>> distinct = new LinkedHashSet<>();
        for (int batch : batches) {
            Set<String> labels = new LinkedHashSet<>();
            for (JsonNode m : ms) {
                if (m.path("batch").asInt() == batch) {
                    labels.add(m.has("run") ? runLabel(m.get("run")) : "this run");
                }
            }
            distinct.add(labels);
            parts.add("batch " + batch + ": " + String.join(" and ", labels) + (labels.size() > 1 ? " (rows of different runs)" : ""));
        }
        if (distinct.size() == 1 && distinct.iterator().next().size() == 1) {
            b.append("Measured in ").append(distinct.iterator().next().iterator().next()).append(".\n\n");
        } else {
            b.append("Measured in ").append(String.join("; ", parts)).append(".\n\n");
        }
    }

    static String runLabel(JsonNode run) {
        StringBuilder s = new StringBuilder("the run of ").append(run.path("date").asText("?")).append(" (")
                .append(run.has("kiln") ? "Kiln " + run.path("kiln").asText() : "PyTorch peers only");
        if (run.has("gpu")) {
            s.append(", ").append(run.path("gpu").asText()).append(" driver ").append(run.path("driver").asText("?"));
        }
        return s.append(')').toString();
    }

    /**
     * Kiln's engine against the ONNX parser's, each replayed from a CUDA graph after its stream timing: the
     * GPU's own time for each engine, without the host's per-layer launches that dominate small batches.
     */
    private static void graphTable(StringBuilder b, JsonNode merged) {
        List<JsonNode> all = listOf(merged.path("measurements"));
        List<String> rows = new ArrayList<>();
        for (JsonNode m : kilnRows(all)) {
            String prec = precision(m);
            JsonNode onnx = peerBeside(all, m, "onnx-trt-" + prec);
            boolean onnxOk = ok(onnx);
            if (!m.has("graph") && !m.has("graph_error") && !(onnxOk && (onnx.has("graph") || onnx.has("graph_error")))) {
                continue;
            }
            double kg = graphMedian(m);
            double og = onnxOk ? graphMedian(onnx) : Double.NaN;
            rows.add("| " + m.path("model").asText() + " | " + m.path("batch").asInt() + " | " + precisionLabel(m, prec)
                    + " | " + graphCell(m) + " | " + (onnxOk ? graphCell(onnx) : "")
                    + " | " + ratio(og / kg)
                    + " | " + ms(median(m)) + " | " + (onnxOk ? ms(median(onnx)) : "")
                    + " | " + ratio((onnxOk ? median(onnx) : Double.NaN) / median(m)) + " |");
        }
        table(b, "Kiln and ONNX→TensorRT engines replayed from a CUDA graph",
                "Each engine's work captured once into a CUDA graph and replayed (cudaGraphLaunch), timed like the "
                + "tables above, after the same engine's stream timing (enqueueV3 per call): the GPU's own time "
                + "for the engine, without the host's per-layer kernel launches, which bound small batches. Median ms; "
                + "\"Kiln ×\" = ONNX median / Kiln median (above 1: Kiln is faster).",
                "| model | batch | precision | Kiln graph ms | ONNX graph ms | Kiln × (graph) | Kiln stream ms | ONNX stream ms | Kiln × (stream) |",
                "|---|---:|---|---:|---:|---:|---:|---:|---:|", rows);
    }

    /**
     * Kiln's engine replayed from a CUDA graph beside torch.compile's {@code max-autotune}, whose mode replays CUDA
     * graphs itself ({@code torch._inductor.list_mode_options("max-autotune")} sets {@code triton.cudagraphs}; the
     * autotune rows' {@code mode_options} say so where the run recorded them): both without a host launch per kernel,
     * what a caller of {@code CompiledModule.useCudaGraphs(true)} gets. Where the per-call timing is host-bound (small
     * batches) the models' tables compare Kiln's per-layer launches with a graph replay; this table compares like
     * with like.
     */
    private static void autotuneGraphTable(StringBuilder b, JsonNode merged) {
        List<JsonNode> all = listOf(merged.path("measurements"));
        List<String> rows = new ArrayList<>();
        for (JsonNode m : kilnRows(all)) {
            if (BenchArgs.FP32_ACC_PEER.equals(m.path("peer").asText()) || !Double.isFinite(graphMedian(m))) {
                continue;
            }
            String prec = precision(m);
            JsonNode autotune = peerBeside(all, m, "autotune-" + prec);
            if (!ok(autotune)) {
                continue;
            }
            rows.add("| " + m.path("model").asText() + " | " + m.path("batch").asInt() + " | " + prec
                    + " | " + ms(graphMedian(m)) + " | " + ms(median(autotune)) + " | " + ratio(median(autotune) / graphMedian(m))
                    + " | " + ms(median(m)) + " | " + ratio(median(autotune) / median(m)) + " |");
        }
        table(b, "Kiln from a CUDA graph against max-autotune",
                "torch.compile's max-autotune mode replays CUDA graphs (its mode options set triton.cudagraphs), so "
                + "its per-call time has no host launch per kernel; Kiln's per-call time (the tables above) launches "
                + "each layer's kernels, and at small batches the host bounds it. Here Kiln's engine replayed from a "
                + "CUDA graph (what CompiledModule.useCudaGraphs(true) does for each engine) beside the same max-autotune row. "
                + "Median ms; \"Kiln ×\" = max-autotune median / Kiln median (above 1: Kiln is faster).",
                "| model | batch | precision | Kiln graph ms | max-autotune ms | Kiln × (graph) | Kiln stream ms | Kiln × (stream) |",
                "|---|---:|---|---:|---:|---:|---:|---:|", rows);
    }

    /**
     * Kiln's engine and the ONNX parser's timed call by call in turns, in one process (group {@code turns}), beside the
     * ratio of the two peers' own timings, each taken right after its build: where the two disagree, the host moved
     * between those timings.
     */
    private static void turnsTable(StringBuilder b, JsonNode merged) {
        List<JsonNode> all = listOf(merged.path("measurements"));
        List<String> rows = new ArrayList<>();
        for (JsonNode m : kilnRows(all)) {
            if (!(m.has("turns") || m.has("turns_error"))) {
                continue;
            }
            String prec = precision(m);
            JsonNode onnx = peerBeside(all, m, "onnx-trt-" + prec);
            String apart = ratio((ok(onnx) ? median(onnx) : Double.NaN) / median(m));
            String head = "| " + m.path("model").asText() + " | " + m.path("batch").asInt() + " | " + precisionLabel(m, prec);
            if (m.has("turns_error")) {
                rows.add(head + " | not timed: " + oneLine(m.path("turns_error").asText()) + " | | | | " + apart + " |");
                continue;
            }
            JsonNode t = m.path("turns");
            rows.add(head + " | " + ms(t.path("kiln_ms").asDouble(Double.NaN)) + " | " + ms(t.path("onnx_ms").asDouble(Double.NaN))
                    + " | " + ratio(t.path("ratio").asDouble(Double.NaN)) + " | " + t.path("pairs").asInt() + " | " + apart + " |");
        }
        table(b, "Kiln and ONNX→TensorRT engines timed in turns",
                "Both engines loaded in one process and timed call by call in turns (CUDA events around one enqueueV3, "
                + "synchronized, as above; each pair of calls taking turns at going first), so that both see the same host. "
                + "\"Kiln × (turns)\" = the median over pairs of ONNX / Kiln; \"Kiln × (apart)\" = the tables' ratio, "
                + "of two timings each taken right after its engine's build. Median ms.",
                "| model | batch | precision | Kiln ms | ONNX ms | Kiln × (turns) | pairs | Kiln × (apart) |",
                "|---|---:|---|---:|---:|---:|---:|---:|", rows);
    }

    /** A section of {@code rows} under {@code title}, {@code intro} and the table's header; nothing when there are no rows. */
    private static void table(StringBuilder b, String title, String intro, String header, String align, List<String> rows) {
        if (rows.isEmpty()) {
            return;
        }
        b.append("## ").append(title).append("\n\n").append(intro).append("\n\n").append(header).append('\n')
                .append(align).append('\n');
        rows.forEach(r -> b.append(r).append('\n'));
        b.append('\n');
    }

    static double graphMedian(JsonNode m) {
        return m.path("graph").path("latency_ms").path("median").asDouble(Double.NaN);
    }

    /** The graph median, or why there is none. */
    private static String graphCell(JsonNode m) {
        if (m.has("graph_error")) {
            return "not capturable";
        }
        return ms(graphMedian(m));
    }

    private static void kilnTable(StringBuilder b, JsonNode merged) {
        List<JsonNode> rows = kilnRows(listOf(merged.path("measurements")));
        if (rows.isEmpty()) {
            return;
        }
        b.append("## Kiln compile, engines and per-call overhead\n\n");
        b.append("Compile: model file to serialized engine (load, passes, TensorRT build). Cold: empty timing cache; "
                + "warm: the same compile again with the timing cache the cold one wrote; load: CompiledModule.load of "
                + "the saved engine (the engine cache). ONNX build: TensorRT's ONNX parser and builder, same settings, "
                + "empty timing cache (\"warm cache\": started from Kiln's, --shared-cache). torch.compile / "
                + "max-autotune: the first two calls of the compiled model, at the same precision (\"warm cache\": "
                + "Inductor's cache already held an earlier call's compile of the model, e.g. after a time-out; \"N compiling at "
                + "once\": measured while N models compiled side by side, --compile-procs, each then timed alone). Layers (engine inspector, WORK/layers/*.json in layers.tgz): all / fused (names "
                + "joined by \" + \") / Myelin regions / reformat copies. Overhead: "
                + "median wall time of CompiledModule.forwardInto (device tensors, includes the stream sync) minus "
                + "that of a bare enqueueV3 + stream sync on the same engine and execution context "
                + "(CompiledModule.withBareEnqueue; runs before 2026-12-05's fifteenth session timed it on a second copy "
                + "of the plan, with its own context), the two loops alternating in blocks. Paired: the median over "
                + "pairs of calls, one of each next to each other, taking turns at going first, of forwardInto's wall time "
                + "minus the bare call's (runs since the seventeenth session).\n\n");
        b.append("| model | batch | precision | cold s | warm s | load s | ONNX build s | torch.compile s | max-autotune s "
                + "| engine MiB | Kiln layers | ONNX layers | forward µs | bare µs | overhead µs | paired µs |\n");
        b.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        List<JsonNode> all = listOf(merged.path("measurements"));
        for (JsonNode m : rows) {
            String prec = m.path("precision").asText();
            JsonNode onnx = peerBeside(all, m, "onnx-trt-" + prec);
            JsonNode compiled = peerBeside(all, m, "compile-" + prec);
            JsonNode autotuned = peerBeside(all, m, "autotune-" + prec);
            JsonNode ov = m.path("overhead");
            b.append("| ").append(m.path("model").asText())
                    .append(" | ").append(m.path("batch").asInt())
                    .append(" | ").append(precisionLabel(m, prec))
                    .append(" | ").append(num(m.path("compile_cold_s").asDouble(Double.NaN), 1))
                    .append(" | ").append(num(m.path("compile_warm_s").asDouble(Double.NaN), 1))
                    .append(" | ").append(num(m.path("engine_load_s").asDouble(Double.NaN), 2))
                    .append(" | ").append(onnxBuildSeconds(onnx))
                    .append(" | ").append(torchCompileSeconds(compiled))
                    .append(" | ").append(torchCompileSeconds(autotuned))
                    .append(" | ").append(num(m.path("engine_mib").asDouble(Double.NaN), 1))
                    .append(" | ").append(layers(m))
                    .append(" | ").append(ok(onnx) ? layers(onnx) : "")
                    .append(" | ").append(num(ov.path("forward_us").asDouble(Double.NaN), 1))
                    .append(" | ").append(num(ov.path("bare_us").asDouble(Double.NaN), 1))
                    .append(" | ").append(num(ov.path("overhead_us").asDouble(Double.NaN), 1))
                    .append(" | ").append(num(ov.path("paired_overhead_us").asDouble(Double.NaN), 1))
                    .append(" |\n");
        }
        b.append('\n');
    }

    private static void problems(StringBuilder b, JsonNode merged) {
        List<String> lines = new ArrayList<>();
        for (JsonNode m : merged.path("measurements")) {
            if (!ok(m)) {
                lines.add("- " + m.path("model").asText() + " batch " + m.path("batch").asInt() + " "
                        + m.path("peer").asText() + ": " + m.path("status").asText("?") + " — "
                        + oneLine(m.path("error").asText("no reason recorded")));
            }
        }
        for (JsonNode e : merged.path("exports")) {
            if (e.has("error")) {
                lines.add("- export " + e.path("model").asText() + " batch " + e.path("batch").asInt() + ": "
                        + oneLine(e.path("error").asText()));
            }
        }
        for (JsonNode s : merged.path("skipped")) {
            lines.add("- skipped: " + oneLine(s.asText()));
        }
        if (!lines.isEmpty()) {
            b.append("## Not measured\n\n");
            lines.forEach(l -> b.append(l).append('\n'));
            b.append('\n');
        }
    }

    /**
     * A torch.compile peer's compile time (its first two calls), marked when Inductor's cache was warm or seeded
     * with max-autotune's results of an earlier session (bench/run.sh --seed-autotuning), when it
     * continued after an earlier compile ran out of time, when other models compiled at the same time
     * (--compile-procs), and where Inductor compiled its Triton kernels when not in its default way
     * (--inductor-pool: max-autotune's candidates on threads of the worker, or no compile pool at all);
     * blank if not measured.
     */
    static String torchCompileSeconds(JsonNode m) {
        if (!ok(m) || !m.has("compile_s")) {
            return "";
        }
        List<String> marks = new ArrayList<>();
        switch (m.path("inductor_cache").asText()) {
            case "warm" -> marks.add("warm cache");
            case "seeded" -> marks.add("autotuning results of an earlier session");
            default -> { }
        }
        if (m.has("compile_timed_out_s")) {
            marks.add("after a " + num(m.path("compile_timed_out_s").asDouble(), 0) + " s time-out");
        }
        if (m.path("concurrent_compiles").asInt(1) > 1) {
            marks.add(m.path("concurrent_compiles").asInt() + " compiling at once");
        }
        switch (m.path("inductor_pool").asText()) {
            case "split" -> marks.add("candidates compiled in-process");
            case "threads" -> marks.add("no compile pool");
            default -> { }
        }
        return num(m.path("compile_s").asDouble(), 1) + (marks.isEmpty() ? "" : " (" + String.join(", ", marks) + ")");
    }

    /**
     * The ONNX peer's build time: cold (from an empty timing cache), "(warm cache)" when it started from Kiln's
     * (--shared-cache), or, when this run only re-timed the engine from an earlier run's caches and no cold figure
     * exists, the seeded time marked "(seeded)"; blank if the peer did not run.
     */
    static String onnxBuildSeconds(JsonNode onnx) {
        if (!ok(onnx)) {
            return "";
        }
        if (onnx.has("build_s")) {
            return num(onnx.path("build_s").asDouble(), 1) + (sharedCache(onnx) ? " (warm cache)" : "");
        }
        return onnx.has("build_seeded_s") ? num(onnx.path("build_seeded_s").asDouble(), 1) + " (seeded)" : "";
    }

    /** Whether the ONNX build time shown was measured from Kiln's timing cache (now, or in the run it was kept from). */
    private static boolean sharedCache(JsonNode onnx) {
        return "shared".equals(onnx.path("cold_figures").isMissingNode() ? onnx.path("timing_cache").asText()
                : onnx.path("cold_timing_cache").asText());
    }

    /** A Kiln row's precision as the tables show it: {@code fp16 (fp32 acc)} for {@link BenchArgs#FP32_ACC_PEER}. */
    static String precisionLabel(JsonNode m, String prec) {
        return BenchArgs.FP32_ACC_PEER.equals(m.path("peer").asText()) ? prec + " (fp32 acc)" : prec;
    }

    /** A row's precision: its own {@code precision}, else its peer name's. */
    static String precision(JsonNode m) {
        return m.path("precision").asText(precisionOf(m.path("peer").asText()));
    }

    /** The Kiln rows (peer {@code kiln-*}) measured fine, in order: what the tables after the models' set beside their peers. */
    private static List<JsonNode> kilnRows(List<JsonNode> all) {
        return all.stream().filter(m -> m.path("peer").asText().startsWith("kiln-") && ok(m)).toList();
    }

    static String precisionOf(String peer) {
        return peer.endsWith("fp16") ? "fp16" : "fp32";
    }

    static boolean ok(JsonNode m) {
        return m != null && "ok".equals(m.path("status").asText()) && Double.isFinite(median(m));
    }

    static double median(JsonNode m) {
        return m.path("latency_ms").path("median").asDouble(Double.NaN);
    }

    static double mem(JsonNode m) {
        return m.has("gpu_mem_mib") ? m.path("gpu_mem_mib").asDouble() : m.path("peak_mem_mib").asDouble(Double.NaN);
    }

    private static JsonNode find(List<JsonNode> ms, int batch, String peer) {
        for (JsonNode m : ms) {
            if (m.path("batch").asInt() == batch && m.path("peer").asText().equals(peer)) {
                return m;
            }
        }
        return null;
    }

    private static JsonNode find(List<JsonNode> ms, String model, int batch, String peer) {
        for (JsonNode m : ms) {
            if (m.path("model").asText().equals(model) && m.path("batch").asInt() == batch
                    && m.path("peer").asText().equals(peer)) {
                return m;
            }
        }
        return null;
    }

    /** {@code peer}'s measurement of the same model and batch as {@code row} (a Kiln row's counterpart), or null. */
    private static JsonNode peerBeside(List<JsonNode> all, JsonNode row, String peer) {
        return find(all, row.path("model").asText(), row.path("batch").asInt(), peer);
    }

    private static List<JsonNode> listOf(JsonNode arr) {
        List<JsonNode> l = new ArrayList<>();
        arr.forEach(l::add);
        return l;
    }

    private static void row(StringBuilder b, String k, String v) {
        b.append("| ").append(k).append(" | ").append(v).append(" |\n");
    }

    static String ms(double v) {
        if (!Double.isFinite(v)) {
            return "";
        }
        return String.format(Locale.ROOT, v < 10 ? "%.3f" : "%.2f", v);
    }

    static String num(double v, int digits) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "";
    }

    static String sci(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1e", v) : "";
    }

    /** The accuracy cell: blank when not measured, "NaN" when the output was not finite. */
    static String accuracy(JsonNode m) {
        if (!m.has("rel_l2") || m.path("rel_l2").isNull()) {
            return "";
        }
        double v = m.path("rel_l2").asDouble(Double.NaN);
        return Double.isNaN(v) ? "NaN" : sci(v);
    }

    static String ratio(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f×", v) : "";
    }

    /** {@code all / fused / Myelin / reformat}, or just the count when the inspection is missing. */
    static String layers(JsonNode m) {
        if (!m.path("layers").isNumber()) {
            return "";
        }
        if (!m.has("fused_layers")) {
            return intOr(m.path("layers"));
        }
        return intOr(m.path("layers")) + " / " + intOr(m.path("fused_layers")) + " / " + intOr(m.path("myelin_layers"))
                + " / " + intOr(m.path("reformat_layers"));
    }

    private static String intOr(JsonNode n) {
        return n.isNumber() ? String.valueOf(n.asLong()) : "";
    }

    private static String oneLine(String s) {
        String t = s.replace('\n', ' ').replace('|', '/');
        return t.length() > 300 ? t.substring(0, 300) + "…" : t;
    }
}
