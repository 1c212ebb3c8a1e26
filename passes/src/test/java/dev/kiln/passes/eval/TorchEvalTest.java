package dev.kiln.passes.eval;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.passes.text.KirText;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TorchEvalTest {

    @Test
    void evaluatesOneNodeThroughTheDispatcher() {
        Graph g = KirText.parse("""
                graph g {
                  input %x : tensor<f32, [2, 2]>
                  const %y : tensor<f32, [2, 2]> = [10.0, 20.0, 30.0, 40.0]
                  %s : tensor<f32, [2, 2]> = aten::add.Tensor(%x, %y, 2)
                  return %s
                }
                """);
        Node add = g.nodes().get(0);
        List<ConstantTensor> out = TorchEval.evaluate(add, Map.of(g.inputs().get(0),
                ConstantTensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4)));
        assertThat(out).hasSize(1);
        assertThat(out.get(0).sizes()).containsExactly(2, 2);
        assertThat(out.get(0).getDouble(3)).isEqualTo(84.0);
    }

    @Test
    void runsAGraphWithListArgsMultipleOutputsAndCasts() {
        Graph g = KirText.parse("""
                graph g {
                  input %x : tensor<f32, [2, 3]>
                  %v : tensor<f32, [3, 2]> = aten::reshape(%x, [3, -1])
                  %m : tensor<f32, [3]>, %i : tensor<i64, [3]> = aten::max.dim(%v, 1, false)
                  %h : tensor<f16, [3]> = aten::_to_copy(%m, f16, none, none, none, false, none)
                  %c : tensor<f32, [2, 5]> = aten::cat([%x, %x], 1)
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
        Graph g = KirText.parse("""
                graph g {
                  input %x : tensor<f32, [2, 3]>
                  input %y : tensor<f32, [4, 5]>
                  %m : tensor = aten::mm(%x, %y)
                  return %m
                }
                """);
        assertThatThrownBy(() -> GraphEvaluator.run(g, List.of(ConstantTensor.ofFloats(new long[] {2, 3}, new float[6]),
                ConstantTensor.ofFloats(new long[] {4, 5}, new float[20]))))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("node m (aten::mm)")
                .hasMessageContaining("libtorch failed");
    }
}
