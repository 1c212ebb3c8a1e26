package dev.kiln.passes.shapes;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShapeInferenceTest {

    @Test
    void anOpWithoutARuleStaysUnknownAndIsNoted() {
        Graph g = ShapeTestSupport.parse("%x: tensor<f32, [2, 3]>",
                "  %f : tensor = aten::fft_fft(%x, none, -1, none)\n"
                + "  %r : tensor = aten::relu(%f)\n"
                + "  return %r\n");
        PassContext ctx = PassContext.defaults();
        new PropagateShapes().run(g, ctx);
        assertThat(g.value("f").orElseThrow().type()).isEqualTo(TensorType.unknown());
        assertThat(g.value("r").orElseThrow().type()).isEqualTo(TensorType.unknown());
        // one note, for the root cause only
        assertThat(ctx.diagnostics()).singleElement().asString()
                .contains("node f (aten::fft_fft)").contains("no shape rule for aten::fft_fft");
    }

    @Test
    void unknownInputsAreNotedOnceAndDownstreamStaysUnknownQuietly() {
        java.util.List<String> notes = ShapeTestSupport.notes("%x: tensor", "  %r : tensor = aten::relu(%x)\n  %s : tensor = aten::relu(%r)\n  return %s\n");
        assertThat(notes).singleElement().asString().contains("input %x has type tensor");
    }

    @Test
    void runReportsChangeOnlyWhenATypeChanged() {
        Graph g = ShapeTestSupport.parse("%x: tensor<f32, [s0, 3]>", "  %r : tensor = aten::relu(%x)\n  return %r\n");
        PropagateShapes pass = new PropagateShapes();
        assertThat(pass.run(g, PassContext.defaults())).isTrue();
        assertThat(pass.run(g, PassContext.defaults())).isFalse();
        assertThat(g.value("r").orElseThrow().type().text()).isEqualTo("tensor<f32, [s0, 3]>");
    }

    @Test
    void existingTypesMustAgree() {
        String body = "  %r : tensor<f32, [2, 4]> = aten::relu(%x)\n  return %r\n";
        assertThatThrownBy(() -> new PropagateShapes().run(ShapeTestSupport.parse("%x: tensor<f32, [2, 3]>", body), PassContext.defaults()))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("node r (aten::relu)")
                .hasMessageContaining("recorded as tensor<f32, [2, 4]> but its inputs give tensor<f32, [2, 3]>");
        // with the check off, the computed type wins
        Graph g = ShapeTestSupport.parse("%x: tensor<f32, [2, 3]>", body);
        PassContext ctx = PassContext.builder().options(new PassOptions().set("propagate-shapes.check-existing", "false")).build();
        new PropagateShapes().run(g, ctx);
        assertThat(g.value("r").orElseThrow().type().text()).isEqualTo("tensor<f32, [2, 3]>");
    }

    @Test
    void sizesThatOnlyPrintDifferentlyKeepTheFrontendsForm() {
        // (s0 + 1) - 1 and s0 are the same size: no error, and the recorded form stays
        Graph g = ShapeTestSupport.parse("%x: tensor<f32, [s0, 3]>", "  %r : tensor<f32, [(s0 + 1) - 1, 3]> = aten::relu(%x)\n  return %r\n");
        Value r = g.value("r").orElseThrow();
        TensorType before = r.tensorType();
        new PropagateShapes().run(g, PassContext.defaults());
        assertThat(r.type()).isEqualTo(before);
    }

    @Test
    void symbolicIntsAreLeftInTheContext() {
        Graph g = ShapeTestSupport.parse("%x: tensor<f32, [s0, 3]>",
                "  %n : int = aten::sym_size.int(%x, 0)\n  %v : tensor = aten::view(%x, [%n, 3])\n  return %v\n");
        PassContext ctx = PassContext.defaults();
        new PropagateShapes().run(g, ctx);
        assertThat(ctx.get(SymbolicInts.class).of(g.value("n").orElseThrow()).orElseThrow().toString()).isEqualTo("s0");
    }

    @Test
    void customRulesExtendTheStandardSet() {
        SchemaRegistry reg = new SchemaRegistry();
        SchemaRegistry.standard().all().forEach(reg::register);
        reg.register("mylib::double_rows(Tensor self) -> Tensor");
        Graph g = dev.kiln.ir.text.IrParser.parse("graph @t(%x: tensor<f32, [s0, 3]>) {\n" + ShapeTestSupport.SYMBOLS
                + "  %d : tensor = mylib::double_rows(%x)\n  return %d\n}\n", "t.kir", reg);
        ShapeInference custom = ShapeInference.standard().withRule("mylib::double_rows", c -> {
            TensorType t = c.tensor("self");
            return List.of(InferenceContext.tensorType(t.elementType(),
                    List.of(dev.kiln.ir.SymExpr.mul(dev.kiln.ir.SymExpr.of(2), t.shape().dim(0)), t.shape().dim(1))));
        });
        assertThat(ShapeInference.standard().hasRule("mylib::double_rows")).isFalse();
        custom.infer(g, true);
        assertThat(g.value("d").orElseThrow().type()).isEqualTo(new TensorType(DType.FLOAT32,
                Shape.of(dev.kiln.ir.SymExpr.mul(dev.kiln.ir.SymExpr.of(2), dev.kiln.ir.SymExpr.of(g.symbol("s0").orElseThrow())), dev.kiln.ir.SymExpr.of(3))));
    }

    @Test
    void thePassIsFoundByServiceLoader() {
        List<String> names = ServiceLoader.load(Pass.class).stream().map(p -> p.get().name()).toList();
        assertThat(names).contains("propagate-shapes");
    }

    @Test
    void everyRuleNamesARealSchemaAndTheConverterSetIsCovered() {
        TreeSet<String> unknown = new TreeSet<>();
        for (String op : ShapeInference.standard().ops()) {
            if (op.startsWith("aten::") && SchemaRegistry.standard().find(base(op), overload(op)).isEmpty()) {
                unknown.add(op);
            }
        }
        assertThat(unknown).as("rules for ops libtorch 2.5.1 does not have").isEmpty();
        for (String op : CONVERTER_SET) {
            assertThat(ShapeInference.standard().hasRule(op)).as(op).isTrue();
        }
    }

    private static String base(String op) {
        int dot = op.indexOf('.', op.indexOf("::"));
        return dot < 0 ? op : op.substring(0, dot);
    }

    private static String overload(String op) {
        int dot = op.indexOf('.', op.indexOf("::"));
        return dot < 0 ? "" : op.substring(dot + 1);
    }

    /** The overloads the converter set of the backend issue names, in training-IR and core-ATen forms. */
    static final List<String> CONVERTER_SET = List.of(
            "aten::convolution", "aten::conv1d", "aten::conv2d", "aten::conv3d", "aten::conv_transpose1d",
            "aten::conv_transpose2d.input", "aten::conv_transpose3d.input", "aten::conv2d.padding",
            "aten::batch_norm", "aten::_native_batch_norm_legit_no_training", "aten::_native_batch_norm_legit",
            "aten::native_batch_norm", "aten::layer_norm", "aten::native_layer_norm", "aten::group_norm",
            "aten::native_group_norm", "aten::linear", "aten::addmm", "aten::mm", "aten::bmm", "aten::matmul",
            "aten::relu", "aten::gelu", "aten::silu", "aten::sigmoid", "aten::tanh", "aten::hardswish",
            "aten::hardsigmoid", "aten::leaky_relu", "aten::elu", "aten::clamp", "aten::clamp.Tensor",
            "aten::softmax.int", "aten::_softmax", "aten::log_softmax.int", "aten::_log_softmax",
            "aten::scaled_dot_product_attention", "aten::add.Tensor", "aten::add.Scalar", "aten::sub.Tensor",
            "aten::sub.Scalar", "aten::mul.Tensor", "aten::mul.Scalar", "aten::div.Tensor", "aten::div.Scalar",
            "aten::div.Tensor_mode", "aten::div.Scalar_mode", "aten::pow.Tensor_Tensor", "aten::pow.Tensor_Scalar",
            "aten::pow.Scalar", "aten::sqrt", "aten::rsqrt", "aten::exp", "aten::log", "aten::neg", "aten::abs",
            "aten::eq.Tensor", "aten::eq.Scalar", "aten::ne.Tensor", "aten::ne.Scalar", "aten::lt.Tensor",
            "aten::lt.Scalar", "aten::le.Tensor", "aten::le.Scalar", "aten::gt.Tensor", "aten::gt.Scalar",
            "aten::ge.Tensor", "aten::ge.Scalar", "aten::logical_and", "aten::logical_or", "aten::logical_xor",
            "aten::logical_not", "aten::where.self", "aten::where.ScalarSelf", "aten::where.ScalarOther",
            "aten::where.Scalar", "aten::mean.dim", "aten::mean", "aten::sum.dim_IntList", "aten::sum",
            "aten::amax", "aten::amin", "aten::max.dim", "aten::min.dim", "aten::max", "aten::min",
            "aten::argmax", "aten::argmin", "aten::max_pool1d", "aten::max_pool2d", "aten::max_pool3d",
            "aten::max_pool2d_with_indices", "aten::max_pool3d_with_indices", "aten::avg_pool1d",
            "aten::avg_pool2d", "aten::avg_pool3d", "aten::adaptive_avg_pool1d", "aten::adaptive_avg_pool2d",
            "aten::adaptive_avg_pool3d", "aten::_adaptive_avg_pool2d", "aten::view", "aten::reshape",
            "aten::_unsafe_view", "aten::permute", "aten::transpose.int", "aten::flatten.using_ints",
            "aten::squeeze", "aten::squeeze.dim", "aten::squeeze.dims", "aten::unsqueeze", "aten::expand",
            "aten::slice.Tensor", "aten::select.int", "aten::cat", "aten::split.Tensor", "aten::split_with_sizes",
            "aten::chunk", "aten::stack", "aten::embedding", "aten::gather", "aten::index_select", "aten::arange",
            "aten::arange.start", "aten::arange.start_step", "aten::full", "aten::zeros", "aten::ones",
            "aten::full_like", "aten::zeros_like", "aten::ones_like", "aten::upsample_nearest2d",
            "aten::upsample_nearest2d.vec", "aten::upsample_bilinear2d", "aten::upsample_bilinear2d.vec",
            "aten::constant_pad_nd", "aten::pad", "aten::cumsum", "aten::to.dtype", "aten::to.dtype_layout",
            "aten::_to_copy", "aten::clone", "aten::contiguous", "aten::detach", "aten::alias", "aten::dropout",
            "aten::sym_size.int", "aten::sym_numel", "aten::any.dim", "aten::expand_as");
}
