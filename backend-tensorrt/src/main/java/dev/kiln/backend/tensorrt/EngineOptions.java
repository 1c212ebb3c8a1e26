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
        return new EngineOptions(p, inputs, workspaceBytes, optimizationLevel, timingCache, progress, detailedLayerInfo, sparseWeights);
    }

    public EngineOptions withInputs(List<InputSpec> specs) {
        return new EngineOptions(precision, specs, workspaceBytes, optimizationLevel, timingCache, progress, detailedLayerInfo, sparseWeights);
    }

    public EngineOptions withWorkspaceBytes(long bytes) {
        return new EngineOptions(precision, inputs, bytes, optimizationLevel, timingCache, progress, detailedLayerInfo, sparseWeights);
    }

    public EngineOptions withOptimizationLevel(int level) {
        return new EngineOptions(precision, inputs, workspaceBytes, level, timingCache, progress, detailedLayerInfo, sparseWeights);
    }

    public EngineOptions withTimingCache(Path file) {
        return new EngineOptions(precision, inputs, workspaceBytes, optimizationLevel, Optional.ofNullable(file), progress, detailedLayerInfo, sparseWeights);
    }

    /** Record each layer's tactic and formats for the engine inspector (TensorRT's kDETAILED profiling verbosity). */
    public EngineOptions withDetailedLayerInfo(boolean b) {
        return new EngineOptions(precision, inputs, workspaceBytes, optimizationLevel, timingCache, progress, b, sparseWeights);
    }

    /** Let TensorRT use its 2:4 sparse kernels for weights that are 2:4 sparse (check them with the check-2to4 pass). */
    public EngineOptions withSparseWeights(boolean b) {
        return new EngineOptions(precision, inputs, workspaceBytes, optimizationLevel, timingCache, progress, detailedLayerInfo, b);
    }

    public EngineOptions withProgress(BuildProgress p) {
        return new EngineOptions(precision, inputs, workspaceBytes, optimizationLevel, timingCache,
                p == null ? BuildProgress.NONE : p, detailedLayerInfo, sparseWeights);
    }
}
