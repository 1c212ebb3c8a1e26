package dev.kiln.tck;

import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.EngineOptions;
import dev.kiln.backend.tensorrt.Profiles;
import dev.kiln.backend.tensorrt.UnsupportedNodes;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.backend.tensorrt.runtime.ExecutionSession;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Value;
import dev.kiln.passes.Precision;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks many cases of one converter with one TensorRT engine: the cases are packed side by side into
 * one graph (each with its own inputs and outputs, dynamic ones each with their own symbols), built
 * once, run once per profile point ({@link CaseGraph#MIN}, {@link CaseGraph#NOMINAL},
 * {@link CaseGraph#MAX}; static packs just once) and each case's outputs are compared with libtorch's.
 * A pack that fails to build or run is bisected until the failing cases stand alone. Builds use one
 * timing cache and the configured optimization level; a build without a kernel at that level
 * ("Could not find any implementation") is retried at TensorRT's default level, the one users get.
 *
 * <pre>{@code List<EngineRun.Verdict> v = new EngineRun(registry, 0).check(prepared, tolerance);}</pre>
 */
public final class EngineRun {
    /** A case ready for the GPU: its standalone graph (for names and reproducers) and libtorch's outputs at each point. */
    public record Prepared(OpCase opCase, CaseGraph standalone, List<List<ConstantTensor>> feeds, List<List<ConstantTensor>> expected) {
        public int points() {
            return feeds.size();
        }
    }

    /** The outcome for one case: passed with a worst float error, or failed with a reason and what to reproduce it with. */
    public record Verdict(boolean passed, double maxErr, double tolUsed, String failure, int point, List<ConstantTensor> actual) {
        static Verdict pass(double err, double used) {
            return new Verdict(true, err, used, "", -1, List.of());
        }

        static Verdict fail(String why, int point, List<ConstantTensor> actual) {
            return new Verdict(false, 0, 0, why, point, actual);
        }
    }

    /** Seconds spent so far by one run, per phase (see {@link #timing()}), and every build. */
    public record Timing(double packSeconds, double buildSeconds, double runSeconds, double compareSeconds, List<Build> builds) {
        public Timing {
            builds = List.copyOf(builds);
        }
    }

    /**
     * One TensorRT build: how many cases (and IR nodes) it packed, at which optimization level, how long
     * it took, whether it gave an engine. Build time against pack size says which pack size is fastest.
     */
    public record Build(int cases, int nodes, int level, double seconds, boolean built) {
        /** {@code 256c/256n/3.21s}, with {@code /L-1} for a retry at TensorRT's default level, {@code /failed} for no engine. */
        public String text() {
            return String.format(java.util.Locale.ROOT, "%dc/%dn/%.2fs%s%s", cases, nodes, seconds, level == -1 ? "/L-1" : "",
                    built ? "" : "/failed");
        }
    }

    private final ConverterRegistry registry;
    private final int optimizationLevel;
    /**
     * Without TensorRT: a build only does {@link EngineBuilder#build}'s CPU checks and profile, a run
     * answers libtorch's outputs. For timing the kit's own work on a machine without a GPU.
     */
    private final boolean dry;
    private int builds;
    private long packNanos;
    private long buildNanos;
    private long runNanos;
    private long compareNanos;
    private final List<Build> buildLog = new ArrayList<>();
    private static Path timingCache;

    public EngineRun(ConverterRegistry registry, int optimizationLevel) {
        this(registry, optimizationLevel, false);
    }

    EngineRun(ConverterRegistry registry, int optimizationLevel, boolean dry) {
        this.registry = registry;
        this.optimizationLevel = optimizationLevel;
        this.dry = dry;
    }

    /** Engines built so far by this run. */
    public int builds() {
        return builds;
    }

    /**
     * Where this run's time went: packing cases into graphs, TensorRT builds (with their checks and
     * profiles), engine runs (deserialization, host-device copies, execution), comparisons with libtorch.
     */
    public Timing timing() {
        return new Timing(packNanos / 1e9, buildNanos / 1e9, runNanos / 1e9, compareNanos / 1e9, buildLog);
    }

    /**
     * libtorch's outputs for {@code c} at every profile point, or empty when libtorch rejects the case
     * somewhere in the profile (a derived dynamic case whose literal arguments do not fit every size).
     */
    public static Optional<Prepared> prepare(OpCase c, boolean dynamic) {
        CaseGraph g = CaseGraph.standalone(c, dynamic);
        List<List<ConstantTensor>> feeds = new ArrayList<>();
        List<List<ConstantTensor>> expected = new ArrayList<>();
        int[] points = dynamic && !g.symbols().isEmpty() ? new int[] {CaseGraph.MIN, CaseGraph.NOMINAL, CaseGraph.MAX}
                : new int[] {CaseGraph.NOMINAL};
        for (int p : points) {
            List<ConstantTensor> f = g.feeds(p);
            try {
                expected.add(p == CaseGraph.NOMINAL ? g.expected() : g.reference(f));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
            feeds.add(f);
        }
        return Optional.of(new Prepared(c, g, feeds, expected));
    }

    /** One verdict per case, in order. */
    public List<Verdict> check(List<Prepared> cases, Tolerance tol) {
        List<Verdict> out = new ArrayList<>();
        checkInto(cases, tol, out);
        return out;
    }

    private void checkInto(List<Prepared> cases, Tolerance tol, List<Verdict> out) {
        if (cases.isEmpty()) {
            return;
        }
        try {
            out.addAll(runPacked(cases, tol));
        } catch (RuntimeException e) {
            if (cases.size() == 1) {
                out.add(Verdict.fail(describeThrow(cases.get(0), e), CaseGraph.NOMINAL, List.of()));
                return;
            }
            int half = cases.size() / 2;
            checkInto(cases.subList(0, half), tol, out);
            checkInto(cases.subList(half, cases.size()), tol, out);
        }
    }

    /**
     * Property 4: the converter may only fail with a {@link KilnException} naming the node. The
     * message reports both the failure and, when the exception breaks that rule, the breach.
     */
    static String describeThrow(Prepared p, RuntimeException e) {
        String node = p.standalone().node().name();
        String msg = String.valueOf(e.getMessage());
        String prefix = "check said supported but the engine failed: ";
        if (!(e instanceof KilnException)) {
            return prefix + "threw " + e.getClass().getName() + " (only KilnException naming the node is allowed): " + msg;
        }
        return prefix + msg + (msg.contains(node) ? "" : " [the error does not name node " + node + "]");
    }

    /** The cases side by side in one graph (names prefixed {@code c<i>_}), outputs in case order. */
    public static Graph packed(List<Prepared> cases) {
        boolean dynamic = cases.get(0).standalone().dynamic();
        Graph g = new Graph("tck_pack");
        List<CaseGraph> packed = new ArrayList<>();
        List<Value> outs = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            CaseGraph c = CaseGraph.appendLike(g, cases.get(i).standalone(), cases.size() == 1 ? "" : "c" + i + "_");
            packed.add(c);
            outs.addAll(c.outputs());
        }
        g.setOutputs(outs);
        if (dynamic) {
            CaseGraph.finishTypes(g, packed);
        }
        return g;
    }

    private List<Verdict> runPacked(List<Prepared> cases, Tolerance tol) {
        boolean dynamic = cases.get(0).standalone().dynamic();
        long t = System.nanoTime();
        Graph g = packed(cases);
        packNanos += System.nanoTime() - t;
        t = System.nanoTime();
        BuiltEngine built;
        try {
            built = build(g, cases.size());
        } finally {
            buildNanos += System.nanoTime() - t;
        }
        List<double[]> worst = new ArrayList<>(); // {largest error, largest fraction of the bound}
        List<Verdict> verdicts = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            worst.add(new double[2]);
            verdicts.add(null);
        }
        int points = cases.stream().mapToInt(Prepared::points).max().orElse(1);
        t = System.nanoTime();
        try (Engine engine = dry ? null : Engine.deserialize(built.plan()); ExecutionSession session = dry ? null : engine.newSession()) {
            for (int p = 0; p < points; p++) {
                List<ConstantTensor> feeds = new ArrayList<>();
                List<ConstantTensor> ys;
                if (dry) {
                    ys = new ArrayList<>();
                    for (Prepared c : cases) {
                        ys.addAll(c.expected().get(Math.min(p, c.points() - 1)));
                    }
                } else {
                    for (Prepared c : cases) {
                        feeds.addAll(c.feeds().get(Math.min(p, c.points() - 1)));
                    }
                    ys = session.run(feeds);
                }
                long tc = System.nanoTime();
                runNanos += tc - t;
                int at = 0;
                for (int i = 0; i < cases.size(); i++) {
                    Prepared c = cases.get(i);
                    int n = c.standalone().outputs().size();
                    List<ConstantTensor> mine = ys.subList(at, at + n);
                    at += n;
                    if (verdicts.get(i) != null) {
                        continue;
                    }
                    double[] w = worst.get(i);
                    int point = dynamic ? p : CaseGraph.NOMINAL;
                    int k = Math.min(p, c.points() - 1);
                    Optional<String> bad = Comparison.mismatch(c.expected().get(k), mine, tol.forInputs(c.feeds().get(k)),
                            e -> w[0] = Math.max(w[0], e), u -> w[1] = Math.max(w[1], u));
                    if (bad.isPresent()) {
                        verdicts.set(i, Verdict.fail(bad.get(), point, List.copyOf(mine)));
                    }
                }
                t = System.nanoTime();
                compareNanos += t - tc;
            }
        } finally {
            // the engine's and session's release counts as running
            runNanos += System.nanoTime() - t;
        }
        for (int i = 0; i < cases.size(); i++) {
            if (verdicts.get(i) == null) {
                verdicts.set(i, Verdict.pass(worst.get(i)[0], worst.get(i)[1]));
            }
        }
        return verdicts;
    }

    private BuiltEngine build(Graph g, int cases) {
        try {
            return attempt(g, cases, optimizationLevel);
        } catch (KilnException e) {
            if (!retryAtDefaultLevel(optimizationLevel, e.getMessage())) {
                throw e;
            }
            return attempt(g, cases, -1);
        }
    }

    /**
     * Whether a build that failed at {@code level} is retried, whole, at TensorRT's default level: when it
     * found no kernel at that level. The retry is cheap (0.3-2.5 s for a pack of 32 convolutions on the H200,
     * 2026-12-04), cheaper than bisecting at level 0 first; a pack that fails there too is bisected.
     */
    static boolean retryAtDefaultLevel(int level, String failure) {
        return level != -1 && String.valueOf(failure).contains("Could not find any implementation");
    }

    /** One build, timed and listed in {@link Timing#builds()}, failed ones too. */
    private BuiltEngine attempt(Graph g, int cases, int level) {
        builds++;
        long t = System.nanoTime();
        boolean ok = false;
        try {
            BuiltEngine e;
            if (dry) {
                // what EngineBuilder.build does before it needs TensorRT
                UnsupportedNodes.requireAllSupported(g, registry, EngineBuilder.settingsFor(g, Precision.FP32));
                Profiles.compute(g, options(level).inputs());
                e = null;
            } else {
                e = EngineBuilder.build(g, options(level), registry);
            }
            ok = true;
            return e;
        } finally {
            buildLog.add(new Build(cases, g.nodes().size(), level, (System.nanoTime() - t) / 1e9, ok));
        }
    }

    private static synchronized EngineOptions options(int level) {
        if (timingCache == null) {
            try {
                timingCache = Files.createTempDirectory("kiln-tck").resolve("timing.cache");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return EngineOptions.defaults().withPrecision(Precision.FP32).withOptimizationLevel(level).withTimingCache(timingCache);
    }
}
