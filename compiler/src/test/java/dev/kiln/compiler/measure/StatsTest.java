package dev.kiln.compiler.measure;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StatsTest {
    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Stats.of(new double[] {3, 1, 2}).median()).isEqualTo(2.0);
        assertThat(Stats.of(new double[] {4, 1, 3, 2}).median()).isEqualTo(2.5);
        assertThat(Stats.of(new double[] {7}).median()).isEqualTo(7.0);
    }

    @Test
    void p99IsTheNearestRank() {
        double[] hundred = IntStream.rangeClosed(1, 100).asDoubleStream().toArray();
        assertThat(Stats.of(hundred).p99()).isEqualTo(99.0);
        double[] twoHundred = IntStream.rangeClosed(1, 200).asDoubleStream().toArray();
        assertThat(Stats.of(twoHundred).p99()).isEqualTo(198.0);
        // with few samples the p99 is the slowest one: an outlier is never hidden
        assertThat(Stats.of(new double[] {1, 1, 1, 1, 50}).p99()).isEqualTo(50.0);
    }

    @Test
    void meanMinAndCount() {
        Stats s = Stats.of(new double[] {2, 4, 9});
        assertThat(s.mean()).isEqualTo(5.0);
        assertThat(s.min()).isEqualTo(2.0);
        assertThat(s.n()).isEqualTo(3);
    }

    @Test
    void inputIsNotReordered() {
        double[] in = {3, 1, 2};
        Stats.of(in);
        assertThat(in).containsExactly(3, 1, 2);
    }

    @Test
    void refusesEmptyInputAndBadPercentiles() {
        assertThatThrownBy(() -> Stats.of(new double[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Stats.percentile(new double[] {1}, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Stats.percentile(new double[] {1, 2}, 100)).isEqualTo(2.0);
    }

    @Property(tries = 200)
    void orderOfSummaries(@ForAll @Size(min = 1, max = 300) List<@DoubleRange(min = 0.01, max = 1000) Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Stats s = Stats.of(a);
        assertThat(s.min()).isLessThanOrEqualTo(s.median());
        assertThat(s.median()).isLessThanOrEqualTo(s.p99());
        assertThat(s.p99()).isLessThanOrEqualTo(Arrays.stream(a).max().orElseThrow());
        // at least 99% of the samples are at or below the p99, and the p99 is one of the samples
        long below = Arrays.stream(a).filter(v -> v <= s.p99()).count();
        assertThat(below).isGreaterThanOrEqualTo((long) Math.ceil(0.99 * a.length));
        assertThat(a).contains(s.p99());
    }

    @org.junit.jupiter.api.Test
    void wallTimesRunsTheWarmUpUntimedThenOneSamplePerCall() throws Exception {
        int[] calls = new int[1];
        double[] ms = Stats.wallTimes(() -> {
            calls[0]++;
            try {
                Thread.sleep(calls[0] > 3 ? 2 : 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 3, 5, 1e6);
        assertThat(calls[0]).isEqualTo(8);
        assertThat(ms).hasSize(5);
        assertThat(Arrays.stream(ms).min().orElseThrow()).isGreaterThanOrEqualTo(2.0);
    }
}
