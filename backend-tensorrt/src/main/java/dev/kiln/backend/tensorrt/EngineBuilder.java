package dev.kiln.backend.tensorrt;

import dev.kiln.backend.tensorrt.runtime.Cuda;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.backend.tensorrt.runtime.NativeLibraries;
import dev.kiln.backend.tensorrt.runtime.NativeObjects;
import dev.kiln.backend.tensorrt.runtime.TrtLogger;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.passes.Precision;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.bytedeco.tensorrt.global.nvinfer.createInferBuilder;

/**
 * Builds a TensorRT engine from an IR graph that went through the pass pipeline: checks that every
 * node has a converter (listing every one that has not), computes the optimization profile, builds a
 * strongly typed network with {@link NetworkBuilder}, configures the builder (TF32 off unless the
 * precision is TF32; workspace; optimization level; timing cache) and serializes the engine. A failed
 * build raises a {@link KilnException} quoting TensorRT's errors and naming the layers (and so the IR
 * nodes) they mention.
 *
 * <pre>{@code BuiltEngine e = EngineBuilder.build(graph, EngineOptions.defaults(), ConverterRegistry.standard());}</pre>
 */
public final class EngineBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(EngineBuilder.class);

    private EngineBuilder() {
    }

    /** The converter settings a graph is checked and converted with. */
    public static ConverterSettings settingsFor(Graph g, Precision p) {
        boolean dynamic = false;
        for (Value v : g.inputs()) {
            if (v.type() instanceof TensorType tt && tt.shape().isRanked()) {
                for (SymExpr d : tt.shape().dims()) {
                    dynamic |= !d.isConstant();
                }
            }
        }
        return new ConverterSettings(p, dynamic);
    }

    /**
     * What one build gave: the engine, or TensorRT's refusal to build it (its {@code buildSerializedNetwork}
     * returned nothing) with the message {@link #failureMessage} writes and the IR nodes whose layers
     * TensorRT's errors name, so that a caller compiling with fallback can run those in libtorch instead.
     */
    public record Attempt(Optional<BuiltEngine> engine, String failure, List<String> failedNodes) {
        public Attempt {
            Objects.requireNonNull(engine, "engine");
            failedNodes = List.copyOf(failedNodes);
        }

        static Attempt built(BuiltEngine e) {
            return new Attempt(Optional.of(e), "", List.of());
        }

        /** The engine, or a {@link KilnException} with the failure. */
        public BuiltEngine orThrow() {
            return engine.orElseThrow(() -> new KilnException(failure));
        }
    }

    /** Checks, converts, builds and serializes; a build TensorRT refuses is a {@link KilnException}. */
    public static BuiltEngine build(Graph g, EngineOptions o, ConverterRegistry registry) {
        return attempt(g, o, registry).orThrow();
    }

    /**
     * As {@link #build}, but a build TensorRT refuses comes back as an {@link Attempt} naming the nodes
     * its errors point at; everything else (unsupported nodes, a converter's error, no GPU) still throws.
     */
    public static Attempt attempt(Graph g, EngineOptions o, ConverterRegistry registry) {
        ConverterSettings settings = settingsFor(g, o.precision());
        // network-independent checks first: they need no GPU and report everything at once
        UnsupportedNodes.requireAllSupported(g, registry, settings);
        List<Profiles.InputProfile> profile = Profiles.compute(g, o.inputs());
        NativeLibraries.requireTensorRt();
        Cuda.requireDevice();

        // one builder per process: creating one loads TensorRT's builder resources (seconds), and an
        // IBuilder is not safe for concurrent builds, so builds take turns on it
        synchronized (EngineBuilder.class) {
            return buildWithSharedBuilder(g, o, registry, settings, profile);
        }
    }

    private static IBuilder sharedBuilder;

    /**
     * Creates this process's TensorRT builder now rather than in the first build: that loads TensorRT's
     * builder resources, seconds of work (3.9-4.2 s on the H200) the first compile would otherwise pay.
     * For services that compile at start-up and for benchmarks that must not charge it to the first model.
     * Returns the seconds it took, 0 when the builder existed.
     */
    public static double prepare() {
        NativeLibraries.requireTensorRt();
        Cuda.requireDevice();
        synchronized (EngineBuilder.class) {
            if (sharedBuilder != null) {
                return 0;
            }
            long t = System.nanoTime();
            try (TrtLogger.Capture log = TrtLogger.get().capture()) {
                sharedBuilder(log);
            }
            return (System.nanoTime() - t) / 1e9;
        }
    }

    private static IBuilder sharedBuilder(TrtLogger.Capture log) {
        if (sharedBuilder == null) {
            long t = System.nanoTime();
            IBuilder b = createInferBuilder(TrtLogger.get());
            if (b == null || b.isNull()) {
                throw new KilnException("TensorRT could not create a builder: " + String.join("; ", log.errors()));
            }
            // lives as long as the process: TensorRT's builder resources are loaded once
            sharedBuilder = b;
            LOG.info("created the TensorRT builder in {} s", String.format("%.2f", (System.nanoTime() - t) / 1e9));
        }
        return sharedBuilder;
    }

    private static Attempt buildWithSharedBuilder(Graph g, EngineOptions o, ConverterRegistry registry,
                                                      ConverterSettings settings, List<Profiles.InputProfile> profile) {
        long t0 = System.nanoTime();
        TrtLogger.Capture log = TrtLogger.get().capture();
        IBuilder builder;
        INetworkDefinition network = null;
        IBuilderConfig config = null;
        ITimingCache cache = null;
        IHostMemory plan = null;
        NetworkBuilder nb = null;
        try {
            builder = sharedBuilder(log);
            network = NativeObjects.own(builder.createNetworkV2(
                    1 << nvinfer.NetworkDefinitionCreationFlag.kSTRONGLY_TYPED.value));
            nb = new NetworkBuilder(network, registry, settings, o.progress());
            nb.setErrorSource(log::errors);
            nb.populate(g);

            config = NativeObjects.own(builder.createBuilderConfig());
            if (o.precision() != Precision.TF32) {
                config.clearFlag(nvinfer.BuilderFlag.kTF32);
            } else {
                config.setFlag(nvinfer.BuilderFlag.kTF32);
            }
            if (o.workspaceBytes() > 0) {
                config.setMemoryPoolLimit(nvinfer.MemoryPoolType.kWORKSPACE, o.workspaceBytes());
            }
            if (o.optimizationLevel() >= 0) {
                config.setBuilderOptimizationLevel(o.optimizationLevel());
            }
            if (o.detailedLayerInfo()) {
                config.setProfilingVerbosity(nvinfer.ProfilingVerbosity.kDETAILED);
            }
            if (o.sparseWeights()) {
                config.setFlag(nvinfer.BuilderFlag.kSPARSE_WEIGHTS);
            }
            if (settings.dynamicShapes()) {
                // every network with a -1 input dimension needs a profile, even when the user pinned it to one size
                // owned by the builder: never deleted here
                IOptimizationProfile p = builder.createOptimizationProfile();
                for (Profiles.InputProfile ip : profile) {
                    p.setDimensions(ip.name(), nvinfer.OptProfileSelector.kMIN, NetworkBuilder.dims(ip.min()));
                    p.setDimensions(ip.name(), nvinfer.OptProfileSelector.kOPT, NetworkBuilder.dims(ip.opt()));
                    p.setDimensions(ip.name(), nvinfer.OptProfileSelector.kMAX, NetworkBuilder.dims(ip.max()));
                }
                if (!p.isValid()) {
                    throw new KilnException("TensorRT refused the optimization profile " + profile + ": "
                            + String.join("; ", log.errors()));
                }
                config.addOptimizationProfile(p);
            }
            cache = openTimingCache(config, o);

            AtomicLong messages = new AtomicLong();
            o.progress().report("build", 0, 0);
            log.setListener(m -> o.progress().report("build", messages.incrementAndGet(), 0));
            long tb = System.nanoTime();
            plan = NativeObjects.own(builder.buildSerializedNetwork(network, config));
            double buildOnly = (System.nanoTime() - tb) / 1e9;
            log.setListener(null);
            if (plan == null || plan.isNull() || plan.size() == 0) {
                List<String> nodes = new ArrayList<>();
                for (String layer : namedLayers(log.errors(), nb.layerNames().keySet())) {
                    String node = nb.layerNodeNames().get(layer);
                    if (node != null && !nodes.contains(node)) {
                        nodes.add(node);
                    }
                }
                return new Attempt(Optional.empty(), failureMessage(log.errors(), nb.layerNames()), nodes);
            }
            o.progress().report("serialize", 0, 1);
            ByteBuffer bytes = Engine.copyOut(plan);
            saveTimingCache(cache, o);
            o.progress().report("serialize", 1, 1);
            double seconds = (System.nanoTime() - t0) / 1e9;
            LOG.info("built a TensorRT engine for {} ({} bytes) in {} s ({} s in buildSerializedNetwork)", g.name(),
                    bytes.remaining(), String.format("%.2f", seconds), String.format("%.2f", buildOnly));
            return Attempt.built(new BuiltEngine(bytes, profile, nb.inputNames(), nb.outputNames(), seconds, log.warnings()));
        } finally {
            log.setListener(null);
            // reverse order of creation; the config refers to the timing cache, so it goes first
            NativeObjects.close(plan);
            NativeObjects.close(config);
            NativeObjects.close(cache);
            if (nb != null) {
                nb.close();
            }
            NativeObjects.close(network);
            log.close();
        }
    }

    private static ITimingCache openTimingCache(IBuilderConfig config, EngineOptions o) {
        if (o.timingCache().isEmpty()) {
            return null;
        }
        Path file = o.timingCache().get();
        ByteBuffer data = null;
        if (Files.isRegularFile(file)) {
            try {
                data = dev.kiln.ir.InputFiles.readDirect(file, "timing cache");
            } catch (KilnException e) {
                LOG.warn("{}; starting a new one", e.getMessage());
            }
        }
        ITimingCache cache = NativeObjects.own(data == null ? config.createTimingCache(null, 0)
                : config.createTimingCache(new Pointer(data), data.remaining()));
        if (cache == null || cache.isNull()) {
            LOG.warn("TensorRT could not read the timing cache {}; building without it", file);
            return null;
        }
        if (!config.setTimingCache(cache, false)) {
            LOG.warn("TensorRT did not accept the timing cache {} (from another TensorRT or GPU?); building without it", file);
        }
        return cache;
    }

    private static void saveTimingCache(ITimingCache cache, EngineOptions o) {
        if (cache == null || o.timingCache().isEmpty()) {
            return;
        }
        IHostMemory m = NativeObjects.own(cache.serialize());
        try {
            if (m != null && !m.isNull()) {
                Engine.writeAtomically(o.timingCache().get(), Engine.copyOut(m));
            }
        } catch (KilnException e) {
            LOG.warn("cannot save the timing cache: {}", e.getMessage());
        } finally {
            NativeObjects.close(m);
        }
    }

    /**
     * The message of a failed build: TensorRT's errors, then every Kiln layer they name with the IR
     * node it came from (longest names first, so {@code add_12} is not reported as {@code add_1}).
     */
    public static String failureMessage(List<String> errors, Map<String, String> layerToNode) {
        StringBuilder b = new StringBuilder("TensorRT could not build the engine");
        if (errors.isEmpty()) {
            b.append(" and logged no error (run with -Dorg.slf4j.simpleLogger.log.dev.kiln.tensorrt=trace for its full log)");
        } else {
            b.append(":");
            for (String e : errors) {
                b.append("\n  ").append(e);
            }
        }
        List<String> hits = namedLayers(errors, layerToNode.keySet());
        if (!hits.isEmpty()) {
            b.append("\n  the layers named above come from:");
            for (String n : hits) {
                b.append("\n    ").append(n).append(" <- ").append(layerToNode.get(n));
            }
            b.append("\n  to compile the rest, run those nodes in libtorch: compile to a .kiln archive, which does this by itself,"
                    + " or name them with --torch-nodes (PartitionSettings.withTorchNodes in Java)");
        }
        return b.toString();
    }

    /** The layers {@code errors} name, in order of first mention (longest names first, so add_12 is not read as add_1). */
    static List<String> namedLayers(List<String> errors, java.util.Collection<String> layers) {
        List<String> names = new ArrayList<>(layers);
        names.sort((x, y) -> y.length() != x.length() ? y.length() - x.length() : x.compareTo(y));
        List<String> hits = new ArrayList<>();
        for (String e : errors) {
            String rest = e;
            for (String n : names) {
                if (rest.contains(n)) {
                    if (!hits.contains(n)) {
                        hits.add(n);
                    }
                    rest = rest.replace(n, "\u0000");
                }
            }
        }
        return hits;
    }
}
