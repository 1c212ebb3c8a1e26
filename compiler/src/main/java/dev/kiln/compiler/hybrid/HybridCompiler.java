package dev.kiln.compiler.hybrid;

import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.EngineOptions;
import dev.kiln.backend.tensorrt.partition.RegistryCapability;
import dev.kiln.compiler.CompilePipeline;
import dev.kiln.compiler.CompileSettings;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.partition.Capability;
import dev.kiln.partition.Partition;
import dev.kiln.partition.PartitionSettings;
import dev.kiln.partition.Partitioner;
import dev.kiln.partition.Segment;
import dev.kiln.partition.Target;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compiles a graph to a {@link Program}: the {@link CompilePipeline} passes, then the partition
 * between TensorRT and libtorch ({@link Partitioner} over the converter registry, with the user's
 * overrides and minimum block size), then one TensorRT engine per TensorRT segment (from the
 * {@link EngineCache} when one is set and holds it) and one libtorch stage per torch segment.
 *
 * <p>A graph whose every node converts (and none is forced to torch) becomes one engine for the
 * whole graph, whatever its size: exactly what compiling without fallback gives. Otherwise each
 * segment is cut out as a standalone graph ({@link Segments}); values that are not tensors (sizes,
 * lists) cannot cross into or out of an engine, so the nodes on either side of such a crossing are
 * moved to torch until none is left. With {@code requireFullCompilation}, any node TensorRT cannot
 * run is an error that lists each with its reason.
 *
 * <p>A converter's {@code check} can accept a node that TensorRT's builder then finds no kernel for
 * ("Could not find any implementation for node ..."). Without {@code requireFullCompilation} the nodes
 * TensorRT's errors name are moved to libtorch and the graph is partitioned and built again, until every
 * engine builds; the support report gives those nodes TensorRT's reason.
 *
 * <pre>{@code HybridCompiler.Result r = HybridCompiler.compile(graph, CompileSettings.defaults());
 * try (HybridRuntime rt = HybridRuntime.load(r.program())) { ... }}</pre>
 */
public final class HybridCompiler {
    private static final Logger LOG = LoggerFactory.getLogger(HybridCompiler.class);

    private HybridCompiler() {
    }

    /**
     * What a compile produced: the program, the partition it came from (over the optimized graph),
     * the optimized graph's text (constants elided), the seconds spent, and how many engines were built
     * and how many came from the cache.
     */
    public record Result(Program program, Partition partition, String programIr, double seconds, int enginesBuilt,
                         int enginesCached, Optional<Platform> platform) {
    }

    /** Runs the passes on {@code g} (in place), partitions it and builds every stage. */
    public static Result compile(Graph g, CompileSettings settings) {
        return compile(g, settings, settings.isolatedBuilds() ? IsolatedBuilds::attempt : EngineBuilder::attempt);
    }

    /** How a stage's engine is built: {@link EngineBuilder#attempt} (tests give their own). */
    @FunctionalInterface
    interface Engines {
        EngineBuilder.Attempt attempt(Graph g, EngineOptions o, ConverterRegistry registry);
    }

    static Result compile(Graph g, CompileSettings settings, Engines engines) {
        long t0 = System.nanoTime();
        ConverterRegistry registry = ConverterRegistry.standard();
        ConverterSettings cs = EngineBuilder.settingsFor(g, settings.precision());
        CompilePipeline.run(g, settings, n -> registry.lookup(n, cs).supported());
        Capability capability = new RegistryCapability(registry, EngineBuilder.settingsFor(g, settings.precision()));
        String ir = IrPrinter.print(g, IrPrinter.Options.elidingOver(256));
        // nodes whose engine TensorRT refused to build, with the reason the report gives (grows each round)
        Map<String, String> refused = new LinkedHashMap<>();
        // plans built in an earlier round, by segment text and options: a round after a refusal rebuilds only what changed
        Map<String, ByteBuffer> earlier = new java.util.HashMap<>();
        int built = 0;
        while (true) {
            Partition p = partition(g, capability, settings.partition(), refused);
            Builder b = new Builder(g, settings, registry, engines, earlier);
            Program program;
            try {
                program = p.isFullyCompiled() ? b.whole(p) : b.split(p);
            } catch (Refused r) {
                built += b.built;
                List<String> nodes = r.attempt.failedNodes();
                if (settings.partition().requireFullCompilation() || nodes.isEmpty() || refused.keySet().containsAll(nodes)) {
                    throw new KilnException("graph " + g.name() + ", " + r.stage + ": " + r.attempt.failure());
                }
                String first = r.attempt.failure().lines().skip(1).findFirst().orElse("").trim();
                for (String n : nodes) {
                    refused.putIfAbsent(n, "TensorRT found no way to build it (" + first + "), so it runs in libtorch");
                }
                LOG.warn("TensorRT could not build {} of {}; running {} in libtorch and partitioning again", r.stage, g.name(),
                        String.join(", ", nodes));
                continue;
            }
            double s = (System.nanoTime() - t0) / 1e9;
            LOG.info("compiled {}: {} ({} engine(s) built, {} from the cache) in {} s", g.name(), program.describe(),
                    built + b.built, b.cached, String.format("%.2f", s));
            return new Result(program, p, ir, s, built + b.built, b.cached, Optional.ofNullable(b.platform));
        }
    }

    /**
     * The partition of {@code g}: one TensorRT segment when every node converts and none is forced to
     * torch; else the {@link Partitioner}'s, with non-tensor values kept from crossing an engine's edge.
     */
    public static Partition partition(Graph g, Capability capability, PartitionSettings ps) {
        return partition(g, capability, ps, Map.of());
    }

    /**
     * As {@link #partition(Graph, Capability, PartitionSettings)}, with the nodes of {@code moved} sent to
     * libtorch for the reason given (the report's reason for each).
     */
    static Partition partition(Graph g, Capability base, PartitionSettings ps, Map<String, String> moved) {
        Map<String, String> kiln = new LinkedHashMap<>(moved);
        keepWritesInLibtorch(g, kiln);
        Capability capability = new Moved(base, kiln);
        if (ps.requireFullCompilation()) {
            return Partitioner.partition(g, capability, ps);
        }
        boolean all = true;
        for (Node n : g.nodes()) {
            if (forced(n, ps) || !capability.check(n).supported()) {
                all = false;
                break;
            }
        }
        if (all) {
            // one engine for everything: no boundary to pay for, so size and cost limits do not apply
            return Partitioner.partition(g, capability, ps.withMinBlockSize(1).withRequireFullCompilation(true)).withSettings(ps);
        }
        for (int round = 0; ; round++) {
            Partition p = Partitioner.partition(g, capability, ps);
            boolean again = false;
            for (Segment s : p.segments()) {
                if (s.target() != Target.TENSORRT) {
                    continue;
                }
                java.util.Set<Node> inside = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
                inside.addAll(s.nodes());
                for (Value v : s.inputs()) {
                    if (!(v.type() instanceof TensorType)) {
                        for (Node u : v.users()) {
                            again |= inside.contains(u) && kiln.putIfAbsent(u.name(), "it reads %" + v.name() + " ("
                                    + v.type().text() + ") from outside its TensorRT segment, and only tensors cross an engine's edge") == null;
                        }
                    }
                }
                for (Value v : s.outputs()) {
                    if (!(v.type() instanceof TensorType)) {
                        again |= kiln.putIfAbsent(v.producer().orElseThrow().name(), "it computes %" + v.name() + " ("
                                + v.type().text() + ") for another segment, and only tensors cross an engine's edge") == null;
                    }
                }
            }
            if (!again) {
                return p;
            }
            if (round > g.nodes().size()) {
                throw new KilnException("graph " + g.name() + ": could not keep non-tensor values from crossing into engines");
            }
        }
    }

    /**
     * An in-place write the passes could not make functional (one into a view, {@code x.t()[0] += 1}, or into a tensor
     * a view of which is read afterwards) changes a tensor other values share, with no data edge to order the readers
     * after it: an engine would work on a copy, and the partitioner could move a reader before the write. Only a
     * single libtorch stage, which runs the nodes in the model's order on shared tensors, keeps it right; so then every
     * node goes to libtorch, the first such write named as the reason (the dry run shows it).
     */
    static void keepWritesInLibtorch(Graph g, Map<String, String> moved) {
        Node first = null;
        for (Node n : g.nodes()) {
            if (n.schema().mutates()) {
                first = n;
                break;
            }
        }
        if (first == null) {
            return;
        }
        String why = "the model writes in place where a view shares the tensor (" + first.describe() + "), which stays"
                + " right only when the whole model runs in libtorch, in order; write it functionally (torch.where,"
                + " index_put, slice assignment on a fresh tensor) to let TensorRT run it";
        for (Node n : g.nodes()) {
            moved.putIfAbsent(n.name(), why);
        }
    }

    /** {@code base}, except for the nodes Kiln itself sends to libtorch, each refused with Kiln's reason. */
    private record Moved(Capability base, Map<String, String> reasons) implements Capability {
        @Override
        public Verdict check(Node n) {
            String why = reasons.get(n.name());
            return why != null ? Verdict.moved(why) : base.check(n);
        }

        @Override
        public String backend() {
            return base.backend();
        }
    }

    /** A stage's engine that TensorRT refused to build (caught by {@link #compile}, never seen by users). */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient EngineBuilder.Attempt attempt;
        final String stage;

        Refused(String stage, EngineBuilder.Attempt attempt) {
            super(attempt.failure(), null, false, false);
            this.stage = stage;
            this.attempt = attempt;
        }
    }

    private static boolean forced(Node n, PartitionSettings ps) {
        String op = n.op();
        int ns = op.indexOf("::");
        int dot = op.indexOf('.', ns < 0 ? 0 : ns + 2);
        String base = dot < 0 ? op : op.substring(0, dot);
        return ps.torchNodes().contains(n.name()) || ps.torchOps().contains(op) || ps.torchOps().contains(base);
    }

    /** Builds the stages of one compile. */
    private static final class Builder {
        final Graph g;
        final CompileSettings settings;
        final ConverterRegistry registry;
        final Optional<EngineCache> cache;
        final List<Program.Slot> slots = new ArrayList<>();
        Platform platform;
        int built;
        int cached;

        final Engines engines;
        final Map<String, ByteBuffer> earlier;

        Builder(Graph g, CompileSettings settings, ConverterRegistry registry, Engines engines, Map<String, ByteBuffer> earlier) {
            this.g = g;
            this.settings = settings;
            this.registry = registry;
            this.engines = engines;
            this.earlier = earlier;
            this.cache = settings.engineCache().map(EngineCache::new);
        }

        int slot(Value v) {
            slots.add(new Program.Slot(v.name(), v.type().text()));
            return slots.size() - 1;
        }

        /** The whole graph as one engine, built with the user's input specs as given. */
        Program whole(Partition p) {
            List<Integer> ins = new ArrayList<>();
            for (Value v : g.inputs()) {
                ins.add(slot(v));
            }
            List<Integer> outs = new ArrayList<>();
            for (Value v : g.outputs()) {
                outs.add(slot(v));
            }
            List<Program.StageSpec> stages = new ArrayList<>();
            if (!g.nodes().isEmpty() || !g.outputs().isEmpty()) {
                stages.add(engine("seg0", g, settings.engineOptions(), ins, outs));
            }
            return new Program(g.name(), slots, ins, outs, Map.of(), stages, Program.symbolsOf(g));
        }

        Program split(Partition p) {
            Map<Value, Integer> slotOf = new IdentityHashMap<>();
            List<Integer> ins = new ArrayList<>();
            for (Value v : g.inputs()) {
                int s = slot(v);
                slotOf.put(v, s);
                ins.add(s);
            }
            List<Program.StageSpec> stages = new ArrayList<>();
            for (Segment seg : p.segments()) {
                String name = "seg" + seg.index();
                List<Integer> in = new ArrayList<>();
                for (Value v : seg.inputs()) {
                    Integer s = slotOf.get(v);
                    if (s == null) {
                        throw new KilnException("segment " + name + " reads %" + v.name() + " before any stage computes it");
                    }
                    in.add(s);
                }
                List<Integer> out = new ArrayList<>();
                for (Value v : seg.outputs()) {
                    int s = slot(v);
                    slotOf.put(v, s);
                    out.add(s);
                }
                Graph sub = Segments.extract(g, name, seg.nodes(), seg.inputs(), seg.outputs());
                if (seg.target() == Target.TENSORRT) {
                    EngineOptions o = settings.engineOptions().withInputs(Segments.specsFor(g, settings.inputs(), sub));
                    stages.add(engine(name, sub, o, in, out));
                } else {
                    for (Value v : sub.inputs()) {
                        if (!(v.type() instanceof TensorType) && !(v.type() instanceof dev.kiln.ir.PrimitiveType)) {
                            throw new KilnException("segment " + name + " reads %" + v.name() + " of type " + v.type().text()
                                    + " from another segment; only tensors and numbers can cross between segments");
                        }
                    }
                    stages.add(new Program.TorchStage(name, in, out, sub));
                }
            }
            Map<Integer, ConstantTensor> constants = new LinkedHashMap<>();
            List<Integer> outs = new ArrayList<>();
            for (Value v : g.outputs()) {
                Integer s = slotOf.get(v);
                if (s == null && v.kind() == Value.Kind.CONSTANT) {
                    s = slot(v);
                    slotOf.put(v, s);
                    constants.put(s, v.constant().orElseThrow());
                }
                if (s == null) {
                    throw new KilnException("graph " + g.name() + ": output %" + v.name() + " is computed by no segment");
                }
                outs.add(s);
            }
            return new Program(g.name(), slots, ins, outs, constants, stages, Program.symbolsOf(g));
        }

        Program.EngineStage engine(String name, Graph sub, EngineOptions o, List<Integer> in, List<Integer> out) {
            String key = "";
            ByteBuffer plan = null;
            EngineCache.Key k = null;
            if (cache.isPresent()) {
                if (platform == null) {
                    platform = Platform.current();
                }
                k = EngineCache.Key.of(sub, o, platform);
                key = k.hash();
                plan = cache.get().get(k).orElse(null);
                if (plan != null) {
                    cached++;
                    LOG.info("engine for {} of {} comes from the cache ({})", name, g.name(), key.substring(0, 12));
                }
            }
            // the segment's text with its weights elided and without its name: within one compile a constant's name
            // says which tensor it is, so unlike the engine cache's key this needs no digest of the weights
            String same = plan == null ? EngineCache.segmentText(sub) + "\n" + EngineCache.settingsText(o) : null;
            if (plan == null && earlier.containsKey(same)) {
                plan = earlier.get(same).duplicate();
                LOG.info("engine for {} of {} is the one built in the previous round", name, g.name());
            }
            if (plan == null) {
                EngineBuilder.Attempt a = engines.attempt(sub, o, registry);
                BuiltEngine e = a.engine().orElseThrow(() -> new Refused(name, a));
                plan = e.plan();
                built++;
                earlier.put(same, plan.duplicate());
                if (k != null) {
                    cache.get().put(k, plan);
                }
            }
            return new Program.EngineStage(name, in, out, plan, sub.nodes().size(), key);
        }
    }
}
