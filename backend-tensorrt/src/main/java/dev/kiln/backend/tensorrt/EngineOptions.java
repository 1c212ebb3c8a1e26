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
 * builder optimization level (-1 = TensorRT's default, 3), a persistent timing cache file and a
 * progress callback.
 *
 * <pre>{@code EngineOptions o = EngineOptions.defaults().withPrecision(Precision.FP16).withTimingCache(Path.of("kiln.cache"));}</pre>
 */
public record EngineOptions(Precision precision, List<InputSpec> inputs, long workspaceBytes, int optimizationLevel,
                            Optional<Path> timingCache, BuildProgress progress) {

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

    public static EngineOptions defaults() {
        return new EngineOptions(Precision.FP32, List.of(), 0, -1, Optional.empty(), BuildProgress.NONE);
    }

    public EngineOptions withPrecision(Precision p) {
        return new EngineOptions(p, inputs, workspaceBytes, optimizationLevel, timingCache, progress);
    }

    public EngineOptions withInputs(List<InputSpec> specs) {
        return new EngineOptions(precision, specs, workspaceBytes, optimizationLevel, timingCache, progress);
    }

    public EngineOptions withWorkspaceBytes(long bytes) {
        return new EngineOptions(precision, inputs, bytes, optimizationLevel, timingCache, progress);
    }

    public EngineOptions withOptimizationLevel(int level) {
        return new EngineOptions(precision, inputs, workspaceBytes, level, timingCache, progress);
    }

    public EngineOptions withTimingCache(Path file) {
        return new EngineOptions(precision, inputs, workspaceBytes, optimizationLevel, Optional.ofNullable(file), progress);
    }

    public EngineOptions withProgress(BuildProgress p) {
        return new EngineOptions(precision, inputs, workspaceBytes, optimizationLevel, timingCache,
                p == null ? BuildProgress.NONE : p);
    }
}
