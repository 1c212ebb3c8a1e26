package dev.kiln.backend.tensorrt.runtime;

import dev.kiln.backend.tensorrt.runtime.GraphPlan.Step;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** When a session with CUDA graphs on replays, captures or runs plainly, driven by its binding state's generation. */
class GraphPlanTest {

    /** Runs {@code calls} through the plan as the session does, with the binding generation each call has. */
    private static List<Step> drive(GraphPlan plan, long... generations) {
        List<Step> steps = new ArrayList<>();
        for (long g : generations) {
            Step s = plan.next(g);
            switch (s) {
                case PLAIN -> plan.ranPlain(g);
                case CAPTURE -> plan.captured(g);
                case REPLAY -> { }
            }
            steps.add(s);
        }
        return steps;
    }

    @Test
    void aSteadyCallerRunsPlainlyOnceThenCapturesThenReplays() {
        assertThat(drive(new GraphPlan(), 3, 3, 3, 3)).containsExactly(Step.PLAIN, Step.CAPTURE, Step.REPLAY, Step.REPLAY);
    }

    @Test
    void aChangedShapeOrBufferRunsPlainlyAndIsCapturedAnew() {
        // generation 3 captured; a new buffer (4) runs plain first, as TensorRT applies the update in that enqueue
        assertThat(drive(new GraphPlan(), 3, 3, 3, 4, 4, 4))
                .containsExactly(Step.PLAIN, Step.CAPTURE, Step.REPLAY, Step.PLAIN, Step.CAPTURE, Step.REPLAY);
    }

    @Test
    void buffersThatChangeEveryCallAreNeverCaptured() {
        assertThat(drive(new GraphPlan(), 1, 2, 3, 4)).containsOnly(Step.PLAIN);
    }

    @Test
    void aFailedCaptureMeansPlainCallsForGood() {
        GraphPlan plan = new GraphPlan();
        assertThat(drive(plan, 5)).containsExactly(Step.PLAIN);
        assertThat(plan.next(5)).isEqualTo(Step.CAPTURE);
        plan.captureImpossible();
        assertThat(plan.impossible()).isTrue();
        assertThat(drive(plan, 5, 5, 6, 6)).containsOnly(Step.PLAIN);
    }

    @Test
    void resetForgetsTheGraph() {
        GraphPlan plan = new GraphPlan();
        drive(plan, 7, 7);
        assertThat(plan.next(7)).isEqualTo(Step.REPLAY);
        plan.reset();
        assertThat(drive(plan, 7, 7, 7)).containsExactly(Step.PLAIN, Step.CAPTURE, Step.REPLAY);
    }

    @Test
    void bindingStateCountsOnlyRealChanges() {
        BindingState state = new BindingState();
        long g0 = state.generation();
        assertThat(state.needsAddress("x0", 64)).isTrue();
        state.bound("x0", 64);
        long g1 = state.generation();
        assertThat(g1).isGreaterThan(g0);
        // the session binds only what changed, so a call with the same buffer leaves the generation alone
        assertThat(state.needsAddress("x0", 64)).isFalse();
        assertThat(state.generation()).isEqualTo(g1);
        state.shapesSet(new long[][] {{1, 3}}, List.of(new long[] {1, 4}));
        long g2 = state.generation();
        assertThat(g2).isGreaterThan(g1);
        assertThat(state.outputShapesFor(new long[][] {{1, 3}})).isPresent();
        assertThat(state.generation()).isEqualTo(g2);
        state.forget();
        assertThat(state.generation()).isGreaterThan(g2);
    }
}
