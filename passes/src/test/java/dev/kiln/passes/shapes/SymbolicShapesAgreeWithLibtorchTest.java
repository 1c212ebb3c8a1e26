package dev.kiln.passes.shapes;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.passes.eval.GraphEvaluator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Symbolic shapes checked against libtorch: each graph is typed once with symbolic inputs, then run
 * on the CPU at several sizes; every output's sizes must equal the symbolic shape evaluated there.
 * (Int arithmetic such as {@code aten::mul.int} is not in libtorch's dispatcher, so the CPU
 * evaluator cannot run it; {@link CreationSymIntRulesTest} covers it.)
 */
class SymbolicShapesAgreeWithLibtorchTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("%x: tensor<f32, [2, 3, s0, s1]>, %w: tensor<f32, [4, 3, 3, 2]>",
                    "%o : tensor = aten::convolution(%x, %w, none, [2, 3], [1, 0], [1, 2], false, [0, 0], 1)"),
                Arguments.of("%x: tensor<f32, [1, 2, s0, s1]>, %w: tensor<f32, [2, 3, 3, 3]>",
                    "%o : tensor = aten::convolution(%x, %w, none, [2, 2], [1, 1], [1, 1], true, [1, 0], 1)"),
                Arguments.of("%x: tensor<f32, [1, 2, s0, s1]>",
                    "%o : tensor = aten::max_pool2d(%x, [3, 2], [2, 2], [1, 0], [1, 1], true)"),
                Arguments.of("%x: tensor<f32, [1, 2, s0, s1]>",
                    "%o : tensor = aten::avg_pool2d(%x, [2, 2], [3, 3], [1, 1], true, true, none)"),
                Arguments.of("%x: tensor<f32, [1, 2, s0, s1]>",
                    "%o : tensor = aten::upsample_nearest2d.vec(%x, none, [2.0, 0.5])"),
                Arguments.of("%x: tensor<f32, [s0, 3, s1]>",
                    "%n : int = aten::sym_size.int(%x, 0)\n  %o : tensor = aten::view(%x, [%n, -1])"),
                Arguments.of("%x: tensor<f32, [s0, 6, s1]>",
                    "%o : tensor = aten::reshape(%x, [-1, 3, 2])"),
                Arguments.of("%x: tensor<f32, [s0, s1]>",
                    "%o : tensor = aten::slice.Tensor(%x, 1, 1, -1, 2)"),
                Arguments.of("%x: tensor<f32, [s0, s1]>",
                    "%n : int = aten::sym_size.int(%x, 1)\n  %o : tensor = aten::slice.Tensor(%x, 0, 1, %n, 1)"),
                Arguments.of("%x: tensor<f32, [s0, 4]>, %y: tensor<f32, [s1, 4]>",
                    "%o : tensor = aten::cat([%x, %y, %x], 0)"),
                Arguments.of("%x: tensor<f32, [s0, s1]>",
                    "%n : int = aten::sym_size.int(%x, 1)\n  %o : tensor = aten::arange.start_step(1, %n, 3, none, none, none, none)"),
                Arguments.of("%x: tensor<f32, [s0, s1]>",
                    "%o : tensor = aten::constant_pad_nd(%x, [2, -1, 1, 1], 0)"),
                Arguments.of("%x: tensor<f32, [s0, 1]>, %y: tensor<f32, [1, s1]>",
                    "%o : tensor = aten::add.Tensor(%x, %y, 1)"),
                Arguments.of("%x: tensor<f32, [s0, s1, 4]>",
                    "%o : tensor = aten::flatten.using_ints(%x, 0, 1)"),
                Arguments.of("%x: tensor<f32, [s0, s1]>, %w: tensor<f32, [5, 3]>",
                    "%n : int = aten::sym_size.int(%x, 0)\n  %z : tensor = aten::zeros([%n, 3], none, none, none, none)\n  %o : tensor = aten::matmul(%z, %w.t)"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void symbolicShapeEvaluatesToLibtorchsSizes(String params, String nodes) {
        String body = nodes.replace("%w.t", "%wt");
        if (nodes.contains("%w.t")) {
            body = "%wt : tensor = aten::t(%w)\n  " + body;
        }
        Graph g = parse(params, body);
        ShapeInference.Result r = ShapeInference.standard().infer(g, true);
        assertThat(r.notes()).isEmpty();
        TensorType out = g.value("o").orElseThrow().tensorType();
        assertThat(out.isComplete()).as(out.text()).isTrue();
        for (long[] b : new long[][] {{4, 5}, {9, 4}, {16, 17}, {7, 30}}) {
            Map<String, Long> binding = Map.of("s0", b[0], "s1", b[1]);
            List<ConstantTensor> inputs = new ArrayList<>();
            for (Value v : g.inputs()) {
                inputs.add(ones(v.tensorType().elementType(), v.tensorType().shape().evaluate(binding)));
            }
            Graph run = parse(params, body);
            run.setOutputs(List.of(run.value("o").orElseThrow()));
            long[] actual = GraphEvaluator.run(run, inputs).get(0).sizes();
            assertThat(out.shape().evaluate(binding)).as("%s at %s", out.text(), binding).isEqualTo(actual);
        }
    }

    /** The case's graph (symbols s0 in [1, 64], s1 in [2, inf]) returning %o. */
    private static Graph parse(String params, String body) {
        return ShapeTestSupport.parse(params, "  " + body + "\n  return %o\n");
    }

    private static ConstantTensor ones(DType d, long[] sizes) {
        ByteBuffer b = ConstantTensor.allocate(d, sizes);
        long n = Arrays.stream(sizes).reduce(1, (x, y) -> x * y);
        for (long i = 0; i < n; i++) {
            ElementCodec.put(d, b, i, 1.0);
        }
        return new ConstantTensor(d, sizes, b);
    }
}
