package dev.kiln.backend.tensorrt;

import dev.kiln.passes.Precision;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How to build an engine: the precision the graph was typed for (it only decides TF32: the network
 * is strongly typed, so no precision builder flag is ever set), input shape ranges (empty = from the
 * IR's symbol ranges), the workspace limit in bytes (0 = TensorRT's default, all GPU memory), the
 * builder optimization level (-1 = TensorRT's default, 3), a persistent timing cache file, a
 * progress callback, whether the engine records detailed layer information (TensorRT's
 * {@code ProfilingVerbosity.kDETAILED}: each layer's tactic and formats in the engine inspector's output, for
 * analysis; the kernels are the same; default off, layer names only), and whether TensorRT may use its 2:4 sparse
 * kernels for weights that are 2:4 sparse ({@code BuilderFlag.kSPARSE_WEIGHTS}, Torch-TensorRT's
 * {@code sparse_weights}; not a precision flag; default off).
 *
 * <pre>{@code EngineOptions o = EngineOptions.defaults().withPrecision(Precision.FP16).withTimingCache(Path.of("kiln.cache"));}</pre>
 */
public record EngineOptions(Precision precision, List<InputSpec> inputs, long workspaceBytes, int optimizationLevel,
                            Optional<Path> timingCache, BuildProgress progress, boolean detailedLayerInfo,
                            boolean sparseWeights) {

    public EngineOptions {
        Objects.requireNonNull(precision, "precision");
        inputs = List.copyOf(inputs);
        Objects.requireNonNull(timingCache, "timingCache");
        Objects.requireNonNull(progress, "progress");
        if (workspaceBytes < 0) {
            throw new dev.kiln.ir.KilnException("workspace limit must be >= 0 bytes, got " + workspaceBytes);
        }
        if (optimizationLevel < -1 || optimizationLevel > 5) {
            throw new dev.kiln.ir.KilnException("builder optimization level must be 0..5 (or -1 for TensorRT's default), got "
                    + optimizationLevel);
        }
    }

    /** The options before detailed layer information and sparse weights: layer names only, dense kernels. */
    public EngineOptions(Precision precision, List<InputSpec> inputs, long workspaceBytes, int optimizationLevel,
                         Optional<Path> timingCache, BuildProgress progress) {
        this(precision, inputs, workspaceBytes, optimizationLevel, timingCache, progress, false, false);
    }

    public static EngineOptions defaults() {
        return new EngineOptions(Precision.FP32, List.of(), 0, -1, Optional.empty(), BuildProgress.NONE, false, false);
    }

    public EngineOptions withPrecision(Precision p) {
        return with(b -> b.precision = p);
    }

    public EngineOptions withInputs(List<InputSpec> specs) {
        return with(b -> b.inputs = specs);
    }

    public EngineOptions withWorkspaceBytes(long bytes) {
        return with(b -> b.workspaceBytes = bytes);
    }

    public EngineOptions withOptimizationLevel(int level) {
        return with(b -> b.optimizationLevel = level);
    }

    public EngineOptions withTimingCache(Path file) {
        return with(b -> b.timingCache = Optional.ofNullable(file));
    }

    /** Record each layer's tactic and formats for the engine inspector (TensorRT's kDETAILED profiling verbosity). */
    public EngineOptions withDetailedLayerInfo(boolean b) {
        return with(x -> x.detailedLayerInfo = b);
    }

    /** Let TensorRT use its 2:4 sparse kernels for weights that are 2:4 sparse (check them with the check-2to4 pass). */
    public EngineOptions withSparseWeights(boolean b) {
        return with(x -> x.sparseWeights = b);
    }

    public EngineOptions withProgress(BuildProgress p) {
        return with(b -> b.progress = p == null ? BuildProgress.NONE : p);
    }

    /** A copy of these options with {@code change} applied: every wither is one line, whatever the record holds. */
    private EngineOptions with(java.util.function.Consumer<Builder> change) {
        Builder b = new Builder(this);
        change.accept(b);
        return b.build();
    }

    /** The record's components, mutable, for {@link #with}. */
    private static final class Builder {
        Precision precision;
        List<InputSpec> inputs;
        long workspaceBytes;
        int optimizationLevel;
        Optional<Path> timingCache;
        BuildProgress progress;
        boolean detailedLayerInfo;
        boolean sparseWeights;

        Builder(EngineOptions o) {
            precision = o.precision;
            inputs = o.inputs;
            workspaceBytes = o.workspaceBytes;
            optimizationLevel = o.optimizationLevel;
            timingCache = o.timingCache;
            progress = o.progress;
            detailedLayerInfo = o.detailedLayerInfo;
            sparseWeights = o.sparseWeights;
        }

        EngineOptions build() {
            return new EngineOptions(precision, inputs, workspaceBytes, optimizationLevel, timingCache, progress, detailedLayerInfo,
                    sparseWeights);
        }
    }

}
