package dev.kiln.quantization;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RangeHistogramTest {
    static ConstantTensor vector(float... v) {
        return ConstantTensor.ofFloats(new long[] {v.length}, v);
    }

    static ConstantTensor gaussian(int n, long seed, float... outliers) {
        Random r = new Random(seed);
        float[] v = new float[n + outliers.length];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        System.arraycopy(outliers, 0, v, n, outliers.length);
        return vector(v);
    }

    @Test
    void maxIsTheLargestMagnitudeOfAllBatches() {
        RangeHistogram h = new RangeHistogram();
        h.add(vector(0.5f, -2f, 1f));
        h.add(vector(-3.5f, 0f));
        assertThat(h.amax(CalibrationMethod.MAX, 0)).isEqualTo(3.5);
        assertThat(h.count()).isEqualTo(5);
    }

    @Test
    void percentileOfAUniformRampIsWhereThatShareOfValuesLies() {
        float[] v = new float[10_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i + 1) / 10_000f * (i % 2 == 0 ? 1 : -1); // magnitudes 0.0001 .. 1, both signs
        }
        RangeHistogram h = new RangeHistogram();
        h.add(vector(v));
        double bin = h.binWidth();
        assertThat(h.amax(CalibrationMethod.PERCENTILE, 50)).isCloseTo(0.5, within(2 * bin));
        assertThat(h.amax(CalibrationMethod.PERCENTILE, 99)).isCloseTo(0.99, within(2 * bin));
        assertThat(h.amax(CalibrationMethod.PERCENTILE, 100)).isEqualTo(1.0, within(1e-7));
        assertThatThrownBy(() -> h.amax(CalibrationMethod.PERCENTILE, 0)).isInstanceOf(KilnException.class)
                .hasMessageContaining("percentile must be in (0, 100]");
    }

    @Test
    void entropyClipsRareOutliersButNotABulkThatFillsTheRange() {
        // a unit Gaussian with three outliers at 40: max calibration would spend int8's range on them
        RangeHistogram tailed = new RangeHistogram();
        tailed.add(gaussian(200_000, 1, 40f, -40f, 39f));
        double amax = tailed.amax(CalibrationMethod.ENTROPY, 0);
        assertThat(tailed.amax(CalibrationMethod.MAX, 0)).isEqualTo(40.0);
        assertThat(amax).isBetween(2.5, 10.0);
        // values spread evenly up to their maximum: nothing to clip
        float[] u = new float[100_000];
        Random r = new Random(2);
        for (int i = 0; i < u.length; i++) {
            u[i] = r.nextFloat() * 2 - 1;
        }
        RangeHistogram uniform = new RangeHistogram();
        uniform.add(vector(u));
        assertThat(uniform.amax(CalibrationMethod.ENTROPY, 0)).isGreaterThan(0.9 * uniform.max());
    }

    @Test
    void aLargerBatchAddsBinsWithoutMovingEarlierCounts() {
        RangeHistogram h = new RangeHistogram();
        h.add(vector(0.25f, 0.5f, 1f));
        double w = h.binWidth();
        h.add(vector(10f));
        assertThat(h.binWidth()).isEqualTo(w);
        long[] c = h.counts();
        assertThat(c.length).isGreaterThanOrEqualTo((int) (10 / w));
        // the first batch's three values are where they were: in its 2048 bins (its maximum in the last of them)
        assertThat(c[512]).isEqualTo(1);
        assertThat(c[1024]).isEqualTo(1);
        assertThat(c[RangeHistogram.INITIAL_BINS - 1]).isEqualTo(1);
        assertThat(java.util.Arrays.stream(c).sum()).isEqualTo(4);
        // a jump past MAX_BINS merges bins: the count stays, the width doubles as often as needed
        h.add(vector(1e6f));
        assertThat(h.counts().length).isLessThanOrEqualTo(RangeHistogram.MAX_BINS);
        assertThat(java.util.Arrays.stream(h.counts()).sum()).isEqualTo(5);
        assertThat(h.amax(CalibrationMethod.MAX, 0)).isEqualTo(1e6);
    }

    @Test
    void zerosBeforeTheFirstNonZeroBatchAreCounted() {
        RangeHistogram h = new RangeHistogram();
        h.add(vector(0f, 0f, 0f));
        assertThat(h.amax(CalibrationMethod.ENTROPY, 0)).isZero();
        assertThat(h.amax(CalibrationMethod.MAX, 0)).isZero();
        h.add(vector(1f));
        assertThat(h.counts()[0]).isEqualTo(3);
        assertThat(h.count()).isEqualTo(4);
        // half of the values are zeros: the 50th percentile is in the first bin
        assertThat(h.amax(CalibrationMethod.PERCENTILE, 50)).isEqualTo(h.binWidth());
    }

    @Test
    void aNonFiniteValueIsAnError() {
        RangeHistogram h = new RangeHistogram();
        assertThatThrownBy(() -> h.add(vector(1f, Float.NaN))).isInstanceOf(KilnException.class)
                .hasMessageContaining("non-finite").hasMessageContaining("element 1");
    }

    @Property(tries = 60)
    void everyMethodStaysWithinTheObservedMaximum(@ForAll @Size(min = 1, max = 300) List<@FloatRange(min = -1e4f, max = 1e4f) Float> values,
                                                   @ForAll @FloatRange(min = 50, max = 100) float p) {
        float[] v = new float[values.size()];
        double max = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = values.get(i);
            max = Math.max(max, Math.abs(v[i]));
        }
        RangeHistogram h = new RangeHistogram();
        h.add(vector(v));
        assertThat(h.count()).isEqualTo(v.length);
        assertThat(h.amax(CalibrationMethod.MAX, 0)).isEqualTo(max);
        double pa = h.amax(CalibrationMethod.PERCENTILE, p);
        assertThat(pa).isBetween(0.0, max);
        assertThat(h.amax(CalibrationMethod.PERCENTILE, Math.min(100, p + 10))).isGreaterThanOrEqualTo(pa);
        assertThat(h.amax(CalibrationMethod.ENTROPY, 0)).isBetween(0.0, max);
    }

    @Test
    void divergenceIsZeroForEqualDistributionsAndInfiniteWhereTheCandidateMissesMass() {
        assertThat(RangeHistogram.divergence(new double[] {1, 2, 3}, new double[] {2, 4, 6}, 3)).isCloseTo(0, within(1e-12));
        assertThat(RangeHistogram.divergence(new double[] {1, 1}, new double[] {1, 0}, 2)).isInfinite();
        // KL([.5,.5] || [.25,.75]) = .5 ln 2 + .5 ln(2/3)
        assertThat(RangeHistogram.divergence(new double[] {1, 1}, new double[] {1, 3}, 2))
                .isCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2.0 / 3), within(1e-12));
    }
}
