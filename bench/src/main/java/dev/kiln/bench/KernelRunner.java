package dev.kiln.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.npy.Npz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code Main kernels}: every Kiln and ONNX→TensorRT engine a {@code run} left in {@code WORK/engines/}, profiled
 * kernel by kernel with {@link KernelProfile}, into {@code WORK/results/kernels.json} and a side-by-side
 * {@code kernels.md} ({@link KernelReport}) in the output folder. In a JVM of its own, after the timed runs.
 *
 * <pre>{@code java -cp "$CP" dev.kiln.bench.Main kernels --work "$WORK" --models bert_base --batches 1 --out "$OUT"}</pre>
 */
final class KernelRunner {
    /** Profiled runs per engine: enough for a stable per-run figure, few enough to keep CUPTI's records small. */
    static final int MAX_RUNS = 50;

    private KernelRunner() {
    }

    static ObjectNode run(BenchArgs a) {
        Path models = a.work().resolve("models");
        Path engines = a.work().resolve("engines");
        List<GpuRunner.Entry> entries = GpuRunner.entries(models.resolve("manifest.json"), a.models(), a.batches());
        requireEngines(engines, entries, a.precisions());
        ObjectNode out = Results.JSON.createObjectNode();
        ArrayNode profiles = out.putArray("profiles");
        int runs = Math.min(MAX_RUNS, a.iters());
        for (GpuRunner.Entry e : entries) {
            Map<String, ConstantTensor> npz = null;
            for (String prec : a.precisions()) {
                for (String peer : List.of("kiln-" + prec, "onnx-trt-" + prec)) {
                    Path file = e.engineFile(engines, peer);
                    if (!Files.isRegularFile(file)) {
                        continue;
                    }
                    ObjectNode rec = profiles.addObject();
                    rec.put("model", e.model()).put("batch", e.batch()).put("precision", prec).put("peer", peer);
                    try {
                        if (npz == null) {
                            npz = Npz.read(models.resolve(e.npz()));
                        }
                        profile(file, npz, runs, rec);
                        addLayers(rec, a.work().resolve("layers").resolve(e.key() + "-" + peer + ".json"));
                        System.out.printf(java.util.Locale.ROOT, "KERNELS %s %s runs=%d kernels_per_run=%.1f gpu_us_per_run=%.1f"
                                        + " stream_span_us=%.1f stream_idle_us=%.1f graph_span_us=%.1f graph_idle_us=%.1f copies=%d%n",
                                e.key(), peer, runs, rec.path("kernels_per_run").asDouble(), rec.path("gpu_us_per_run").asDouble(),
                                rec.path("stream").path("span_us").asDouble(Double.NaN), rec.path("stream").path("idle_us").asDouble(Double.NaN),
                                rec.path("graph").path("span_us").asDouble(Double.NaN), rec.path("graph").path("idle_us").asDouble(Double.NaN),
                                rec.path("stream").path("copies").asInt(-1));
                    } catch (RuntimeException ex) {
                        rec.put("error", ex.getClass().getSimpleName() + ": " + ex.getMessage());
                        System.out.println("KERNELS " + e.key() + " " + peer + " error=" + ex.getMessage());
                    }
                }
            }
        }
        Results.write(a.work().resolve("results").resolve("kernels.json"), out);
        Path dir = a.out().orElse(a.work());
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("kernels.md"), KernelReport.markdown(out), StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new KilnException(dir + ": cannot write kernels.md: " + ex.getMessage(), ex);
        }
        return out;
    }

    /**
     * Refuses a profile of nothing: the engines come from groups {@code kiln} and {@code onnx} of an earlier
     * {@code run} in the same work folder, and a call that named only {@code kernels} would otherwise write an empty
     * report.
     */
    static void requireEngines(Path engines, List<GpuRunner.Entry> entries, List<String> precisions) {
        for (GpuRunner.Entry e : entries) {
            for (String prec : precisions) {
                for (String peer : List.of("kiln-" + prec, "onnx-trt-" + prec)) {
                    if (Files.isRegularFile(e.engineFile(engines, peer))) {
                        return;
                    }
                }
            }
        }
        List<String> keys = entries.stream().map(GpuRunner.Entry::key).toList();
        throw new KilnException(engines + " holds no engine of " + (keys.isEmpty() ? "the models asked for" : String.join(", ", keys))
                + " " + precisions + " to profile: group kernels profiles the engines that groups kiln and onnx build; name them in "
                + "the same run (bench/run.sh --group export,kiln,onnx,kernels) or run them first in the same work folder");
    }

    private static void profile(Path file, Map<String, ConstantTensor> npz, int runs, ObjectNode rec) {
        try (EngineRun r = EngineRun.load(Engine.readPlan(file), npz)) {
            r.bareWallMicros(10, 1); // warm: lazy initialization inside TensorRT stays out of the profile
            List<KernelProfile.Kernel> ks = KernelProfile.profile(() -> r.bareWallMicros(0, runs));
            fill(rec, ks, runs);
            timeline(rec.putObject("stream"), () -> KernelProfile.timeline(() -> r.bareWallMicros(0, 1), TIMELINE_RUNS));
            timeline(rec.putObject("graph"), () -> r.inGraph(launch -> KernelProfile.timeline(() -> {
                launch.run();
                r.sync();
            }, TIMELINE_RUNS)));
        }
    }

    /** Runs profiled one at a time for each {@link KernelProfile#timeline}: per call, and replayed from a CUDA graph. */
    static final int TIMELINE_RUNS = 20;

    /** One timeline's figures into {@code rec}, or why there are none (an engine a CUDA graph cannot capture). */
    static void timeline(ObjectNode rec, java.util.function.Supplier<KernelProfile.Timeline> take) {
        try {
            fillTimeline(rec, take.get());
        } catch (RuntimeException ex) {
            rec.put("error", ex.getClass().getSimpleName() + ": " + ex.getMessage());
        }
    }

    /** Medians over the timeline's runs: span, idle, copies' time; counts per run (-1 where the runs differ). */
    static void fillTimeline(ObjectNode rec, KernelProfile.Timeline t) {
        rec.put("runs", t.runs().size());
        rec.put("span_us", GpuRunner.round(t.medianSpanMicros(), 2));
        rec.put("idle_us", GpuRunner.round(t.medianIdleMicros(), 2));
        rec.put("kernels", t.kernelsPerRun());
        rec.put("copies", t.copiesPerRun());
        rec.put("copy_us", GpuRunner.round(t.medianCopyMicros(), 2));
        rec.put("memsets", t.memsetsPerRun());
    }

    /** The record of one engine's profile: per run, its kernel launches and GPU time, and each kernel's share. */
    static void fill(ObjectNode rec, List<KernelProfile.Kernel> ks, int runs) {
        long launches = 0;
        long nanos = 0;
        for (KernelProfile.Kernel k : ks) {
            launches += k.launches();
            nanos += k.totalNs();
        }
        rec.put("runs", runs);
        rec.put("kernels_per_run", GpuRunner.round((double) launches / runs, 2));
        rec.put("gpu_us_per_run", GpuRunner.round(nanos / 1e3 / runs, 2));
        ArrayNode arr = rec.putArray("kernels");
        for (KernelProfile.Kernel k : ks) {
            arr.addObject().put("name", k.name()).put("launches_per_run", GpuRunner.round((double) k.launches() / runs, 2))
                    .put("us_per_run", GpuRunner.round(k.microsPerRun(runs), 3));
        }
    }

    /**
     * Names, for each profiled kernel, the engine's layers whose tactic it is (the engine inspector's {@code TacticName}
     * of each layer, in the layer file the run wrote): {@code layers} (at most three names) and {@code layer_count}.
     */
    static void addLayers(ObjectNode rec, Path layerFile) {
        if (!Files.isRegularFile(layerFile) || !rec.has("kernels")) {
            return;
        }
        Map<String, List<String>> byTactic;
        try {
            byTactic = layersByTactic(Results.JSON.readTree(layerFile.toFile()));
        } catch (IOException | RuntimeException ex) {
            rec.put("layers_error", layerFile + ": " + ex.getMessage());
            return;
        }
        for (JsonNode k : rec.path("kernels")) {
            List<String> names = layersOf(k.path("name").asText(), byTactic);
            if (!names.isEmpty()) {
                ArrayNode arr = ((ObjectNode) k).putArray("layers");
                names.stream().limit(3).forEach(arr::add);
                ((ObjectNode) k).put("layer_count", names.size());
            }
        }
    }

    /** Each tactic's layers, from the engine inspector's JSON ({@code Layers}, detailed: objects with {@code TacticName}). */
    static Map<String, List<String>> layersByTactic(JsonNode inspector) {
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        for (JsonNode l : inspector.path("Layers")) {
            String tactic = l.path("TacticName").asText("");
            if (!tactic.isEmpty()) {
                out.computeIfAbsent(tactic, t -> new java.util.ArrayList<>()).add(l.path("Name").asText("?"));
            }
        }
        return out;
    }

    /** The layers whose tactic is {@code kernel}: the same name, else a tactic name that one of them contains. */
    static List<String> layersOf(String kernel, Map<String, List<String>> byTactic) {
        List<String> exact = byTactic.get(kernel);
        if (exact != null) {
            return exact;
        }
        List<String> out = new java.util.ArrayList<>();
        byTactic.forEach((tactic, names) -> {
            if (tactic.length() >= 8 && (kernel.contains(tactic) || tactic.contains(kernel))) {
                out.addAll(names);
            }
        });
        return out;
    }
}
