package dev.kiln.backend.tensorrt.runtime;

/**
 * When an {@link ExecutionSession} with CUDA graphs on replays a graph, captures one, or just calls
 * {@code enqueueV3}. A graph holds the addresses and shapes of the call it was captured in, so it is
 * replayed only while the session's {@link BindingState} is unchanged (the same generation). After a
 * change, the first call runs plainly (TensorRT applies shape and address updates in that enqueue, which
 * must not happen inside a capture) and the next unchanged call captures and launches. A session whose
 * work cannot be captured stays plain. Pure bookkeeping, no native calls: the session does those.
 *
 * <pre>{@code switch (plan.next(state.generation())) { case REPLAY -> launchGraph(); case CAPTURE -> ...; case PLAIN -> ... }}</pre>
 */
final class GraphPlan {
    enum Step { PLAIN, CAPTURE, REPLAY }

    private long captured = -1;
    private long plainAt = -1;
    private boolean impossible;

    /** What the call at binding generation {@code generation} does. */
    Step next(long generation) {
        if (impossible) {
            return Step.PLAIN;
        }
        if (captured == generation) {
            return Step.REPLAY;
        }
        return plainAt == generation ? Step.CAPTURE : Step.PLAIN;
    }

    void ranPlain(long generation) {
        plainAt = generation;
    }

    void captured(long generation) {
        captured = generation;
    }

    /** The capture failed: this session's work cannot be a graph, so every later call runs plainly. */
    void captureImpossible() {
        impossible = true;
        captured = -1;
    }

    boolean impossible() {
        return impossible;
    }

    /** Forgets the graph (it was destroyed, or graphs were switched off). */
    void reset() {
        captured = -1;
        plainAt = -1;
    }
}
