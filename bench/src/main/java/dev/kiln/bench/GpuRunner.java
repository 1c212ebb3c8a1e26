package dev.kiln.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.backend.tensorrt.runtime.DeviceBuffer;
import dev.kiln.backend.tensorrt.runtime.DeviceTensor;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.compiler.CompileSettings;
import dev.kiln.compiler.CompiledModule;
import dev.kiln.compiler.Kiln;
import dev.kiln.compiler.hybrid.Platform;
import dev.kiln.compiler.measure.Accuracy;
import dev.kiln.compiler.measure.Stats;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.npy.Npz;
import dev.kiln.passes.Precision;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.tensorrt.global.nvinfer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.DoubleSupplier;

/**
 * The bench's GPU part: for every model and batch in {@code WORK/models/manifest.json} (written by
 * {@code export_and_time.py}) and every precision, compiles the {@code .pt2} with Kiln and builds the
 * ONNX export with TensorRT's ONNX parser, times both engines with the same {@link EngineRun} code,
 * checks their outputs against the eager FP32 reference, dumps their engine inspector JSON to
 * {@code WORK/layers/}, and for Kiln also measures compile time (cold, warm) and the per-call overhead
 * of {@link CompiledModule#forwardInto} over a bare {@code enqueueV3}. Every measurement is written to
 * {@code WORK/results/kiln.json} as soon as it is done, so a run cut short keeps what it measured.
 *
 * <pre>{@code new GpuRunner(BenchArgs.parse("run", "--work", "/tmp/w")).run();}</pre>
 */
public final class GpuRunner {
    private static final Logger LOG = LoggerFactory.getLogger(GpuRunner.class);

    private final BenchArgs args;
    private final Path models;
    private final Path resultFile;
    private final ObjectNode result;
    private final long deadlineNanos;

    public GpuRunner(BenchArgs args) {
        this.args = args;
        this.models = args.work().resolve("models");
        this.resultFile = args.out().orElse(args.work().resolve("results").resolve("kiln.json"));
        this.result = Files.isRegularFile(resultFile) ? Results.read(resultFile) : Results.empty("kiln");
        this.deadlineNanos = System.nanoTime() + (long) (args.deadline() * 1e9);
    }

    /** One model and batch size as the manifest lists it. */
    record Entry(String model, int batch, String pt2, String onnx, String onnxFp16, String npz, String exportErrors) {
        String key() {
            return model + "_b" + batch;
        }

        /**
         * Where groups {@code kiln} and {@code onnx} leave {@code peer}'s engine ({@code kiln-fp16}, {@code onnx-trt-fp32},
         * ...) in the work folder's {@code engines/}, and where group {@code turns} and {@code Main kernels} read it.
         */
        Path engineFile(Path engines, String peer) {
            return engines.resolve(key() + "-" + peer + ".engine");
        }
    }

    /** Reads the manifest, keeping the models and batches the arguments select. */
    static List<Entry> entries(Path manifest, List<String> models, List<Integer> batches) {
        if (!Files.isRegularFile(manifest)) {
            throw new KilnException(manifest + " not found: run bench/export_and_time.py with the same work folder first");
        }
        JsonNode root = Results.read(manifest);
        List<Entry> out = new ArrayList<>();
        for (JsonNode e : root.path("entries")) {
            String m = e.path("model").asText();
            int b = e.path("batch").asInt();
            if ((models.isEmpty() || models.contains(m)) && (batches.isEmpty() || batches.contains(b))) {
                List<String> errors = new ArrayList<>();
                for (String k : List.of("pt2_error", "onnx_error", "onnx_fp16_error")) {
                    if (e.has(k)) {
                        errors.add(e.path(k).asText());
                    }
                }
                out.add(new Entry(m, b, e.path("pt2").asText(""), e.path("onnx").asText(""), e.path("onnx_fp16").asText(""),
                        e.path("npz").asText(""), String.join(" | ", errors)));
            }
        }
        out.sort(java.util.Comparator.comparingInt((Entry e) -> Results.rank(Results.MODELS, e.model()))
                .thenComparing(Entry::model).thenComparingInt(Entry::batch));
        return out;
    }

    public void run() {
        List<Entry> entries = entries(models.resolve("manifest.json"), args.models(), args.batches());
        ObjectNode env = (ObjectNode) result.get("env");
        try {
            environment(env);
            env.put("trt_warmup_s", round(OnnxEngineBuilder.warmUp(), 2));
            // Kiln's builder lives as long as the process; created here, its loading of TensorRT's builder resources
            // (about 4 s) is charged to no model (it was charged to the first Kiln compile before 2026-12-04, fourth session)
            env.put("kiln_builder_s", round(dev.kiln.backend.tensorrt.EngineBuilder.prepare(), 2));
        } catch (RuntimeException | LinkageError e) {
            // without TensorRT every peer fails with the same reason; record it once and let them say so
            env.put("trt_error", String.valueOf(e.getMessage()));
            LOG.error("TensorRT is not usable", e);
        }
        save();
        int paired = 0;
        for (Entry e : entries) {
            Map<String, ConstantTensor> read;
            RuntimeException unreadable = null;
            try {
                read = Npz.read(models.resolve(e.npz()));
            } catch (RuntimeException ex) {
                read = Map.of();
                unreadable = ex;
            }
            Map<String, ConstantTensor> npz = read;
            RuntimeException missing = unreadable;
            for (String prec : args.precisions()) {
                if (args.has("kiln")) {
                    guarded(e, "kiln-" + prec, prec, rec -> kiln(e, prec, false, require(npz, missing), rec));
                    if (args.fp32Acc() && prec.equals("fp16")) {
                        guarded(e, BenchArgs.FP32_ACC_PEER, prec, rec -> kiln(e, prec, true, require(npz, missing), rec));
                    }
                }
                if (args.has("onnx")) {
                    guarded(e, "onnx-trt-" + prec, prec, rec -> onnx(e, prec, require(npz, missing), rec));
                }
                if (args.has("turns") && missing == null && turns(e, prec, npz)) {
                    paired++;
                }
            }
        }
        if (args.has("turns") && paired == 0) {
            System.out.println("KILN-BENCH turns: no model, batch and precision asked for has both Kiln's and the ONNX parser's "
                    + "engine measured fine in " + args.work() + " (and not already timed in turns): name groups kiln,onnx,turns");
        }
        save();
    }

    private static Map<String, ConstantTensor> require(Map<String, ConstantTensor> npz, RuntimeException whyMissing) {
        if (whyMissing != null) {
            throw whyMissing;
        }
        return npz;
    }

    private interface Body {
        void fill(ObjectNode rec) throws Exception;
    }

    /** Runs one peer; a failure or the deadline becomes the measurement's status. */
    private void guarded(Entry e, String peer, String prec, Body body) {
        ObjectNode rec = Results.JSON.createObjectNode();
        rec.put("model", e.model());
        rec.put("batch", e.batch());
        rec.put("peer", peer);
        rec.put("precision", prec);
        JsonNode done = measured(e, peer);
        if (done != null) {
            System.out.println("KILN-BENCH " + e.key() + " " + peer + ": measured by an earlier call (--redo measures again)");
            return;
        }
        double left = (deadlineNanos - System.nanoTime()) / 1e9;
        Optional<String> wontFinish = PeerCost.wontFinish(result.path("measurements"), e.model(), e.batch(), peer, left,
                args.sharedCache() && args.seedCaches().isEmpty(), result.path("env").path("gpu").asText(""));
        if (left <= 0) {
            rec.put("status", "skipped");
            rec.put("error", "the run's deadline (--deadline " + args.deadline() + " s) had passed");
        } else if (wontFinish.isPresent()) {
            rec.put("status", "skipped");
            rec.put("error", wontFinish.get());
        } else {
            try {
                long t0 = System.nanoTime();
                body.fill(rec);
                rec.put("peer_s", seconds(t0));
                rec.put("status", "ok");
            } catch (Exception | LinkageError ex) {
                LOG.error("{} {} failed", e.key(), peer, ex);
                rec.put("status", "error");
                String msg = ex.getClass().getSimpleName() + ": " + ex.getMessage();
                rec.put("error", msg.length() > 2000 ? msg.substring(0, 2000) : msg);
            }
        }
        Results.put(result, rec);
        save();
        System.out.println(summary(rec));
    }

    /** The ok measurement an earlier call left in the result file, unless {@code --redo}. */
    private JsonNode measured(Entry e, String peer) {
        return args.redo() ? null : okMeasurement(e, peer);
    }

    /** Kiln's peer at {@code prec}; with {@code fp32Acc} its matrix products accumulate in FP32 ({@link BenchArgs#FP32_ACC_PEER}). */
    private void kiln(Entry e, String prec, boolean fp32Acc, Map<String, ConstantTensor> npz, ObjectNode rec) throws IOException {
        if (e.pt2().isEmpty()) {
            throw new KilnException("no .pt2 export for " + e.key() + ": " + e.exportErrors());
        }
        Path pt2 = models.resolve(e.pt2());
        String peer = rec.path("peer").asText();
        Path caches = Files.createDirectories(args.work().resolve("caches"));
        Path cache = caches.resolve(e.key() + "-" + peer + ".timing");
        boolean seeded = seed(cache, rec);
        // detailed layer information (each layer's tactic and formats in layers/*.json), as for the ONNX peer
        CompileSettings s = CompileSettings.defaults().withPrecision(Precision.parse(prec)).withTimingCache(cache)
                .withDetailedLayerInfo(true).withFp32Accumulation(fp32Acc);
        if (fp32Acc) {
            rec.put("fp32_acc", true);
        }
        long t0 = System.nanoTime();
        BuiltEngine built = Kiln.build(Kiln.load(pt2), s);
        if (seeded) {
            rec.put("compile_seeded_s", seconds(t0));
            rec.put("build_seeded_s", round(built.buildSeconds(), 2));
        } else {
            rec.put("compile_cold_s", seconds(t0));
            rec.put("build_s", round(built.buildSeconds(), 2));
        }
        if (args.has("compile-time") && !seeded) {
            long t1 = System.nanoTime();
            Kiln.build(Kiln.load(pt2), s);
            rec.put("compile_warm_s", seconds(t1));
        }
        Path engineFile = e.engineFile(Files.createDirectories(args.work().resolve("engines")), peer);
        Engine.writeAtomically(engineFile, built.plan());
        measure(e, rec, built.plan(), npz, engineFile);
    }

    /**
     * Starts {@code cache} from the same-named file of {@code --seed-caches} when there is one (true, and the record
     * says {@code timing_cache: seeded}); otherwise deletes it, so the build is cold (false).
     */
    private boolean seed(Path cache, ObjectNode rec) throws IOException {
        Optional<Path> seed = args.seedCaches().map(d -> d.resolve(cache.getFileName().toString())).filter(Files::isRegularFile);
        if (seed.isEmpty()) {
            Files.deleteIfExists(cache);
            return false;
        }
        Files.copy(seed.get(), cache, StandardCopyOption.REPLACE_EXISTING);
        rec.put("timing_cache", "seeded");
        return true;
    }

    private void onnx(Entry e, String prec, Map<String, ConstantTensor> npz, ObjectNode rec) throws IOException {
        String file = "fp16".equals(prec) ? e.onnxFp16() : e.onnx();
        if (file.isEmpty()) {
            throw new KilnException("no ONNX export for " + e.key() + " " + prec + ": " + e.exportErrors());
        }
        Path caches = Files.createDirectories(args.work().resolve("caches"));
        Path cache = caches.resolve(e.key() + "-onnx-" + prec + ".timing");
        boolean seeded = seed(cache, rec);
        if (!seeded) {
            Path kilnCache = caches.resolve(e.key() + "-kiln-" + prec + ".timing");
            // shared: identical layers then get the same tactics in both engines, and the build is faster (not cold)
            boolean shared = args.sharedCache() && Files.isRegularFile(kilnCache);
            if (shared) {
                Files.copy(kilnCache, cache);
            }
            rec.put("timing_cache", shared ? "shared" : "cold");
        }
        OnnxEngineBuilder.Built b = OnnxEngineBuilder.build(models.resolve(file), cache);
        rec.put(seeded ? "build_seeded_s" : "build_s", round(b.seconds(), 2));
        // kept beside Kiln's, for group turns and the kernel profiles (Main kernels)
        Engine.writeAtomically(e.engineFile(Files.createDirectories(args.work().resolve("engines")), "onnx-trt-" + prec), b.plan());
        measure(e, rec, b.plan(), npz, null);
    }

    /** Times a plan with {@link EngineRun}; for Kiln ({@code engineFile} given) also the engine load and the overhead. */
    private void measure(Entry e, ObjectNode rec, java.nio.ByteBuffer plan, Map<String, ConstantTensor> npz, Path engineFile) {
        rec.put("engine_mib", round(plan.remaining() / 1048576.0, 1));
        try (EngineRun r = EngineRun.load(plan, npz)) {
            EngineRun.Timing t = r.time(args.warmup(), args.iters(), args.maxSeconds(), e.batch());
            latency(rec, t);
            rec.put("iters", t.latencyMs().n());
            rec.put("gpu_mem_mib", round(r.memoryBytes() / 1048576.0, 1));
            rec.put("activation_mib", round(r.activationBytes() / 1048576.0, 1));
            rec.put("rel_l2", accuracy(r, npz, rec));
            layers(e, rec, r);
            if (engineFile != null) {
                long t0 = System.nanoTime();
                try (CompiledModule m = CompiledModule.load(engineFile)) {
                    rec.put("engine_load_s", seconds(t0));
                    if (args.has("overhead")) {
                        overhead(m, npz, rec);
                    }
                }
            }
            // last: a capture TensorRT refuses can cost nothing but the graph's own fields
            if (args.has("graph")) {
                graph(e, rec, r, npz);
            }
        }
    }

    private static void latency(ObjectNode rec, EngineRun.Timing t) {
        ObjectNode lat = rec.putObject("latency_ms");
        lat.put("median", t.latencyMs().median());
        lat.put("p99", t.latencyMs().p99());
        lat.put("mean", t.latencyMs().mean());
        lat.put("min", t.latencyMs().min());
        lat.put("n", t.latencyMs().n());
        rec.put("throughput", t.throughput());
        // read right after the loop: whether the GPU ran these samples at its full clock
        GpuClock.read().ifPresent(c -> rec.set("sm_clock", c));
    }

    /**
     * The same engine replayed from a CUDA graph ({@link EngineRun#timeGraph}), after its stream timing and overhead loops: the
     * record's {@code graph} object holds the latency, throughput and the outputs' error (the same kernels, so the
     * same error as {@code rel_l2}); an engine TensorRT cannot capture gets {@code graph_error} instead.
     */
    private void graph(Entry e, ObjectNode rec, EngineRun r, Map<String, ConstantTensor> npz) {
        try {
            EngineRun.Timing t = r.timeGraph(args.warmup(), args.iters(), args.maxSeconds(), e.batch());
            ObjectNode g = rec.putObject("graph");
            latency(g, t);
            g.put("rel_l2", accuracy(r, npz, g));
        } catch (KilnException ex) {
            rec.remove("graph");
            rec.put("graph_error", ex.getMessage());
        }
    }

    /** Worst relative L2 error over the outputs (matched by name {@code yK}, else by order). */
    private static double accuracy(EngineRun r, Map<String, ConstantTensor> npz, ObjectNode rec) {
        List<ConstantTensor> outs = r.outputs();
        List<String> names = r.outputNames();
        double worst = 0;
        ObjectNode per = rec.putObject("rel_l2_per_output");
        for (int i = 0; i < outs.size(); i++) {
            String n = names.get(i);
            ConstantTensor ref = npz.containsKey(n) && n.startsWith("y") ? npz.get(n) : npz.get("y" + i);
            double err = ref == null ? Double.NaN : Accuracy.relL2(outs.get(i), ref);
            per.put(n, err);
            worst = Double.isNaN(err) || Double.isNaN(worst) ? Double.NaN : Math.max(worst, err);
        }
        return worst;
    }

    private void layers(Entry e, ObjectNode rec, EngineRun r) {
        rec.put("layers", r.layerCount());
        String json = r.inspect();
        try {
            Path dir = Files.createDirectories(args.work().resolve("layers"));
            String name = e.key() + "-" + rec.path("peer").asText() + ".json";
            Files.writeString(dir.resolve(name), json, StandardCharsets.UTF_8);
            rec.put("layer_file", "layers/" + name);
            LayerSummary s = LayerSummary.of(Results.JSON.readTree(json));
            rec.put("fused_layers", s.fused());
            rec.put("myelin_layers", s.foreign());
            rec.put("reformat_layers", s.reformats());
        } catch (IOException ex) {
            rec.put("layer_error", ex.getMessage());
        }
    }

    /**
     * Median host wall time of {@code forwardInto} (Kiln's public device-tensor path: binds, sets shapes,
     * enqueues and waits) against a bare enqueueV3 + sync on the same engine and execution context
     * ({@link CompiledModule#withBareEnqueue}); the two loops alternate in blocks so drift hits both. Then the same
     * difference call by call ({@link #pairedDifferences}), each bare call after the one run that
     * {@code withBareEnqueue} makes to bind the buffers.
     */
    private void overhead(CompiledModule m, Map<String, ConstantTensor> npz, ObjectNode rec) {
        List<DeviceTensor> ins = new ArrayList<>();
        List<DeviceBuffer> outs = new ArrayList<>();
        try {
            List<Engine.IoTensor> engineIns = m.engine().inputs();
            for (int i = 0; i < engineIns.size(); i++) {
                Engine.IoTensor io = engineIns.get(i);
                ConstantTensor x = npz.containsKey(io.name()) ? npz.get(io.name()) : npz.get("x" + i);
                ins.add(DeviceTensor.upload(EngineRun.convert(x, io.dtype())));
            }
            for (Engine.IoTensor io : m.engine().outputs()) {
                long bytes = io.dtype().byteSize();
                for (long d : io.shape()) {
                    bytes *= Math.max(1, d);
                }
                outs.add(new DeviceBuffer(bytes));
            }
            // forwardInto takes the graph's inputs; for the bench's models they are the engine's, in order
            int block = Math.max(10, args.iters() / 10);
            List<Double> fwd = new ArrayList<>();
            List<Double> raw = new ArrayList<>();
            for (int round = 0; round < 5; round++) {
                int warm = round == 0 ? args.warmup() : 0;
                for (double us : Stats.wallTimes(() -> m.forwardInto(ins, outs), warm, block, 1e3)) {
                    fwd.add(us);
                }
                for (double us : m.withBareEnqueue(ins, outs, bare -> Stats.wallTimes(bare, warm, block, 1e3))) {
                    raw.add(us);
                }
            }
            double f = Stats.of(fwd.stream().mapToDouble(Double::doubleValue).toArray()).median();
            double b = Stats.of(raw.stream().mapToDouble(Double::doubleValue).toArray()).median();
            ObjectNode o = rec.putObject("overhead");
            o.put("forward_us", round(f, 2));
            o.put("bare_us", round(b, 2));
            o.put("overhead_us", round(f - b, 2));
            double[] pairs = pairedDifferences(() -> Stats.wallTimes(() -> m.forwardInto(ins, outs), 0, 1, 1e3)[0],
                    () -> m.withBareEnqueue(ins, outs, bare -> Stats.wallTimes(bare, 0, 1, 1e3)[0]),
                    args.iters(), args.maxSeconds());
            o.put("paired_overhead_us", round(Stats.of(pairs).median(), 2));
            o.put("pairs", pairs.length);
        } finally {
            ins.forEach(DeviceTensor::close);
            outs.forEach(DeviceBuffer::close);
        }
    }

    /**
     * The overhead call by call: each pair times one Kiln call ({@code kilnMicros}) and one bare call ({@code bareMicros})
     * next to each other, taking turns at going first ({@link #inTurns}), so that neither drift between blocks nor what
     * ran just before favours one side. Returns each pair's difference, Kiln minus bare, in µs: at least 10 pairs, at
     * most {@code iters}, no new pair after {@code maxSeconds}.
     */
    static double[] pairedDifferences(DoubleSupplier kilnMicros, DoubleSupplier bareMicros, int iters, double maxSeconds) {
        double[][] t = inTurns(kilnMicros, bareMicros, iters, maxSeconds);
        double[] out = new double[t[0].length];
        for (int i = 0; i < out.length; i++) {
            out[i] = t[0][i] - t[1][i];
        }
        return out;
    }

    /**
     * Samples {@code a} and {@code b} in pairs, next to each other, {@code a} first in even pairs and {@code b} first in
     * odd ones: at least 10 pairs, at most {@code iters}, no new pair after {@code maxSeconds}. Returns {@code {a's
     * samples, b's samples}}, pair by pair.
     */
    static double[][] inTurns(DoubleSupplier a, DoubleSupplier b, int iters, double maxSeconds) {
        int n = Math.max(10, iters);
        double[] as = new double[n];
        double[] bs = new double[n];
        long stop = System.nanoTime() + (long) (maxSeconds * 1e9);
        int i = 0;
        for (; i < n && (i < 10 || System.nanoTime() < stop); i++) {
            if (i % 2 == 0) {
                as[i] = a.getAsDouble();
                bs[i] = b.getAsDouble();
            } else {
                bs[i] = b.getAsDouble();
                as[i] = a.getAsDouble();
            }
        }
        return new double[][] {Arrays.copyOf(as, i), Arrays.copyOf(bs, i)};
    }

    /**
     * Kiln's engine and the ONNX parser's of one model, batch and precision, timed in turns: both loaded in this
     * process, warmed, then one call of each next to the other ({@link #inTurns}), each an event pair around one
     * {@code enqueueV3} as in {@link EngineRun#time}. The peers' own timings ran right after their builds, up to
     * minutes apart, and per call an engine bound by the host's launches moves with the host's state (Kiln's
     * MobileNetV3-Large batch 1 FP32 engine, built afresh in each run, 0.47-0.70 ms per call in three runs on H100s,
     * twentieth session, and 0.37-0.41 ms replayed from a CUDA graph): their ratio then measures the host between the
     * two timings as much as the engines. In turns, both see the same host. Writes the Kiln record's {@code turns} ({@code kiln_ms}, {@code onnx_ms}: the medians;
     * {@code ratio}: the median over pairs of ONNX / Kiln, above 1 Kiln is faster; {@code pairs}) or
     * {@code turns_error}. Needs both peers measured fine and their engines in {@code WORK/engines/}; a pair an earlier
     * call timed is not timed again (unless {@code --redo}). Returns whether it tried.
     */
    private boolean turns(Entry e, String prec, Map<String, ConstantTensor> npz) {
        ObjectNode kiln = okMeasurement(e, "kiln-" + prec);
        if (kiln == null || okMeasurement(e, "onnx-trt-" + prec) == null || (kiln.has("turns") && !args.redo())) {
            return false;
        }
        kiln.remove(List.of("turns", "turns_error"));
        Path engines = args.work().resolve("engines");
        Path kilnFile = e.engineFile(engines, "kiln-" + prec);
        Path onnxFile = e.engineFile(engines, "onnx-trt-" + prec);
        try {
            if (System.nanoTime() > deadlineNanos) {
                throw new KilnException("the run's deadline (--deadline " + args.deadline() + " s) had passed");
            }
            try (EngineRun k = EngineRun.load(Engine.readPlan(kilnFile), npz);
                 EngineRun o = EngineRun.load(Engine.readPlan(onnxFile), npz);
                 EngineRun.Events ev = new EngineRun.Events()) {
                for (int i = 0; i < args.warmup(); i++) {
                    k.sampleMs(ev);
                    o.sampleMs(ev);
                }
                double[][] t = inTurns(() -> k.sampleMs(ev), () -> o.sampleMs(ev), args.iters(), args.maxSeconds());
                Optional<ObjectNode> clock = GpuClock.read();
                double[] ratios = new double[t[0].length];
                for (int i = 0; i < ratios.length; i++) {
                    ratios[i] = t[1][i] / t[0][i];
                }
                ObjectNode turns = kiln.putObject("turns");
                turns.put("kiln_ms", round(Stats.of(t[0]).median(), 4));
                turns.put("onnx_ms", round(Stats.of(t[1]).median(), 4));
                turns.put("ratio", round(Stats.of(ratios).median(), 4));
                turns.put("pairs", ratios.length);
                clock.ifPresent(c -> turns.set("sm_clock", c));
                System.out.printf(Locale.ROOT, "KILN-BENCH turns %s %s: kiln %.3f ms, onnx-trt %.3f ms, Kiln %.2fx (%d pairs)%n",
                        e.key(), prec, turns.path("kiln_ms").asDouble(), turns.path("onnx_ms").asDouble(),
                        turns.path("ratio").asDouble(), ratios.length);
            }
        } catch (RuntimeException ex) {
            LOG.error("{} {}: timing the two engines in turns failed", e.key(), prec, ex);
            kiln.put("turns_error", ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage());
        }
        save();
        return true;
    }

    /** This run's result-file record of {@code peer} for {@code e}, when it measured fine (the object itself, to add to). */
    private ObjectNode okMeasurement(Entry e, String peer) {
        for (JsonNode m : result.path("measurements")) {
            if (m.path("model").asText().equals(e.model()) && m.path("batch").asInt() == e.batch()
                    && m.path("peer").asText().equals(peer) && "ok".equals(m.path("status").asText())) {
                return (ObjectNode) m;
            }
        }
        return null;
    }

    private void environment(ObjectNode env) {
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        env.put("date", date);
        // bench/run.sh's id of the run (one per work folder), which export_and_time.py records too: Main merge
        // tells this run's PyTorch rows from another run's by it
        String runId = System.getenv("BENCH_RUN_ID");
        env.put("run_id", runId == null || runId.isBlank() ? date : runId);
        env.put("kiln", args.kilnVersion().orElse(kilnVersion()));
        env.put("mode", (args.quick() ? "quick" : "full") + ", iters " + args.iters() + ", warm-up " + args.warmup()
                + ", groups " + String.join(",", args.groups()));
        // 0 since 2026-12-05 (dev.kiln.ir.JavaCppDefaults): earlier runs paid a memory check per native allocation
        env.put("javacpp_max_physical_bytes", org.bytedeco.javacpp.Pointer.maxPhysicalBytes());
        dev.kiln.backend.tensorrt.runtime.NativeLibraries.requireTensorRt();
        int v = nvinfer.getInferLibVersion();
        env.put("tensorrt", (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100));
        int[] rt = new int[1];
        cudart.cudaRuntimeGetVersion(rt);
        env.put("cuda_runtime", (rt[0] / 1000) + "." + (rt[0] % 1000 / 10));
        try (cudaDeviceProp p = new cudaDeviceProp()) {
            if (cudart.cudaGetDeviceProperties(p, 0) == 0) {
                env.put("gpu", p.name().getString().strip());
            }
        }
    }

    /**
     * The commit the compiler jar was built from (its kiln-build.properties); without one, the jar's Maven version
     * ("unknown" when run from classes).
     */
    static String kilnVersion() {
        String commit = Platform.kilnCommit();
        if (!commit.equals("unknown")) {
            return commit;
        }
        try (InputStream in = Kiln.class.getResourceAsStream("/META-INF/maven/dev.kiln/kiln-compiler/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            // unknown below
        }
        return "unknown";
    }

    private void save() {
        Results.write(resultFile, result);
    }

    static String summary(JsonNode r) {
        JsonNode lat = r.path("latency_ms");
        return String.format(Locale.ROOT, "KILN-BENCH model=%s batch=%d peer=%s status=%s median_ms=%.3f p99_ms=%.3f "
                        + "items_per_s=%.1f rel_l2=%.1e build_s=%s layers=%s%s",
                r.path("model").asText(), r.path("batch").asInt(), r.path("peer").asText(), r.path("status").asText(),
                lat.path("median").asDouble(Double.NaN), lat.path("p99").asDouble(Double.NaN),
                r.path("throughput").asDouble(Double.NaN), r.path("rel_l2").asDouble(Double.NaN),
                r.path("build_s").asText("-"), r.path("layers").asText("-"),
                r.has("error") ? " error=" + oneLine(r.path("error").asText()) : "");
    }

    private static String oneLine(String s) {
        String t = s.replace('\n', ' ');
        return t.length() > 300 ? t.substring(0, 300) : t;
    }

    private static double seconds(long t0) {
        return round((System.nanoTime() - t0) / 1e9, 2);
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
