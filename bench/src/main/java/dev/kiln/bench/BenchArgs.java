package dev.kiln.bench;

import dev.kiln.ir.KilnException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The bench runner's command line. {@code run} compiles and times the Kiln and ONNX→TensorRT peers of
 * the models {@code export_and_time.py} exported into the work folder; {@code merge} folds partial
 * result files into {@code results.json} and {@code results.md}.
 *
 * <pre>{@code BenchArgs a = BenchArgs.parse("run", "--work", "/tmp/w", "--models", "resnet50", "--quick");}</pre>
 *
 * @param command     {@code run}, {@code merge}, {@code kernels} (each engine {@code run} left, profiled kernel by
 *                    kernel: {@link KernelRunner}) or {@code loops} (run-time loops in Kiln's libtorch stage against
 *                    TorchScript's interpreter, on the CPU: {@link LoopBench})
 * @param work        the work folder ({@code models/} in, {@code results/} and {@code layers/} out)
 * @param models      the models to run (empty = every one in the manifest)
 * @param batches     the batch sizes to run (empty = every one in the manifest)
 * @param groups      what {@code run} does: {@code kiln}, {@code onnx}, {@code graph} (each of their engines
 *                    timed again replayed from a CUDA graph), {@code compile-time} (a second, warm
 *                    Kiln compile), {@code overhead} (Kiln forward vs a bare enqueueV3), {@code turns} (Kiln's
 *                    engine and the ONNX parser's, both measured fine, timed call by call in turns)
 * @param precisions  {@code fp32} and/or {@code fp16}
 * @param quick       fewer iterations, no warm compile
 * @param iters       latency iterations per peer
 * @param warmup      warm-up runs per peer
 * @param maxSeconds  time cap of one peer's latency loop
 * @param deadline    seconds the whole {@code run} may take; what is left then is recorded as skipped
 * @param out         the JSON file {@code run} writes, or the folder {@code merge} and {@code kernels} write to
 * @param inputs      {@code merge}: the partial result files
 * @param kilnVersion the Kiln version (commit) to record, if given
 * @param redo        measure again what the result file already has as ok (default: skip it, so the same
 *                    command can be repeated until everything is measured)
 * @param sharedCache the ONNX build starts from a copy of the timing cache Kiln's build of the same model,
 *                    batch and precision wrote (faster; its build time is then not cold). Default in quick mode.
 * @param seedCaches  a folder of timing caches an earlier run wrote ({@code caches.tgz} unpacked:
 *                    {@code NAME_bB-kiln-fp16.timing}, {@code NAME_bB-onnx-fp16.timing}, ...): each build whose
 *                    cache is there starts from a copy of it, so the same tactics come back in seconds. Its
 *                    time is recorded as {@code compile_seeded_s} / {@code build_seeded_s}, never as a cold
 *                    figure; a merge keeps an earlier run's cold figures for the same measurement.
 * @param fp32Acc     with FP16, also compile and time Kiln with FP32 accumulation of the matrix products
 *                    ({@code --fp32-acc}, {@link dev.kiln.compiler.CompileSettings#withFp32Accumulation}): the peer
 *                    {@value #FP32_ACC_PEER}
 */
public record BenchArgs(String command, Path work, List<String> models, List<Integer> batches, Set<String> groups,
                        List<String> precisions, boolean quick, int iters, int warmup, double maxSeconds,
                        double deadline, Optional<Path> out, List<Path> inputs, Optional<String> kilnVersion,
                        boolean sharedCache, boolean redo, Optional<Path> seedCaches, boolean fp32Acc) {
    /** The peer {@code --fp32-acc} adds: Kiln's FP16 engine with FP32 accumulation of its matrix products. */
    public static final String FP32_ACC_PEER = "kiln-fp32acc-fp16";

    /** Every group {@code run} knows, in the order it runs them. */
    public static final List<String> GROUPS = List.of("kiln", "onnx", "graph", "compile-time", "overhead", "turns");

    public BenchArgs {
        models = List.copyOf(models);
        batches = List.copyOf(batches);
        groups = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(groups));
        precisions = List.copyOf(precisions);
        inputs = List.copyOf(inputs);
    }

    public static final String USAGE = String.join("\n",
            "usage: dev.kiln.bench.Main run --work DIR [--models a,b] [--batches 1,32] [--groups kiln,onnx,graph,compile-time,overhead,turns]",
            "                              [--precisions fp32,fp16] [--quick] [--iters N] [--warmup N] [--max-seconds S]",
            "                              [--deadline S] [--out FILE.json] [--kiln-version V] [--shared-cache=true|false] [--redo]",
            "                              [--seed-caches DIR] [--fp32-acc]",
            "       dev.kiln.bench.Main merge --out DIR [--kiln-version V] FILE.json...",
            "       dev.kiln.bench.Main kernels --work DIR [--models a,b] [--batches 1,32] [--precisions fp32,fp16] [--iters N] [--out DIR]",
            "       dev.kiln.bench.Main loops --out DIR [--quick]");

    /** Parses {@code args} ({@code --key value} or {@code --key=value}); a {@link KilnException} with the usage otherwise. */
    public static BenchArgs parse(String... args) {
        if (args.length == 0) {
            throw new KilnException("no command given\n" + USAGE);
        }
        String command = args[0];
        if (!command.equals("run") && !command.equals("merge") && !command.equals("kernels") && !command.equals("loops")) {
            throw new KilnException("unknown command '" + command + "'; use run, merge, kernels or loops\n" + USAGE);
        }
        Path work = null;
        List<String> models = List.of();
        List<Integer> batches = List.of();
        Set<String> groups = null;
        List<String> precisions = List.of("fp32", "fp16");
        boolean quick = false;
        int iters = 0;
        int warmup = 0;
        double maxSeconds = 0;
        double deadline = 3600;
        Path out = null;
        String kilnVersion = null;
        Boolean sharedCache = null;
        boolean redo = false;
        boolean fp32Acc = false;
        Path seedCaches = null;
        List<Path> inputs = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                inputs.add(Path.of(a));
                continue;
            }
            String key = a;
            String value = null;
            int eq = a.indexOf('=');
            if (eq > 0) {
                key = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (key.equals("--quick")) {
                quick = true;
                continue;
            }
            if (key.equals("--redo")) {
                redo = true;
                continue;
            }
            if (key.equals("--fp32-acc")) {
                fp32Acc = true;
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new KilnException("option " + key + " needs a value\n" + USAGE);
                }
                value = args[++i];
            }
            switch (key) {
                case "--work":
                    work = Path.of(value);
                    break;
                case "--models":
                    models = list(value);
                    break;
                case "--batches":
                    batches = new ArrayList<>();
                    for (String b : list(value)) {
                        batches.add((int) positive(key, b));
                    }
                    break;
                case "--groups":
                    groups = new LinkedHashSet<>();
                    for (String g : list(value)) {
                        if (!GROUPS.contains(g)) {
                            throw new KilnException("unknown group '" + g + "'; choose from " + GROUPS);
                        }
                        groups.add(g);
                    }
                    break;
                case "--precisions":
                    precisions = list(value);
                    for (String p : precisions) {
                        if (!p.equals("fp32") && !p.equals("fp16")) {
                            throw new KilnException("unknown precision '" + p + "'; use fp32 and/or fp16");
                        }
                    }
                    break;
                case "--iters":
                    iters = (int) positive(key, value);
                    break;
                case "--warmup":
                    warmup = (int) positive(key, value);
                    break;
                case "--max-seconds":
                    maxSeconds = positiveDouble(key, value);
                    break;
                case "--deadline":
                    deadline = positiveDouble(key, value);
                    break;
                case "--out":
                    out = Path.of(value);
                    break;
                case "--kiln-version":
                    kilnVersion = value;
                    break;
                case "--seed-caches":
                    seedCaches = Path.of(value);
                    break;
                case "--shared-cache":
                    if (!value.equals("true") && !value.equals("false")) {
                        throw new KilnException("option --shared-cache takes true or false, got '" + value + "'");
                    }
                    sharedCache = Boolean.valueOf(value);
                    break;
                default:
                    throw new KilnException("unknown option " + key + "\n" + USAGE);
            }
        }
        if ((command.equals("run") || command.equals("kernels")) && work == null) {
            throw new KilnException(command + " needs --work DIR (the folder export_and_time.py wrote)\n" + USAGE);
        }
        if (command.equals("loops") && out == null) {
            throw new KilnException("loops needs --out DIR (where loops.json and loops.md go)\n" + USAGE);
        }
        if (command.equals("merge") && (out == null || inputs.isEmpty())) {
            throw new KilnException("merge needs --out DIR and at least one result file\n" + USAGE);
        }
        if (groups == null) {
            groups = new LinkedHashSet<>(quick ? List.of("kiln", "onnx", "graph", "overhead", "turns") : GROUPS);
        }
        if (command.equals("run")) {
            requireBuilder(groups);
        }
        // run the groups in their canonical order whatever order they were named in
        Set<String> ordered = new LinkedHashSet<>();
        for (String g : GROUPS) {
            if (groups.contains(g)) {
                ordered.add(g);
            }
        }
        return new BenchArgs(command, work == null ? Path.of(".") : work, models, batches, ordered, precisions, quick,
                iters > 0 ? iters : quick ? 50 : 300, warmup > 0 ? warmup : quick ? 10 : 50,
                maxSeconds > 0 ? maxSeconds : quick ? 2 : 8, deadline, Optional.ofNullable(out), inputs,
                Optional.ofNullable(kilnVersion), sharedCache == null ? quick : sharedCache, redo, Optional.ofNullable(seedCaches),
                fp32Acc);
    }

    /**
     * Refuses groups that measure engines no named group builds: {@code compile-time} and {@code overhead} time
     * the engines of group {@code kiln}, {@code graph} replays those of {@code kiln} and {@code onnx}. Alone they
     * used to run nothing and write an empty result (sixteenth session: a GPU call spent on
     * {@code --group export,overhead}).
     */
    private static void requireBuilder(Set<String> groups) {
        for (String g : List.of("compile-time", "overhead")) {
            if (groups.contains(g) && !groups.contains("kiln")) {
                throw new KilnException("group " + g + " measures the engines group kiln builds, and kiln is not named: "
                        + "run --groups kiln," + g + "\n" + USAGE);
            }
        }
        if (groups.contains("graph") && !groups.contains("kiln") && !groups.contains("onnx")) {
            throw new KilnException("group graph replays the engines groups kiln and onnx build, and neither is named: "
                    + "run --groups kiln,graph (or onnx,graph)\n" + USAGE);
        }
    }

    /** Whether {@code run} does {@code group}. */
    public boolean has(String group) {
        return groups.contains(group);
    }

    private static List<String> list(String v) {
        List<String> out = new ArrayList<>();
        for (String s : v.split(",")) {
            if (!s.isBlank()) {
                out.add(s.strip().toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }

    private static long positive(String key, String v) {
        try {
            long n = Long.parseLong(v.strip());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new KilnException("option " + key + " needs a positive integer, got '" + v + "'");
    }

    private static double positiveDouble(String key, String v) {
        try {
            double d = Double.parseDouble(v.strip());
            if (d > 0 && Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new KilnException("option " + key + " needs a positive number, got '" + v + "'");
    }
}
