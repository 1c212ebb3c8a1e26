package dev.kiln.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairedOverheadTest {
    @Test
    void pairsTakeTurnsAtGoingFirstAndEachDifferenceIsKilnMinusBare() {
        List<String> order = new ArrayList<>();
        double[] kiln = {0};
        double[] d = GpuRunner.pairedDifferences(() -> {
            order.add("k");
            return 100 + kiln[0]++;
        }, () -> {
            order.add("b");
            return 90;
        }, 12, 60);
        assertThat(d).hasSize(12);
        assertThat(String.join("", order)).isEqualTo("kbbkkbbkkbbkkbbkkbbkkbbk");
        // pair i's Kiln call returned 100 + i: its difference is that call's minus the bare call's, whichever went first
        for (int i = 0; i < d.length; i++) {
            assertThat(d[i]).isEqualTo(10 + i);
        }
    }

    @Test
    void atLeastTenPairsWhateverTheTimeLimitAndNoMoreThanIters() {
        assertThat(GpuRunner.pairedDifferences(() -> 2, () -> 1, 3, 0)).hasSize(10).containsOnly(1.0);
        assertThat(GpuRunner.pairedDifferences(() -> 2, () -> 1, 300, 0)).hasSize(10);
        assertThat(GpuRunner.pairedDifferences(() -> 2, () -> 1, 40, 60)).hasSize(40);
    }

    @Test
    void inTurnsKeepsEachSideSamplesPairByPairWhoeverWentFirst() {
        List<String> order = new ArrayList<>();
        double[] n = {0, 0};
        double[][] t = GpuRunner.inTurns(() -> {
            order.add("a");
            return n[0]++;
        }, () -> {
            order.add("b");
            return 100 + n[1]++;
        }, 4, 60);
        assertThat(t[0]).hasSize(10);
        assertThat(t[1]).hasSize(10);
        assertThat(String.join("", order)).startsWith("abbaabba");
        for (int i = 0; i < 10; i++) {
            assertThat(t[0][i]).isEqualTo(i);
            assertThat(t[1][i]).isEqualTo(100 + i);
        }
    }
}
