package dev.kiln.passes.shapes;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.schema.SchemaType;
import dev.kiln.passes.eval.TorchEval;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the shape rules against libtorch 2.5.1 itself: each case runs one op on the CPU on tensors
 * of ones and compares the dtype and sizes libtorch returns with what propagation computed. This
 * catches rules that are plausible but not what PyTorch does.
 */
class RulesAgreeWithLibtorchTest {

    static Stream<String> cases() {
        return Stream.of(
                // elementwise and promotion
                "%x: tensor<f32, [2, 3]> | aten::relu(%x)",
                "%x: tensor<i32, [2, 3]> | aten::sqrt(%x)",
                "%x: tensor<bool, [2]> | aten::sigmoid(%x)",
                "%x: tensor<f32, [2, 3]> | aten::gelu(%x, \"tanh\")",
                "%x: tensor<f16, [2, 3]> | aten::hardswish(%x)",
                "%x: tensor<f32, [2, 3]> | aten::leaky_relu(%x, 0.1)",
                "%a: tensor<f32, [4, 1, 3]>, %b: tensor<f32, [5, 1]> | aten::add.Tensor(%a, %b, 1)",
                "%a: tensor<i32, [3]>, %b: tensor<f64, []> | aten::mul.Tensor(%a, %b)",
                "%a: tensor<f16, [3]>, %b: tensor<f64, []> | aten::mul.Tensor(%a, %b)",
                "%a: tensor<u8, [3]>, %b: tensor<i8, [3]> | aten::sub.Tensor(%a, %b, 1)",
                "%a: tensor<f16, [3]>, %b: tensor<bf16, [3]> | aten::add.Tensor(%a, %b, 1)",
                "%a: tensor<i64, [3]> | aten::mul.Scalar(%a, 0.5)",
                "%a: tensor<bool, [3]> | aten::add.Scalar(%a, 2, 1)",
                "%a: tensor<i64, [3]>, %b: tensor<i64, [3]> | aten::div.Tensor(%a, %b)",
                "%a: tensor<i64, [3]>, %b: tensor<i64, [3]> | aten::div.Tensor_mode(%a, %b, \"trunc\")",
                "%a: tensor<i32, [3]> | aten::div.Scalar_mode(%a, 2, \"floor\")",
                "%a: tensor<i64, [3]> | aten::pow.Tensor_Scalar(%a, 2)",
                "%a: tensor<i64, [3]> | aten::pow.Tensor_Scalar(%a, 0.5)",
                "%e: tensor<i32, [2]> | aten::pow.Scalar(2.5, %e)",
                "%a: tensor<f32, [2, 1]>, %b: tensor<i64, [3]> | aten::ge.Tensor(%a, %b)",
                "%a: tensor<i64, [3]> | aten::ne.Scalar(%a, 1.5)",
                "%a: tensor<f32, [3]>, %b: tensor<bool, [3]> | aten::logical_xor(%a, %b)",
                "%a: tensor<i32, [3]> | aten::logical_not(%a)",
                "%c: tensor<bool, [2, 1]>, %a: tensor<f16, [3]>, %b: tensor<f32, [2, 3]> | aten::where.self(%c, %a, %b)",
                "%c: tensor<bool, [2]> | aten::where.Scalar(%c, 1.0, 0)",
                "%c: tensor<bool, [2]>, %a: tensor<i32, [2]> | aten::where.ScalarOther(%c, %a, 0.5)",
                "%a: tensor<i32, [3]> | aten::clamp(%a, 0.5, none)",
                "%a: tensor<i32, [3]> | aten::clamp(%a, 0, 4)",
                "%a: tensor<f32, [2, 3]>, %m: tensor<f32, [3]> | aten::clamp.Tensor(%a, %m, none)",
                "%a: tensor<f32, [2, 3]>, %m: tensor<bool, [3]> | aten::masked_fill.Scalar(%a, %m, 0.0)",
                "%a: tensor<i64, [3]>, %b: tensor<f32, [3]> | aten::maximum(%a, %b)",
                // matrix products
                "%a: tensor<f32, [3, 4]>, %b: tensor<f32, [4, 5]> | aten::mm(%a, %b)",
                "%a: tensor<f32, [2, 3, 4]>, %b: tensor<f32, [2, 4, 5]> | aten::bmm(%a, %b)",
                "%c: tensor<f32, [5]>, %a: tensor<f32, [3, 4]>, %b: tensor<f32, [4, 5]> | aten::addmm(%c, %a, %b, 1, 1)",
                "%x: tensor<f32, [2, 3, 4]>, %w: tensor<f32, [6, 4]>, %b: tensor<f32, [6]> | aten::linear(%x, %w, %b)",
                "%x: tensor<f32, [4]>, %w: tensor<f32, [4]> | aten::linear(%x, %w, none)",
                "%a: tensor<f32, [4]>, %b: tensor<f32, [4]> | aten::matmul(%a, %b)",
                "%a: tensor<f32, [4]>, %b: tensor<f32, [3, 4, 5]> | aten::matmul(%a, %b)",
                "%a: tensor<f32, [2, 1, 3, 4]>, %b: tensor<f32, [4, 5]> | aten::matmul(%a, %b)",
                "%a: tensor<f32, [2, 1, 3, 4]>, %b: tensor<f32, [6, 4, 2]> | aten::matmul(%a, %b)",
                "%a: tensor<f32, [3, 4]>, %b: tensor<f32, [4]> | aten::matmul(%a, %b)",
                "%q: tensor<f32, [2, 4, 5, 8]>, %k: tensor<f32, [2, 4, 6, 8]>, %v: tensor<f32, [2, 4, 6, 3]> | aten::scaled_dot_product_attention(%q, %k, %v, none, 0.0, false, none, false)",
                "%q: tensor<f32, [1, 4, 5, 8]>, %k: tensor<f32, [1, 2, 6, 8]>, %v: tensor<f32, [1, 2, 6, 8]> | aten::scaled_dot_product_attention(%q, %k, %v, none, 0.0, false, none, true)",
                "%w: tensor<f32, [10, 4]>, %i: tensor<i64, [2, 3]> | aten::embedding(%w, %i, -1, false, false)",
                // convolution and pooling
                "%x: tensor<f32, [2, 3, 11, 9]>, %w: tensor<f32, [4, 3, 3, 2]> | aten::convolution(%x, %w, none, [2, 1], [1, 0], [2, 1], false, [0, 0], 1)",
                "%x: tensor<f32, [2, 4, 7, 7]>, %w: tensor<f32, [4, 2, 3, 3]> | aten::convolution(%x, %w, none, [2, 2], [1, 1], [1, 1], true, [1, 1], 2)",
                "%x: tensor<f32, [1, 2, 9]>, %w: tensor<f32, [6, 1, 4]> | aten::conv1d(%x, %w, none, [3], [2], [1], 2)",
                "%x: tensor<f32, [1, 2, 5, 6, 7]>, %w: tensor<f32, [3, 2, 2, 3, 3]> | aten::conv3d(%x, %w, none, [1, 2, 1], [0, 1, 1], [2, 1, 1], 1)",
                "%x: tensor<f32, [6, 7, 8]>, %w: tensor<f32, [3, 6, 3, 3]> | aten::conv2d(%x, %w, none, [1, 1], [1, 1], [1, 1], 1)",
                "%x: tensor<f32, [1, 2, 9, 9]>, %w: tensor<f32, [3, 2, 4, 4]> | aten::conv2d.padding(%x, %w, none, [1, 1], \"same\", [1, 1], 1)",
                "%x: tensor<f32, [1, 2, 5, 5]>, %w: tensor<f32, [2, 3, 3, 3]> | aten::conv_transpose2d.input(%x, %w, none, [2, 2], [1, 1], [0, 0], 1, [1, 1])",
                "%x: tensor<f32, [1, 2, 10, 11]> | aten::max_pool2d(%x, [3, 3], [2, 2], [1, 1], [1, 1], true)",
                "%x: tensor<f32, [1, 2, 10, 11]> | aten::max_pool2d_with_indices(%x, [2, 3], [], [0, 1], [2, 1], false)",
                "%x: tensor<f32, [1, 2, 4]> | aten::max_pool1d(%x, [2], [2], [1], [1], true)",
                "%x: tensor<f32, [2, 7, 7]> | aten::avg_pool2d(%x, [3, 3], [2, 2], [1, 1], true, false, none)",
                "%x: tensor<f32, [1, 2, 5, 6, 7]> | aten::avg_pool3d(%x, [2, 2, 2], [2, 2, 2], [0, 0, 0], true, true, none)",
                "%x: tensor<f32, [1, 2, 10, 11]> | aten::adaptive_avg_pool2d(%x, [3, 4])",
                "%x: tensor<f32, [1, 2, 10]> | aten::adaptive_avg_pool1d(%x, [3])",
                "%x: tensor<f32, [1, 3, 5, 7]> | aten::upsample_nearest2d.vec(%x, none, [2.0, 1.5])",
                "%x: tensor<f32, [1, 3, 5, 7]> | aten::upsample_bilinear2d.vec(%x, [4, 9], false, none)",
                "%x: tensor<f32, [1, 3, 5, 7]> | aten::upsample_nearest2d(%x, [10, 14], none, none)",
                "%x: tensor<f32, [2, 3, 4]> | aten::constant_pad_nd(%x, [1, 2, -1, 0], 0)",
                // norms
                "%x: tensor<f32, [2, 4, 3]>, %g: tensor<f32, [4]>, %m: tensor<f32, [4]> | aten::_native_batch_norm_legit_no_training(%x, %g, %g, %m, %g, 0.1, 1.0e-5)",
                "%x: tensor<f32, [2, 4, 3]>, %g: tensor<f32, [4]> | aten::batch_norm(%x, %g, %g, %g, %g, false, 0.1, 1.0e-5, true)",
                "%x: tensor<f32, [2, 5, 6]>, %g: tensor<f32, [5, 6]> | aten::native_layer_norm(%x, [5, 6], %g, %g, 1.0e-5)",
                "%x: tensor<f32, [2, 6, 5]> | aten::native_group_norm(%x, none, none, 2, 6, 5, 3, 1.0e-5)",
                "%x: tensor<f32, [2, 6, 5]> | aten::group_norm(%x, 3, none, none, 1.0e-5, true)",
                // reductions
                "%x: tensor<f32, [2, 3, 4]> | aten::mean.dim(%x, [-1, 0], true, none)",
                "%x: tensor<f32, [2, 3, 4]> | aten::mean.dim(%x, none, false, none)",
                "%x: tensor<i32, [2, 3, 4]> | aten::sum.dim_IntList(%x, [1], false, none)",
                "%x: tensor<bool, [2, 3]> | aten::sum(%x, none)",
                "%x: tensor<f16, [2, 3]> | aten::sum.dim_IntList(%x, [], true, dtype<f32>)",
                "%x: tensor<f32, [2, 3, 4]> | aten::amax(%x, [1, 2], false)",
                "%x: tensor<f32, [2, 3, 4]> | aten::amin(%x, [], true)",
                "%x: tensor<f32, [2, 3, 4]> | aten::max.dim(%x, -1, true)",
                "%x: tensor<i32, [2, 3, 4]> | aten::min.dim(%x, 0, false)",
                "%x: tensor<f32, [2, 3, 4]> | aten::max(%x)",
                "%a: tensor<f32, [2, 3]>, %b: tensor<f16, [3]> | aten::max.other(%a, %b)",
                "%x: tensor<f32, [2, 3, 4]> | aten::argmax(%x, 1, true)",
                "%x: tensor<f32, [2, 3, 4]> | aten::argmax(%x, none, true)",
                "%x: tensor<f32, [2, 3, 4]> | aten::argmin(%x, none, false)",
                "%x: tensor<f32, [2, 3]> | aten::any.dim(%x, 1, false)",
                "%x: tensor<f16, [2, 3]> | aten::_softmax(%x, -1, false)",
                "%x: tensor<f32, [2, 3]> | aten::softmax.int(%x, 0, dtype<f64>)",
                "%x: tensor<f32, [2, 3]> | aten::_log_softmax(%x, 1, false)",
                "%x: tensor<bool, [2, 3]> | aten::cumsum(%x, 1, none)",
                // layout
                "%x: tensor<f32, [2, 3, 4]> | aten::view(%x, [4, -1])",
                "%x: tensor<f32, [2, 3, 4]> | aten::reshape(%x, [-1])",
                "%x: tensor<f32, [2, 3, 4]> | aten::_unsafe_view(%x, [6, 4])",
                "%x: tensor<f32, [2, 3, 4]> | aten::permute(%x, [2, -3, 1])",
                "%x: tensor<f32, [2, 3, 4]> | aten::transpose.int(%x, -1, 0)",
                "%x: tensor<f32, [2, 3, 4, 5]> | aten::flatten.using_ints(%x, 1, 2)",
                "%x: tensor<f32, []> | aten::flatten.using_ints(%x, 0, -1)",
                "%x: tensor<f32, [2, 12]> | aten::unflatten.int(%x, 1, [-1, 4])",
                "%x: tensor<f32, [1, 3, 1, 2]> | aten::squeeze(%x)",
                "%x: tensor<f32, [1, 3, 1, 2]> | aten::squeeze.dim(%x, -2)",
                "%x: tensor<f32, [1, 3, 1, 2]> | aten::squeeze.dims(%x, [0, 1])",
                "%x: tensor<f32, [3, 2]> | aten::unsqueeze(%x, -1)",
                "%x: tensor<f32, [3, 1]> | aten::expand(%x, [2, -1, 4], false)",
                "%x: tensor<f32, [5, 10]> | aten::slice.Tensor(%x, 1, 2, 9223372036854775807, 3)",
                "%x: tensor<f32, [5, 10]> | aten::slice.Tensor(%x, 1, -3, -1, 1)",
                "%x: tensor<f32, [5, 10]> | aten::slice.Tensor(%x, 0, 4, 2, 1)",
                "%x: tensor<f32, [5, 10]> | aten::slice.Tensor(%x, 0, -20, 20, 2)",
                "%x: tensor<f32, [5, 10]> | aten::select.int(%x, 1, -1)",
                "%x: tensor<f32, [5, 10]> | aten::narrow(%x, 1, 2, 5)",
                "%a: tensor<f32, [2, 3]>, %b: tensor<f16, [2, 5]> | aten::cat([%a, %b], 1)",
                "%a: tensor<i32, [2, 3]>, %b: tensor<f32, [0]> | aten::cat([%a, %b], 0)",
                "%a: tensor<f32, [2, 3]>, %b: tensor<f32, [2, 3]> | aten::stack([%a, %b], 2)",
                "%x: tensor<f32, [2, 10]> | aten::split.Tensor(%x, 4, 1)",
                "%x: tensor<f32, [2, 10]> | aten::split_with_sizes(%x, [3, 7], -1)",
                "%x: tensor<f32, [5, 2]> | aten::chunk(%x, 4, 0)",
                "%x: tensor<f32, [6, 2]> | aten::chunk(%x, 4, 0)",
                "%x: tensor<f32, [3, 2]> | aten::unbind.int(%x, 0)",
                "%x: tensor<f32, [3, 4]>, %i: tensor<i64, [3, 2]> | aten::gather(%x, 1, %i, false)",
                "%x: tensor<f32, [3, 4]>, %i: tensor<i64, [5]> | aten::index_select(%x, 0, %i)",
                "%x: tensor<f32, [3, 4]> | aten::repeat(%x, [2, 1, 3])",
                "%x: tensor<f32, [3, 8, 5]> | aten::glu(%x, 1)",
                "%x: tensor<f32, [3, 8, 6]> | aten::glu(%x, -1)",
                "%x: tensor<f32, [3, 4, 5]>, %i: tensor<i64, [2, 6]> | aten::index.Tensor(%x, [none, %i])",
                "%x: tensor<f32, [3, 4, 5]>, %i: tensor<i64, [2, 1]>, %j: tensor<i64, [6]> | aten::index.Tensor(%x, [%i, none, %j])",
                "%x: tensor<f32, [3, 4, 5]>, %i: tensor<i64, [7]>, %j: tensor<i32, [7]> | aten::index.Tensor(%x, [%i, %j])",
                "%x: tensor<f32, [3, 4, 5]> | aten::topk(%x, 2, 1, true, true)",
                "%x: tensor<f32, [3, 4, 5]> | aten::sort(%x, -1, false)",
                "%x: tensor<f32, [3, 4]>, %i: tensor<i64, [3, 2]> | aten::scatter.value(%x, 1, %i, 2.0)",
                "%x: tensor<f32, [3, 4]> | aten::relu_(%x)",
                "%x: tensor<f32, [3, 4]>, %y: tensor<f32, [4]> | aten::add_.Tensor(%x, %y, 1)",
                "%x: tensor<f32, [3, 4]> | aten::to.dtype(%x, dtype<f16>, false, false, none)",
                "%x: tensor<f32, [3, 4]> | aten::_to_copy(%x, dtype<i64>, none, none, none, false, none)",
                "%x: tensor<f32, [3, 4]> | aten::clone(%x, none)",
                "%x: tensor<f32, [3, 4]> | aten::dropout(%x, 0.5, false)",
                // ops that only decompositions take to TensorRT
                "%x: tensor<f32, [2, 3, 4]> | aten::movedim.int(%x, 0, -1)",
                "%x: tensor<f32, [2, 3, 4]> | aten::movedim.intlist(%x, [0, 2], [1, 0])",
                "%x: tensor<f32, [2, 3, 4]> | aten::moveaxis.intlist(%x, [-1], [0])",
                "%x: tensor<f32, [2, 3, 4]> | aten::swapdims(%x, 0, 2)",
                "%x: tensor<f32, [2, 3, 4]> | aten::narrow_copy(%x, 2, 1, 2)",
                "%x: tensor<f32, [2, 7, 4]> | aten::unfold(%x, 1, 3, 2)",
                "%x: tensor<f32, [5]> | aten::unfold(%x, 0, 2, 3)",
                "%x: tensor<f32, [2, 6, 4]> | aten::channel_shuffle(%x, 3)",
                "%x: tensor<f32, [2, 6, 4]>, %y: tensor<f32, [2, 2, 4]> | aten::slice_scatter(%x, %y, 1, 1, 5, 2)",
                "%x: tensor<f16, [2, 6, 4]>, %y: tensor<f16, [2, 4]> | aten::select_scatter(%x, %y, 1, 3)",
                "%x: tensor<i32, [3]>, %y: tensor<i64, [3]> | aten::clip.Tensor(%x, %y, none)",
                "%a: tensor<bool, [3, 1]>, %b: tensor<bool, [4]> | aten::__and__.Tensor(%a, %b)",
                "%a: tensor<i32, [3]>, %b: tensor<i64, [3]> | aten::__xor__.Tensor(%a, %b)",
                "%x: tensor<f32, [3, 4]> | aten::rrelu(%x, 0.125, 0.3, false, none)",
                "%x: tensor<f16, [3, 4]> | aten::feature_alpha_dropout(%x, 0.5, false)",
                "%x: tensor<i64, [2, 3]> | aten::one_hot(%x, 4)",
                "%a: tensor<i64, [2, 5]>, %b: tensor<f16, [5]> | aten::cosine_similarity(%a, %b, -1, 1.0e-8)",
                "%a: tensor<f32, [2, 3, 5]>, %b: tensor<f32, [2, 3, 5]> | aten::cosine_similarity(%a, %b, 1, 1.0e-8)",
                // creation
                "%x: tensor<f16, [3, 4]> | aten::full_like(%x, 2, none, none, none, none, none)",
                "%x: tensor<f16, [3, 4]> | aten::zeros_like(%x, dtype<i32>, none, none, none, none)",
                "| aten::arange.start_step(0, 1.0, 0.3, none, none, none, none)",
                "| aten::arange.start_step(2, 11, 3, none, none, none, none)",
                "| aten::arange(5, dtype<f16>, none, none, none)",
                "| aten::full([2, 3], 7, none, none, none, none)",
                "| aten::full([2, 3], false, none, none, none, none)",
                "| aten::ones([4], none, none, none, none)",
                "| aten::scalar_tensor(3, none, none, none, none)");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void propagationMatchesLibtorch(String c) {
        String[] parts = c.split("\\|", 2);
        String params = parts[0].trim();
        String call = parts[1].trim();
        String op = call.substring(0, call.indexOf('('));
        OpSchema schema = SchemaRegistry.standard().get(op);
        boolean list = schema.returns().size() == 1 && schema.returns().get(0).type() instanceof SchemaType.ListOf;
        int n = list ? 1 : schema.returns().size();
        StringBuilder lhs = new StringBuilder();
        for (int i = 0; i < n; i++) {
            lhs.append(i == 0 ? "" : ", ").append("%o").append(i).append(list ? " : list<tensor>" : " : tensor");
        }
        Graph g = ShapeTestSupport.parse(params, "  " + lhs + " = " + call + "\n  return %o0\n");
        ShapeInference.Result r = ShapeInference.standard().infer(g, true);
        assertThat(r.notes()).isEmpty();
        Node node = g.nodes().get(0);
        List<Type> inferred = list ? r.listElements().get(node.output()) : types(node);

        List<String> actual = new ArrayList<>();
        Map<Value, ConstantTensor> inputs = new HashMap<>();
        for (Value v : g.inputs()) {
            inputs.put(v, ones(v.tensorType()));
        }
        try (PointerScope scope = new PointerScope()) {
            List<IValue> outs = TorchEval.call(node, v -> new IValue(TorchEval.toTorch(inputs.get(v))));
            for (IValue o : outs) {
                if (o.isTensorList()) {
                    TensorVector tv = o.toTensorVector();
                    for (long i = 0; i < tv.size(); i++) {
                        actual.add(TorchEval.toConstant(tv.get(i)).type().text());
                    }
                } else {
                    actual.add(TorchEval.toConstant(o.toTensor()).type().text());
                }
            }
        }
        List<String> got = new ArrayList<>();
        for (Type t : inferred) {
            got.add(t.text());
        }
        assertThat(got).as(c).isEqualTo(actual);
    }

    private static List<Type> types(Node n) {
        List<Type> out = new ArrayList<>();
        for (Value v : n.outputs()) {
            out.add(v.type() instanceof ListType l ? l.element() : v.type());
        }
        return out;
    }

    private static ConstantTensor ones(TensorType t) {
        long[] sizes = t.shape().staticSizes().orElseThrow();
        DType d = t.elementType();
        ByteBuffer b = ConstantTensor.allocate(d, sizes);
        long count = 1;
        for (long s : sizes) {
            count *= s;
        }
        for (long i = 0; i < count; i++) {
            ElementCodec.put(d, b, i, 1.0);
        }
        return new ConstantTensor(d, sizes, b);
    }
}
