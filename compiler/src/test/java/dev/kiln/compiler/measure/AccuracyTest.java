package dev.kiln.compiler.measure;

import dev.kiln.ir.ConstantTensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AccuracyTest {
    private static ConstantTensor t(float... v) {
        return ConstantTensor.ofFloats(new long[] {v.length}, v);
    }

    @Test
    void relativeL2() {
        assertThat(Accuracy.relL2(t(3, 4), t(3, 4))).isZero();
        // ||(0.3, 0.4)|| / ||(3, 4)|| = 0.5 / 5
        assertThat(Accuracy.relL2(t(3.3f, 4.4f), t(3, 4))).isCloseTo(0.1, within(1e-6));
    }

    @Test
    void brokenOutputsNeverLookAccurate() {
        assertThat(Accuracy.relL2(t(1, 2, 3), t(1, 2))).isNaN();
        assertThat(Accuracy.relL2(t(Float.NaN, 4), t(3, 4))).isNaN();
        assertThat(Accuracy.relL2(t(Float.POSITIVE_INFINITY, 4), t(3, 4))).isNaN();
    }
}
