package dev.kiln.passes.eval;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.passes.Kir;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TorchEvalTest {

    @Test
    void evaluatesOneNodeThroughTheDispatcher() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [2, 2]>) {
                  const %y : tensor<f32, [2, 2]> = %s
                  %%s : tensor<f32, [2, 2]> = aten::add.Tensor(%%x, %%y, 2)
                  return %%s
                }
                """.replace("= %s", "= " + Kir.f32(10, 20, 30, 40)).replace("%%", "%"));
        Node add = g.nodes().get(0);
        List<ConstantTensor> out = TorchEval.evaluate(add, Map.of(g.inputs().get(0),
                ConstantTensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4)));
        assertThat(out).hasSize(1);
        assertThat(out.get(0).sizes()).containsExactly(2, 2);
        assertThat(out.get(0).getDouble(3)).isEqualTo(84.0);
    }

    @Test
    void convolutionWhoseOutputLiesMostlyInThePaddingRunsWithoutOneDnn() {
        // the shape of oneDNN issue 5942 (whole output blocks in the padding), which killed the JVM on an
        // AVX-512/AMX host through libtorch 2.5.1's oneDNN; TorchEval turns oneDNN off unless asked
        float[] w = new float[4 * 9];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 7) - 3;
        }
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [1, 4, 1, 1]>) {
                  const %w : tensor<f32, [1, 4, 9, 1]> = %s
                  %%y : tensor<f32, [1, 1, 3, 7]> = aten::convolution(%%x, %%w, none, [2, 2], [6, 6], [1, 1], false, [0, 0], 1)
                  return %%y
                }
                """.replace("= %s", "= " + Kir.f32(w)).replace("%%", "%"));
        float[] x = {1, -2, 0.5f, 3};
        ConstantTensor y = TorchEval.evaluate(g.nodes().get(0), Map.of(g.inputs().get(0),
                ConstantTensor.ofFloats(new long[] {1, 4, 1, 1}, x))).get(0);
        assertThat(org.bytedeco.pytorch.global.torch.globalContext().userEnabledMkldnn()).isFalse();
        for (int h = 0; h < 3; h++) {
            for (int col = 0; col < 7; col++) {
                // only input row 0 / column 0 is real: kernel row 6 - 2h meets it, in output column 3
                double want = 0;
                if (col == 3) {
                    for (int c = 0; c < 4; c++) {
                        want += x[c] * w[c * 9 + 6 - 2 * h];
                    }
                }
                assertThat(y.getDouble(h * 7 + col)).as("y[%d][%d]", h, col).isEqualTo(want);
            }
        }
    }

    @Test
    void numberInputsAreGivenAsOneElementTensors() {
        // how numbers cross between segments: a float read by mul.Scalar, an int by select
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [2, 3]>, %k: float, %i: int) {
                  %y : tensor<f32, [2, 3]> = aten::mul.Scalar(%x, %k)
                  %r : tensor<f32, [3]> = aten::select.int(%y, 0, %i)
                  return %r
                }
                """);
        List<ConstantTensor> out = GraphEvaluator.run(g, List.of(ConstantTensor.ofFloats(new long[] {2, 3}, 1, 7, 3, 4, 2, 6),
                ConstantTensor.scalar(DType.FLOAT32, 0.5), ConstantTensor.scalar(DType.INT64, 1)));
        assertThat(out.get(0).sizes()).containsExactly(3);
        assertThat(List.of(out.get(0).getDouble(0), out.get(0).getDouble(1), out.get(0).getDouble(2))).containsExactly(2.0, 1.0, 3.0);
        assertThatThrownBy(() -> GraphEvaluator.run(g, List.of(ConstantTensor.ofFloats(new long[] {2, 3}, 1, 7, 3, 4, 2, 6),
                ConstantTensor.ofFloats(new long[] {2}, 1, 2), ConstantTensor.scalar(DType.INT64, 1))))
                .isInstanceOf(KilnException.class).hasMessageContaining("%k is float; pass a one-element tensor");
    }

    @Test
    void runsAGraphWithListArgsMultipleOutputsAndCasts() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [2, 3]>) {
                  %v : tensor<f32, [3, 2]> = aten::reshape(%x, [3, -1])
                  %m : tensor<f32, [3]>, %i : tensor<i64, [3]> = aten::max.dim(%v, 1, false)
                  %h : tensor<f16, [3]> = aten::_to_copy(%m, dtype<f16>, none, none, none, false, none)
                  %c : tensor<f32, [2, 6]> = aten::cat([%x, %x], 1)
                  return %h, %i, %c
                }
                """);
        List<ConstantTensor> out = GraphEvaluator.run(g, List.of(ConstantTensor.ofFloats(new long[] {2, 3}, 1, 7, 3, 4, 2, 6)));
        assertThat(out.get(0).dtype()).isEqualTo(DType.FLOAT16);
        assertThat(out.get(0).getDouble(0)).isEqualTo(7.0);
        assertThat(out.get(0).getDouble(2)).isEqualTo(6.0);
        assertThat(out.get(1).getLong(1)).isEqualTo(1);
        assertThat(out.get(2).sizes()).containsExactly(2, 6);
    }

    @Test
    void libtorchErrorsNameTheNode() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [2, 3]>, %y: tensor<f32, [4, 5]>) {
                  %m : tensor<f32, [2, 5]> = aten::mm(%x, %y)
                  return %m
                }
                """);
        assertThatThrownBy(() -> GraphEvaluator.run(g, List.of(ConstantTensor.ofFloats(new long[] {2, 3}, new float[6]),
                ConstantTensor.ofFloats(new long[] {4, 5}, new float[20]))))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("node m (aten::mm)")
                .hasMessageContaining("libtorch failed");
    }

    @Test
    void wrongInputCountIsAnError() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [2]>) {
                  %r : tensor<f32, [2]> = aten::relu(%x)
                  return %r
                }
                """);
        assertThatThrownBy(() -> GraphEvaluator.run(g, List.of())).hasMessageContaining("takes 1 inputs but 0 were given");
    }
}
