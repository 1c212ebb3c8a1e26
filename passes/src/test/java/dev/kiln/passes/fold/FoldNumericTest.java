package dev.kiln.passes.fold;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.Value;
import dev.kiln.passes.Kir;
import dev.kiln.passes.Numerics;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.eval.GraphEvaluator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Folding changes nothing a user can observe: folded and unfolded graphs agree on the CPU. */
class FoldNumericTest {

    /** Fills every constant with random data (variances positive). */
    static void randomize(Graph g, long seed) {
        Random r = new Random(seed);
        for (Value c : List.copyOf(g.constants())) {
            ConstantTensor t = c.constant().orElseThrow();
            float[] v = new float[(int) t.numel()];
            boolean positive = c.name().contains("var");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (positive ? 0.1 + r.nextDouble() : r.nextGaussian());
            }
            c.setConstant(ConstantTensor.ofFloats(t.sizes(), v));
        }
    }


    @Test
    void convBatchNormFoldsExactly() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [2, 3, 8, 8]>) {
                  const %w : tensor<f32, [4, 3, 3, 3]> = W
                  const %b : tensor<f32, [4]> = C
                  const %gamma : tensor<f32, [4]> = C
                  const %beta : tensor<f32, [4]> = C
                  const %mean : tensor<f32, [4]> = C
                  const %var : tensor<f32, [4]> = C
                  %c : tensor<f32, [2, 4, 8, 8]> = aten::conv2d(%x, %w, %b, [1, 1], [1, 1], [1, 1], 1)
                  %bn : tensor<f32, [2, 4, 8, 8]> = aten::batch_norm(%c, %gamma, %beta, %mean, %var, false, 0.1, 1.0e-5, true)
                  %r : tensor<f32, [2, 4, 8, 8]> = aten::relu(%bn)
                  return %r
                }
                """.replace("W", Kir.f32(new float[108])).replace("C", Kir.f32(new float[4])));
        randomize(g, 1);
        Graph reference = Graphs.copy(g);
        PassManager.builder().build().run(g, "canonicalize,fold-batch-norm,dce", PassContext.defaults());
        assertThat(g.opHistogram()).containsOnlyKeys("aten::convolution", "aten::relu");
        List<ConstantTensor> in = Numerics.randomInputs(g, 2);
        Numerics.assertAllClose(GraphEvaluator.run(g, in), GraphEvaluator.run(reference, in), 1e-4, 1e-5, "conv+bn");
    }

    @Test
    void linearBatchNormWithoutAffineFoldsExactly() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [5, 6]>) {
                  const %w : tensor<f32, [3, 6]> = W
                  const %mean : tensor<f32, [3]> = C
                  const %var : tensor<f32, [3]> = C
                  %l : tensor<f32, [5, 3]> = aten::linear(%x, %w, none)
                  %bn : tensor<f32, [5, 3]>, %m : tensor<f32, [0]>, %v : tensor<f32, [0]> = aten::_native_batch_norm_legit_no_training(%l, none, none, %mean, %var, 0.1, 1.0e-3)
                  return %bn
                }
                """.replace("W", Kir.f32(new float[18])).replace("C", Kir.f32(new float[3])));
        randomize(g, 5);
        Graph reference = Graphs.copy(g);
        PassManager.builder().build().run(g, "fold-batch-norm,dce", PassContext.defaults());
        assertThat(g.opHistogram()).containsOnlyKeys("aten::linear");
        List<ConstantTensor> in = Numerics.randomInputs(g, 6);
        Numerics.assertAllClose(GraphEvaluator.run(g, in), GraphEvaluator.run(reference, in), 1e-4, 1e-5, "linear+bn");
    }

    @Test
    void constantSubgraphsFoldToWhatTheyComputed() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [4, 6]>) {
                  const %w : tensor<f32, [6, 4]> = W
                  %wt : tensor<f32, [4, 6]> = aten::t(%w)
                  %e : tensor<f32, [4, 6]> = aten::exp(%wt)
                  %s : tensor<f32, [6]> = aten::sum.dim_IntList(%e, [0], false, none)
                  %h : tensor<f16, [6]> = aten::_to_copy(%s, dtype<f16>, none, none, none, false, none)
                  %f : tensor<f32, [6]> = aten::_to_copy(%h, dtype<f32>, none, none, none, false, none)
                  %y : tensor<f32, [4, 6]> = aten::mul.Tensor(%x, %f)
                  return %y
                }
                """.replace("W", Kir.f32(new float[24])));
        randomize(g, 9);
        Graph reference = Graphs.copy(g);
        PassManager.builder().build().run(g, "fold-constants,dce", PassContext.defaults());
        assertThat(g.opHistogram()).containsOnlyKeys("aten::mul.Tensor");
        assertThat(g.constants()).hasSize(1);
        assertThat(g.constants().get(0).constant().orElseThrow().dtype()).isEqualTo(DType.FLOAT32);
        List<ConstantTensor> in = Numerics.randomInputs(g, 10);
        Numerics.assertAllClose(GraphEvaluator.run(g, in), GraphEvaluator.run(reference, in), 0, 0, "folded");
    }

    @Test
    void aFoldOverTheCapIsSkippedAndNoted() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [64, 64]>) {
                  const %c : tensor<f32, []> = C
                  %e : tensor<f32, [64, 64]> = aten::expand(%c, [64, 64], false)
                  %y : tensor<f32, [64, 64]> = aten::add.Tensor(%x, %e, 1)
                  return %y
                }
                """.replace("C", Kir.f32(1.5f)));
        PassContext ctx = PassContext.defaults();
        PassManager.builder().build().run(g, "fold-constants{max-bytes=4096}", ctx);
        assertThat(g.opHistogram()).containsKey("aten::expand");
        assertThat(ctx.diagnostics()).anyMatch(d -> d.contains("node e (aten::expand)") && d.contains("16384 bytes")
                && d.contains("max-bytes=4096"));
    }
}
