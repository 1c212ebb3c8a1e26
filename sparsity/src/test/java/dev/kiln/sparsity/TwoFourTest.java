package dev.kiln.sparsity;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.eval.GraphEvaluator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TwoFourTest {
    static ConstantTensor random(long seed, long... sizes) {
        Random r = new Random(seed);
        long n = 1;
        for (long s : sizes) {
            n *= s;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return ConstantTensor.ofFloats(sizes, v);
    }

    @Test
    void censusCountsGroupsAlongTheInputChannels() {
        // [2 out, 8 in]: row 0 is 2:4, row 1 has one group of three non-zeros
        ConstantTensor w = ConstantTensor.ofFloats(new long[] {2, 8},
                1, 0, 2, 0, 0, 0, 3, 4,
                1, 2, 3, 0, 5, 0, 0, 0);
        TwoFour.Census c = TwoFour.census(w, 1);
        assertThat(c.groups()).isEqualTo(4);
        assertThat(c.violating()).isEqualTo(1);
        assertThat(c.sparse()).isFalse();
        // a last group of three counts as padded with a zero: three non-zeros still break the pattern, two do not
        assertThat(TwoFour.census(ConstantTensor.ofFloats(new long[] {1, 3}, 1, 0, 2), 1).sparse()).isTrue();
        assertThat(TwoFour.census(ConstantTensor.ofFloats(new long[] {1, 3}, 1, 5, 2), 1).sparse()).isFalse();
        assertThatThrownBy(() -> TwoFour.census(w, 2)).isInstanceOf(KilnException.class).hasMessageContaining("rank-2");
    }

    @Test
    void pruningKeepsTheTwoLargestMagnitudesOfEachGroupAlongTheRightAxis() {
        // KCRS [1, 4, 1, 2]: the groups run along C for each of the two kernel positions
        ConstantTensor w = ConstantTensor.ofFloats(new long[] {1, 4, 1, 2},
                0.1f, -9f,
                -5f, 0.2f,
                3f, 0.3f,
                0.4f, 8f);
        ConstantTensor p = TwoFour.prune(w, 1);
        // position 0: C values 0.1, -5, 3, 0.4 -> keep -5 and 3; position 1: -9, 0.2, 0.3, 8 -> keep -9 and 8
        assertThat(List.of(p.getDouble(0), p.getDouble(2), p.getDouble(4), p.getDouble(6))).containsExactly(0.0, -5.0, 3.0, 0.0);
        assertThat(List.of(p.getDouble(1), p.getDouble(3), p.getDouble(5), p.getDouble(7))).containsExactly(-9.0, 0.0, 0.0, 8.0);
        assertThat(TwoFour.census(p, 1).sparse()).isTrue();
        // ties keep the earlier elements
        ConstantTensor ties = TwoFour.prune(ConstantTensor.ofFloats(new long[] {1, 4}, 1, 1, 1, 1), 1);
        assertThat(List.of(ties.getDouble(0), ties.getDouble(1), ties.getDouble(2), ties.getDouble(3))).containsExactly(1.0, 1.0, 0.0, 0.0);
    }

    @Property(tries = 50)
    void prunedWeightsAreTwoFourAndKeepEveryGroupsLargestTwo(@ForAll @IntRange(min = 1, max = 5) int out,
                                                               @ForAll @IntRange(min = 1, max = 19) int in,
                                                               @ForAll @IntRange(min = 1, max = 3) int k,
                                                               @ForAll long seed) {
        ConstantTensor w = random(seed, out, in, k);
        ConstantTensor p = TwoFour.prune(w, 1);
        assertThat(TwoFour.census(p, 1).sparse()).isTrue();
        assertThat(TwoFour.census(TwoFour.prune(p, 1), 1).violating()).isZero();
        for (int o = 0; o < out; o++) {
            for (int kk = 0; kk < k; kk++) {
                for (int g = 0; g < in; g += 4) {
                    int kept = 0;
                    double keptMin = Double.POSITIVE_INFINITY;
                    double droppedMax = 0;
                    for (int c = g; c < Math.min(g + 4, in); c++) {
                        long i = ((long) o * in + c) * k + kk;
                        if (p.getDouble(i) != 0) {
                            assertThat(p.getDouble(i)).isEqualTo(w.getDouble(i)); // kept values are unchanged
                            kept++;
                            keptMin = Math.min(keptMin, Math.abs(w.getDouble(i)));
                        } else {
                            droppedMax = Math.max(droppedMax, Math.abs(w.getDouble(i)));
                        }
                    }
                    assertThat(kept).isEqualTo(Math.min(2, Math.min(4, in - g)));
                    if (kept > 0) {
                        assertThat(droppedMax).isLessThanOrEqualTo(keptMin);
                    }
                }
            }
        }
    }

    static Graph model() {
        Graph g = IrParser.parse("""
                graph @m(%x: tensor<f32, [2, 32, 4, 4]>) {
                  const %w : tensor<f32, [8, 32, 3, 3]> = dense<elided>
                  const %dw : tensor<f32, [8, 1, 3, 3]> = dense<elided>
                  const %fw : tensor<f32, [4, 128]> = dense<elided>
                  const %small : tensor<f32, [4, 4]> = dense<elided>
                  %c : tensor<f32, [2, 8, 4, 4]> = aten::convolution(%x, %w, none, [1, 1], [1, 1], [1, 1], false, [0, 0], 1)
                  %d : tensor<f32, [2, 8, 4, 4]> = aten::convolution(%c, %dw, none, [1, 1], [1, 1], [1, 1], false, [0, 0], 8)
                  %f : tensor<f32, [2, 128]> = aten::flatten.using_ints(%d, 1, -1)
                  %y : tensor<f32, [2, 4]> = aten::linear(%f, %fw, none)
                  %z : tensor<f32, [2, 4]> = aten::linear(%y, %small, none)
                  return %z
                }
                """, "m.kir", SchemaRegistry.standard(), IrParser.Options.acceptingElided());
        long seed = 1;
        for (Value c : List.copyOf(g.constants())) {
            c.setConstant(random(seed++, c.constant().orElseThrow().sizes()));
        }
        return g;
    }

    @Test
    void checkReportsAndPruneMakesTheEligibleWeightsSparse() {
        Graph g = model();
        PassManager pm = PassManager.builder().build();
        PassContext before = PassContext.defaults();
        assertThat(pm.run(g, "check-2to4", before).changed()).isFalse();
        // the depthwise convolution (groups 8) is not a site; the conv, and both linear layers are
        assertThat(before.diagnostics()).contains("2:4 sparse weights: 0 of 3 convolution and linear weights");
        assertThat(before.diagnostics()).anyMatch(d -> d.contains("weight %w is not 2:4 sparse"));

        List<ConstantTensor> in = List.of(random(99, 2, 32, 4, 4));
        ConstantTensor dense = GraphEvaluator.run(g, in).get(0);
        PassContext prune = PassContext.defaults();
        assertThat(pm.run(g, "prune-2to4,dce", prune).changed()).isTrue();
        assertThat(prune.diagnostics()).anyMatch(d -> d.contains("results differ"));
        PassContext after = PassContext.defaults();
        pm.run(g, "check-2to4", after);
        // the [4, 4] weight has fewer than 16 input channels: left dense
        assertThat(after.diagnostics()).contains("2:4 sparse weights: 2 of 3 convolution and linear weights")
                .anyMatch(d -> d.contains("weight %small is not 2:4 sparse"));
        // the pruned model still runs, and computes something else
        ConstantTensor sparse = GraphEvaluator.run(g, in).get(0);
        assertThat(sparse.contentEquals(dense)).isFalse();
        // pruning again changes nothing
        assertThat(pm.run(g, "prune-2to4", PassContext.defaults()).changed()).isFalse();
    }
}
