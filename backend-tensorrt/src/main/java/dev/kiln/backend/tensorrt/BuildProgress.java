package dev.kiln.backend.tensorrt;

/**
 * Receives the progress of an engine build: the phase ({@code "convert"}, {@code "build"},
 * {@code "serialize"}), the steps done and the total (0 or less when unknown). Network conversion
 * reports one step per IR node. JavaCPP 1.5.11 maps TensorRT's {@code IProgressMonitor} without a
 * constructor Java can subclass, so during TensorRT's own build the engine builder reports one step
 * per message TensorRT logs (the total unknown): enough to show that a long build is alive.
 * Implementations must be quick and must not throw.
 *
 * <pre>{@code BuildProgress p = (phase, done, total) -> System.err.printf("%s %d/%d%n", phase, done, total);}</pre>
 */
@FunctionalInterface
public interface BuildProgress {
    BuildProgress NONE = (phase, done, total) -> { };

    void report(String phase, long done, long total);
}
