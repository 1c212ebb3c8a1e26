package dev.kiln.bench;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.ir.KilnException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bench's result files. A partial file (written by {@code export_and_time.py} or by the Java
 * runner) is an object with {@code env} (facts about the machine and versions), {@code measurements}
 * (one object per model, batch and peer: {@code model, batch, peer, precision, status, latency_ms
 * {median, p99, mean, min, n}, throughput, rel_l2, ...}), {@code exports} and {@code skipped}.
 * {@link #merge} folds partial files into one: later files win for the same model, batch and peer
 * (and for the same env key, except that the run's own keys, {@link #RUN_FIELDS}, come from the last part with a
 * date), but for a row a later file only skipped ({@link #keptOver}); rows of another run than the header's carry
 * {@code run}; and measurements come out in a fixed order (models as
 * {@link #MODELS}, batch ascending, peers as {@link #PEERS}), so the output is deterministic.
 *
 * <pre>{@code ObjectNode all = Results.merge(List.of(Results.read(torchJson), Results.read(kilnJson)));}</pre>
 */
public final class Results {
    /** The bench's models, in table order. */
    public static final List<String> MODELS = List.of("resnet50", "efficientnet_b0", "mobilenet_v3_large", "vit_b_16",
            "bert_base", "gpt2_blocks");
    /** Every peer, in table order. */
    public static final List<String> PEERS = List.of("eager-fp32", "eager-fp16", "compile-fp32", "compile-fp16",
            "autotune-fp32", "autotune-fp16", "onnx-trt-fp32", "onnx-trt-fp16", "kiln-fp32", "kiln-fp16", BenchArgs.FP32_ACC_PEER);

    /** Reads Python's NaN/Infinity (json.dumps writes them bare) and indents what it writes. */
    static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(SerializationFeature.INDENT_OUTPUT).build();

    private Results() {
    }

    /**
     * The env keys that describe one run rather than the machine or a library: a merged header takes them all from
     * the run it names (the last part with a date), so that a PyTorch-only part merged last does not present an
     * earlier part's Kiln version and groups as its own.
     */
    static final List<String> RUN_FIELDS = List.of("date", "run_id", "kiln", "mode", "javacpp_max_physical_bytes");

    /** A new, empty partial result. */
    public static ObjectNode empty(String source) {
        ObjectNode o = JSON.createObjectNode();
        o.put("source", source);
        o.putObject("env");
        o.putArray("measurements");
        o.putArray("exports");
        o.putArray("skipped");
        return o;
    }

    public static ObjectNode read(Path file) {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (!(n instanceof ObjectNode o)) {
                throw new KilnException(file + ": not a bench result file (expected a JSON object)");
            }
            return o;
        } catch (IOException e) {
            throw new KilnException(file + ": cannot read bench results: " + e.getMessage(), e);
        }
    }

    /** Writes {@code o} to {@code file} through a temp file, so a reader never sees half a file. */
    public static void write(Path file, JsonNode o) {
        dev.kiln.ir.AtomicFile.write(file, "bench results", out -> JSON.writer().without(
                com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET).writeValue(out, o));
    }

    /** Adds or replaces (same model, batch and peer) one measurement of a partial result. */
    public static void put(ObjectNode result, ObjectNode measurement) {
        JsonNode n = result.get("measurements");
        ArrayNode ms = n instanceof ArrayNode a ? a : result.putArray("measurements");
        String k = key(measurement);
        for (int i = 0; i < ms.size(); i++) {
            if (key(ms.get(i)).equals(k)) {
                ms.set(i, measurement);
                return;
            }
        }
        ms.add(measurement);
    }

    /** Compile and build times measured from an empty timing cache: a seeded re-measure cannot give them. */
    static final List<String> COLD_FIELDS = List.of("compile_cold_s", "compile_warm_s", "build_s");

    /**
     * {@code later}, which replaces {@code earlier} for the same model, batch and peer; when {@code later} was built
     * from seeded timing caches ({@code timing_cache: seeded}) and {@code earlier} measured fine, the earlier cold
     * figures {@link #COLD_FIELDS} it lacks are kept, with {@code cold_figures: "earlier run"} (and the earlier
     * {@code timing_cache} as {@code cold_timing_cache}).
     */
    static JsonNode keepColdFigures(JsonNode later, JsonNode earlier) {
        if (earlier == null || !"seeded".equals(later.path("timing_cache").asText()) || !(later instanceof ObjectNode l)
                || !"ok".equals(earlier.path("status").asText())) {
            return later;
        }
        ObjectNode out = l.deepCopy();
        boolean kept = false;
        for (String f : COLD_FIELDS) {
            if (!out.has(f) && earlier.has(f)) {
                out.set(f, earlier.get(f));
                kept = true;
            }
        }
        if (kept) {
            out.put("cold_figures", "earlier run");
            if (earlier.has("timing_cache")) {
                out.set("cold_timing_cache", earlier.get("timing_cache"));
            }
        }
        return out;
    }

    /**
     * A measured row that a later part only skipped (not started before its deadline, or timed out) stays, with the
     * run that measured it and what the later attempt says ({@code later_attempt}); a later error still replaces it,
     * so that a regression shows.
     */
    static JsonNode keptOver(JsonNode earlier, JsonNode earlierEnv, JsonNode later, JsonNode env) {
        ObjectNode out = ((ObjectNode) earlier).deepCopy();
        if (!out.has("run") && earlierEnv != null && !sameRun(earlierEnv, env)) {
            out.set("run", runOf(earlierEnv));
        }
        String why = later.path("status").asText() + (later.has("error") ? " — " + later.path("error").asText() : "");
        out.put("later_attempt", later.has("run") ? why + " (" + Report.runLabel(later.get("run")) + ")" : why);
        return out;
    }

    /** The identity of a measurement: {@code model|batch|peer}. */
    public static String key(JsonNode m) {
        return m.path("model").asText() + "|" + m.path("batch").asInt() + "|" + m.path("peer").asText();
    }

    /** Merges partial results (later parts win); see the class comment. */
    public static ObjectNode merge(List<ObjectNode> parts) {
        ObjectNode out = JSON.createObjectNode();
        ObjectNode env = out.putObject("env");
        Map<String, JsonNode> ms = new LinkedHashMap<>();
        Map<String, JsonNode> fromEnv = new LinkedHashMap<>(); // the env of the part each measurement came from
        Map<String, JsonNode> exports = new LinkedHashMap<>();
        ArrayNode skipped = JSON.createArrayNode();
        ArrayNode sources = out.putArray("sources");
        JsonNode header = null; // the run the header names: the last part that says when it ran
        for (ObjectNode p : parts) {
            Iterator<Map.Entry<String, JsonNode>> it = p.path("env").fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                env.set(e.getKey(), e.getValue());
            }
            if (p.path("env").has("date")) {
                header = p.path("env");
            }
        }
        if (header != null) {
            for (String f : RUN_FIELDS) {
                if (header.has(f)) {
                    env.set(f, header.get(f));
                } else {
                    env.remove(f);
                }
            }
            String mode = runMode(header, parts);
            if (mode != null) {
                env.put("mode", mode);
            }
        }
        for (ObjectNode p : parts) {
            sources.add(p.path("source").asText("unknown"));
            // rows of another run say which run measured them: an earlier run's merged results (--include), or a
            // part that names its run (run_id) and is not the header's, e.g. a later session's PyTorch-only file
            ObjectNode run = (p.has("sources") || p.path("env").has("run_id")) && !sameRun(p.path("env"), env)
                    ? runOf(p.path("env")) : null;
            for (JsonNode m : p.path("measurements")) {
                JsonNode stamped = run != null && !m.has("run") && m instanceof ObjectNode o ? o.deepCopy().set("run", run) : m;
                String k = key(m);
                JsonNode earlier = ms.get(k);
                if (earlier != null && "ok".equals(earlier.path("status").asText()) && "skipped".equals(m.path("status").asText())) {
                    ms.put(k, keptOver(earlier, fromEnv.get(k), stamped, env));
                    continue;
                }
                ms.put(k, keepColdFigures(stamped, earlier));
                fromEnv.put(k, p.path("env"));
            }
            for (JsonNode e : p.path("exports")) {
                exports.put(e.path("model").asText() + "|" + e.path("batch").asInt(), e);
            }
            for (JsonNode s : p.path("skipped")) {
                skipped.add(s);
            }
        }
        List<JsonNode> sorted = new ArrayList<>(ms.values());
        sorted.sort(ORDER);
        ArrayNode arr = out.putArray("measurements");
        sorted.forEach(arr::add);
        List<JsonNode> ex = new ArrayList<>(exports.values());
        ex.sort(Comparator.comparingInt((JsonNode e) -> rank(MODELS, e.path("model").asText()))
                .thenComparing(e -> e.path("model").asText()).thenComparingInt(e -> e.path("batch").asInt()));
        ArrayNode exArr = out.putArray("exports");
        ex.forEach(exArr::add);
        out.set("skipped", skipped);
        return out;
    }

    /** The run an environment describes: its date, Kiln version, GPU and driver. */
    static ObjectNode runOf(JsonNode env) {
        ObjectNode run = JSON.createObjectNode();
        for (String f : List.of("date", "kiln", "gpu", "driver")) {
            if (env.has(f)) {
                run.set(f, env.get(f));
            }
        }
        return run;
    }

    /** How {@code export_and_time.py} begins its part's mode ({@code PyTorch peers only, groups export,eager}): its PYTORCH_ONLY. */
    static final String PYTORCH_ONLY = "PyTorch peers only, groups ";

    /**
     * The mode of a run whose Java part is the header: the Java runner's groups, and the PyTorch groups of the same
     * run's PyTorch part ({@code full, ..., groups kiln,onnx; PyTorch groups export,eager,compile}), so that the
     * header names every group whose rows its table shows; null where there is nothing to add.
     */
    static String runMode(JsonNode header, List<ObjectNode> parts) {
        String mode = header.path("mode").asText("");
        if (mode.isEmpty() || mode.startsWith(PYTORCH_ONLY) || mode.contains("; PyTorch ")) {
            return null;
        }
        for (ObjectNode p : parts) {
            String other = p.path("env").path("mode").asText("");
            if (other.startsWith(PYTORCH_ONLY) && sameRun(p.path("env"), header)) {
                return mode + "; PyTorch groups " + other.substring(PYTORCH_ONLY.length());
            }
        }
        return null;
    }

    /**
     * Whether two environments are the same run: the same {@code run_id} where both have one (one per work folder:
     * {@code bench/run.sh}'s {@code BENCH_RUN_ID}, which its Python and Java parts both record), else the same date
     * and Kiln version.
     */
    static boolean sameRun(JsonNode a, JsonNode b) {
        if (a.has("run_id") && b.has("run_id")) {
            return a.path("run_id").asText().equals(b.path("run_id").asText());
        }
        return a.path("date").asText("").equals(b.path("date").asText("")) && a.path("kiln").asText("").equals(b.path("kiln").asText(""));
    }

    /** Table order: model, batch, peer. */
    public static final Comparator<JsonNode> ORDER = Comparator
            .comparingInt((JsonNode m) -> rank(MODELS, m.path("model").asText()))
            .thenComparing(m -> m.path("model").asText())
            .thenComparingInt(m -> m.path("batch").asInt())
            .thenComparingInt(m -> rank(PEERS, m.path("peer").asText()))
            .thenComparing(m -> m.path("peer").asText());

    static int rank(List<String> order, String s) {
        int i = order.indexOf(s);
        return i < 0 ? order.size() : i;
    }
}
