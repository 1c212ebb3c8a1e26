package dev.kiln.backend.tensorrt.runtime;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The session's memory of what its execution context holds: unchanged addresses and shapes are not set again. */
class BindingStateTest {

    @Test
    void anAddressIsBoundOnceUntilItChanges() {
        BindingState s = new BindingState();
        assertThat(s.needsAddress("x0", 0x1000)).isTrue();
        s.bound("x0", 0x1000);
        assertThat(s.needsAddress("x0", 0x1000)).isFalse();
        assertThat(s.needsAddress("x0", 0x2000)).isTrue();
        assertThat(s.needsAddress("y0", 0x1000)).as("per tensor name").isTrue();
    }

    @Test
    void outputShapesAreReusedOnlyForTheSameInputShapes() {
        BindingState s = new BindingState();
        long[][] in = {{2, 3}, {4}};
        assertThat(s.outputShapesFor(in)).isEmpty();
        s.shapesSet(in, List.of(new long[] {2, 7}));
        in[0][0] = 99; // the caller's arrays may change afterwards: the state kept copies
        assertThat(s.outputShapesFor(new long[][] {{2, 3}, {4}})).get().satisfies(o -> assertThat(o.get(0)).containsExactly(2, 7));
        assertThat(s.outputShapesFor(new long[][] {{2, 3}, {5}})).isEmpty();
        assertThat(s.outputShapesFor(new long[][] {{2, 3}})).isEmpty();
        List<long[]> given = s.outputShapesFor(new long[][] {{2, 3}, {4}}).orElseThrow();
        given.get(0)[1] = -1; // and hands out copies
        assertThat(s.outputShapesFor(new long[][] {{2, 3}, {4}}).orElseThrow().get(0)).containsExactly(2, 7);
    }

    @Test
    void forgettingMakesTheNextCallSetEverything() {
        BindingState s = new BindingState();
        s.bound("x0", 0x1000);
        s.shapesSet(new long[][] {{1}}, List.of(new long[] {1}));
        s.forget();
        assertThat(s.needsAddress("x0", 0x1000)).isTrue();
        assertThat(s.outputShapesFor(new long[][] {{1}})).isEmpty();
    }
}
