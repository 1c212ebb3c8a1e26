package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.BuildProgress;
import dev.kiln.backend.tensorrt.EngineOptions;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.compiler.hybrid.EngineCache;
import dev.kiln.partition.PartitionSettings;
import dev.kiln.passes.Precision;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@link Kiln#compile} is asked to do: the precision (the precision pass types the graph;
 * TensorRT only follows), input shape ranges ({@code x0=1..32x3x224x224}; empty = the model's own
 * symbolic ranges), ops or node names to keep in FP32, the workspace limit (0 = TensorRT's default),
 * the builder optimization level (-1 = TensorRT's default), a persistent timing cache file and a
 * build-progress callback; how the graph is partitioned between TensorRT and libtorch (default: fall
 * back to libtorch for what TensorRT cannot run), an engine cache directory (default: none), and whether
 * engines are built in a child JVM ({@link dev.kiln.compiler.hybrid.IsolatedBuilds}: a crash inside TensorRT's
 * builder then fails the compile instead of ending the process; default off), whether engines record
 * detailed layer information for TensorRT's engine inspector (each layer's tactic and formats; default off), and
 * whether TensorRT may use its 2:4 sparse kernels for weights that are 2:4 sparse (default off), int8
 * post-training quantization of convolutions, linear layers and matrix products ({@link Int8Settings}; default none),
 * and whether FP16/BF16 matrix products accumulate in FP32 (default off).
 *
 * <pre>{@code CompileSettings s = CompileSettings.defaults().withPrecision(Precision.FP16).withInputs(List.of(InputSpec.parse("x0=1..8x3x224x224")));}</pre>
 */
public record CompileSettings(Precision precision, List<InputSpec> inputs, Set<String> keepFp32, long workspaceBytes,
                              int optimizationLevel, Optional<Path> timingCache, BuildProgress progress,
                              PartitionSettings partition, Optional<Path> engineCache, boolean isolatedBuilds,
                              boolean detailedLayerInfo, boolean sparseWeights, Optional<Int8Settings> int8,
                              boolean fp32Accumulation) {
    public CompileSettings {
        Objects.requireNonNull(int8, "int8");
        Objects.requireNonNull(precision, "precision");
        inputs = List.copyOf(inputs);
        keepFp32 = java.util.Collections.unmodifiableSet(new TreeSet<>(keepFp32));
        Objects.requireNonNull(timingCache, "timingCache");
        progress = progress == null ? BuildProgress.NONE : progress;
        partition = partition == null ? PartitionSettings.defaults() : partition;
        Objects.requireNonNull(engineCache, "engineCache");
    }

    /**
     * The settings before FP32 accumulation: matrix products accumulate in the compile's precision.
     *
     * @deprecated each new setting added a constructor; start from {@link #defaults()} and its {@code with...}
     *     methods, which stay source compatible as settings are added
     */
    @Deprecated(since = "0.1", forRemoval = true)
    public CompileSettings(Precision precision, List<InputSpec> inputs, Set<String> keepFp32, long workspaceBytes,
                           int optimizationLevel, Optional<Path> timingCache, BuildProgress progress, PartitionSettings partition,
                           Optional<Path> engineCache, boolean isolatedBuilds, boolean detailedLayerInfo, boolean sparseWeights,
                           Optional<Int8Settings> int8) {
        this(precision, inputs, keepFp32, workspaceBytes, optimizationLevel, timingCache, progress, partition, engineCache,
                isolatedBuilds, detailedLayerInfo, sparseWeights, int8, false);
    }

    /**
     * The settings before the hybrid runtime's options: TensorRT with libtorch fallback, no engine cache.
     *
     * @deprecated each new setting added a constructor; start from {@link #defaults()} and its {@code with...}
     *     methods, which stay source compatible as settings are added
     */
    @Deprecated(since = "0.1", forRemoval = true)
    public CompileSettings(Precision precision, List<InputSpec> inputs, Set<String> keepFp32, long workspaceBytes,
                           int optimizationLevel, Optional<Path> timingCache, BuildProgress progress) {
        this(precision, inputs, keepFp32, workspaceBytes, optimizationLevel, timingCache, progress, PartitionSettings.defaults(),
                Optional.empty(), false);
    }

    /**
     * The settings before sparse weights and int8: dense kernels, no quantization.
     *
     * @deprecated each new setting added a constructor; start from {@link #defaults()} and its {@code with...}
     *     methods, which stay source compatible as settings are added
     */
    @Deprecated(since = "0.1", forRemoval = true)
    public CompileSettings(Precision precision, List<InputSpec> inputs, Set<String> keepFp32, long workspaceBytes,
                           int optimizationLevel, Optional<Path> timingCache, BuildProgress progress, PartitionSettings partition,
                           Optional<Path> engineCache, boolean isolatedBuilds, boolean detailedLayerInfo) {
        this(precision, inputs, keepFp32, workspaceBytes, optimizationLevel, timingCache, progress, partition, engineCache,
                isolatedBuilds, detailedLayerInfo, false, Optional.empty());
    }

    /**
     * The settings before detailed layer information: layer names only.
     *
     * @deprecated each new setting added a constructor; start from {@link #defaults()} and its {@code with...}
     *     methods, which stay source compatible as settings are added
     */
    @Deprecated(since = "0.1", forRemoval = true)
    public CompileSettings(Precision precision, List<InputSpec> inputs, Set<String> keepFp32, long workspaceBytes,
                           int optimizationLevel, Optional<Path> timingCache, BuildProgress progress, PartitionSettings partition,
                           Optional<Path> engineCache, boolean isolatedBuilds) {
        this(precision, inputs, keepFp32, workspaceBytes, optimizationLevel, timingCache, progress, partition, engineCache,
                isolatedBuilds, false);
    }

    /**
     * The settings before isolated builds: engines built in this process.
     *
     * @deprecated each new setting added a constructor; start from {@link #defaults()} and its {@code with...}
     *     methods, which stay source compatible as settings are added
     */
    @Deprecated(since = "0.1", forRemoval = true)
    public CompileSettings(Precision precision, List<InputSpec> inputs, Set<String> keepFp32, long workspaceBytes,
                           int optimizationLevel, Optional<Path> timingCache, BuildProgress progress, PartitionSettings partition,
                           Optional<Path> engineCache) {
        this(precision, inputs, keepFp32, workspaceBytes, optimizationLevel, timingCache, progress, partition, engineCache, false);
    }

    public static CompileSettings defaults() {
        return new CompileSettings(Precision.FP32, List.of(), Set.of(), 0, -1, Optional.empty(), BuildProgress.NONE,
                PartitionSettings.defaults(), Optional.empty(), false, false, false, Optional.empty(), false);
    }

    public CompileSettings withPrecision(Precision p) {
        return with(b -> b.precision = p);
    }

    public CompileSettings withInputs(List<InputSpec> specs) {
        return with(b -> b.inputs = specs);
    }

    public CompileSettings withKeepFp32(Set<String> opsOrNodes) {
        return with(b -> b.keepFp32 = opsOrNodes);
    }

    public CompileSettings withWorkspaceBytes(long bytes) {
        return with(b -> b.workspaceBytes = bytes);
    }

    public CompileSettings withOptimizationLevel(int level) {
        return with(b -> b.optimizationLevel = level);
    }

    public CompileSettings withTimingCache(Path file) {
        return with(b -> b.timingCache = Optional.ofNullable(file));
    }

    public CompileSettings withProgress(BuildProgress p) {
        return with(b -> b.progress = p);
    }

    /**
     * How the graph is split between TensorRT and libtorch: ops or nodes forced to torch, the smallest
     * engine worth building, or {@code requireFullCompilation} to fail instead of falling back.
     */
    public CompileSettings withPartition(PartitionSettings p) {
        return with(b -> b.partition = p);
    }

    /** Fail (listing every node that cannot run in TensorRT and why) instead of falling back to libtorch. */
    public CompileSettings withRequireFullCompilation(boolean b) {
        return withPartition(partition.withRequireFullCompilation(b));
    }

    /** Reuse and store built engines in {@code dir} ({@link EngineCache}); null turns the cache off. */
    public CompileSettings withEngineCache(Path dir) {
        return with(b -> b.engineCache = Optional.ofNullable(dir));
    }

    /**
     * Build each engine in a child JVM ({@link dev.kiln.compiler.hybrid.IsolatedBuilds}), so that a crash inside
     * TensorRT's builder fails the compile with a {@link dev.kiln.ir.KilnException} instead of ending this process.
     */
    public CompileSettings withIsolatedBuilds(boolean b) {
        return with(x -> x.isolatedBuilds = b);
    }

    /**
     * Record each engine layer's tactic and formats (TensorRT's {@code ProfilingVerbosity.kDETAILED}) for the engine
     * inspector: for analysis, as the bench does; the kernels are the same.
     */
    public CompileSettings withDetailedLayerInfo(boolean b) {
        return with(x -> x.detailedLayerInfo = b);
    }

    /**
     * Let TensorRT use its 2:4 sparse kernels (Torch-TensorRT's {@code sparse_weights}) for convolution and linear
     * weights that are 2:4 sparse: weights pruned and fine-tuned that way (NVIDIA's ASP); others stay dense. The
     * {@code check-2to4} pass reports which weights qualify.
     */
    public CompileSettings withSparseWeights(boolean b) {
        return with(x -> x.sparseWeights = b);
    }

    /**
     * Int8 post-training quantization: convolutions, linear layers and matrix products run in int8 with ranges from
     * calibration ({@link Int8Settings}); the rest of the graph keeps this compile's precision (FP16 is the usual
     * companion). Null turns it off.
     */
    public CompileSettings withInt8(Int8Settings q) {
        return with(b -> b.int8 = Optional.ofNullable(q));
    }

    /**
     * FP16/BF16 matrix products ({@code mm}, {@code bmm}, {@code addmm}, {@code baddbmm}, {@code matmul}, {@code linear})
     * read operands rounded to the low type and accumulate in FP32 (Torch-TensorRT's {@code use_fp32_acc}): the
     * precision pass's {@code fp32-acc}. More accurate over long sums (large hidden sizes); whether TensorRT runs it as
     * a half-precision kernel with a float accumulator or as an FP32 product is TensorRT's choice. No effect in FP32.
     */
    public CompileSettings withFp32Accumulation(boolean b) {
        return with(x -> x.fp32Accumulation = b);
    }

    /** The engine builder's part of these settings. */
    public EngineOptions engineOptions() {
        return new EngineOptions(precision, inputs, workspaceBytes, optimizationLevel, timingCache, progress, detailedLayerInfo,
                sparseWeights);
    }

    /** A copy of these settings with {@code change} applied: every wither is one line, whatever the record holds. */
    private CompileSettings with(java.util.function.Consumer<Builder> change) {
        Builder b = new Builder(this);
        change.accept(b);
        return b.build();
    }

    /** The record's components, mutable, for {@link #with}. */
    private static final class Builder {
        Precision precision;
        List<InputSpec> inputs;
        Set<String> keepFp32;
        long workspaceBytes;
        int optimizationLevel;
        Optional<Path> timingCache;
        BuildProgress progress;
        PartitionSettings partition;
        Optional<Path> engineCache;
        boolean isolatedBuilds;
        boolean detailedLayerInfo;
        boolean sparseWeights;
        Optional<Int8Settings> int8;
        boolean fp32Accumulation;

        Builder(CompileSettings s) {
            precision = s.precision;
            inputs = s.inputs;
            keepFp32 = s.keepFp32;
            workspaceBytes = s.workspaceBytes;
            optimizationLevel = s.optimizationLevel;
            timingCache = s.timingCache;
            progress = s.progress;
            partition = s.partition;
            engineCache = s.engineCache;
            isolatedBuilds = s.isolatedBuilds;
            detailedLayerInfo = s.detailedLayerInfo;
            sparseWeights = s.sparseWeights;
            int8 = s.int8;
            fp32Accumulation = s.fp32Accumulation;
        }

        CompileSettings build() {
            return new CompileSettings(precision, inputs, keepFp32, workspaceBytes, optimizationLevel, timingCache, progress,
                    partition, engineCache, isolatedBuilds, detailedLayerInfo, sparseWeights, int8, fp32Accumulation);
        }
    }

}
