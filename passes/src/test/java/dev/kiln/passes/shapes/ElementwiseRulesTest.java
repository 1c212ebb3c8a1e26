package dev.kiln.passes.shapes;

import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import static dev.kiln.passes.shapes.ShapeTestSupport.typeOf;
import static dev.kiln.passes.shapes.ShapeTestSupport.typesOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ElementwiseRulesTest {
    static final String X = "%x: tensor<f32, [s0, 3, 4]>";

    @Test
    void unaryActivationsKeepTheType() {
        for (String call : new String[] {"aten::relu(%x)", "aten::gelu(%x, \"tanh\")", "aten::silu(%x)",
            "aten::hardswish(%x)", "aten::hardsigmoid(%x)", "aten::leaky_relu(%x, 0.2)", "aten::elu(%x, 1.0, 1, 1)",
            "aten::neg(%x)", "aten::abs(%x)", "aten::clone(%x, none)", "aten::detach(%x)", "aten::alias(%x)",
            "aten::dropout(%x, 0.5, false)", "aten::contiguous(%x, memory_format<contiguous_format>)"}) {
            assertThat(typeOf(X, call)).as(call).isEqualTo("tensor<f32, [s0, 3, 4]>");
        }
    }

    @Test
    void floatingOpsTurnIntegersIntoTheDefaultFloat() {
        assertThat(typeOf("%i: tensor<i64, [2]>", "aten::sqrt(%i)")).isEqualTo("tensor<f32, [2]>");
        assertThat(typeOf("%i: tensor<bool, [2]>", "aten::exp(%i)")).isEqualTo("tensor<f32, [2]>");
        assertThat(typeOf("%h: tensor<f16, [2]>", "aten::rsqrt(%h)")).isEqualTo("tensor<f16, [2]>");
        assertThat(typeOf("%i: tensor<i32, [2]>", "aten::neg(%i)")).isEqualTo("tensor<i32, [2]>");
        assertThat(typeOf("%i: tensor<i32, [2]>", "aten::sigmoid(%i)")).isEqualTo("tensor<f32, [2]>");
    }

    @Test
    void binaryOpsBroadcast() {
        assertThat(typeOf("%a: tensor<f32, [s0, 1, 4]>, %b: tensor<f32, [3, 1]>", "aten::add.Tensor(%a, %b, 1)"))
                .isEqualTo("tensor<f32, [s0, 3, 4]>");
        assertThat(typeOf("%a: tensor<f32, [s0, 3]>, %b: tensor<f32, [1]>", "aten::mul.Tensor(%a, %b)"))
                .isEqualTo("tensor<f32, [s0, 3]>");
        // a symbolic size against a constant takes the constant
        assertThat(typeOf("%a: tensor<f32, [s0, 3]>, %b: tensor<f32, [5, 3]>", "aten::sub.Tensor(%a, %b, 1)"))
                .isEqualTo("tensor<f32, [5, 3]>");
        assertThat(typeOf("%a: tensor<f32, [s0]>, %b: tensor<f32, [s1]>", "aten::add.Tensor(%a, %b, 1)"))
                .isEqualTo("tensor<f32, [max(s0, s1)]>");
    }

    @Test
    void incompatibleBroadcastNamesTheNode() {
        assertThatThrownBy(() -> typeOf("%a: tensor<f32, [2, 3]>, %b: tensor<f32, [4]>", "aten::add.Tensor(%a, %b, 1)"))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("node out (aten::add.Tensor)")
                .hasMessageContaining("[2, 3] and [4] cannot be broadcast");
    }

    @Test
    void typePromotionWithNumbersAndZeroDimTensors() {
        // a Python float promotes an int tensor to the default float, but not a half tensor
        assertThat(typeOf("%i: tensor<i64, [2]>", "aten::mul.Tensor(%i, 0.5)")).isEqualTo("tensor<f32, [2]>");
        assertThat(typeOf("%h: tensor<f16, [2]>", "aten::mul.Scalar(%h, 0.5)")).isEqualTo("tensor<f16, [2]>");
        assertThat(typeOf("%i: tensor<i32, [2]>", "aten::add.Scalar(%i, 3, 1)")).isEqualTo("tensor<i32, [2]>");
        assertThat(typeOf("%b: tensor<bool, [2]>", "aten::add.Scalar(%b, 3, 1)")).isEqualTo("tensor<i64, [2]>");
        // a 0-d tensor of the same category does not win; of a higher category it does
        assertThat(typeOf("%h: tensor<f16, [2]>, %z: tensor<f64, []>", "aten::add.Tensor(%h, %z, 1)")).isEqualTo("tensor<f16, [2]>");
        assertThat(typeOf("%i: tensor<i32, [2]>, %z: tensor<f64, []>", "aten::add.Tensor(%i, %z, 1)")).isEqualTo("tensor<f64, [2]>");
        assertThat(typeOf("%a: tensor<f16, [2]>, %b: tensor<bf16, [2]>", "aten::add.Tensor(%a, %b, 1)")).isEqualTo("tensor<f32, [2]>");
        assertThat(typeOf("%a: tensor<u8, [2]>, %b: tensor<i8, [2]>", "aten::add.Tensor(%a, %b, 1)")).isEqualTo("tensor<i16, [2]>");
        // two 0-d tensors give a 0-d result
        assertThat(typeOf("%a: tensor<i64, []>, %b: tensor<f32, []>", "aten::mul.Tensor(%a, %b)")).isEqualTo("tensor<f32, []>");
    }

    @Test
    void divisionAndRoundingModes() {
        assertThat(typeOf("%i: tensor<i64, [2]>, %j: tensor<i64, [2]>", "aten::div.Tensor(%i, %j)")).isEqualTo("tensor<f32, [2]>");
        assertThat(typeOf("%i: tensor<i64, [2]>, %j: tensor<i64, [2]>", "aten::div.Tensor_mode(%i, %j, \"floor\")")).isEqualTo("tensor<i64, [2]>");
        assertThat(typeOf("%i: tensor<i64, [2]>, %j: tensor<i64, [2]>", "aten::div.Tensor_mode(%i, %j, none)")).isEqualTo("tensor<f32, [2]>");
        assertThat(typeOf("%i: tensor<i32, [2]>", "aten::div.Scalar_mode(%i, 2, \"trunc\")")).isEqualTo("tensor<i32, [2]>");
        assertThat(typeOf("%x: tensor<f16, [2]>", "aten::div.Scalar(%x, 8)")).isEqualTo("tensor<f16, [2]>");
    }

    @Test
    void powPromotes() {
        assertThat(typeOf("%i: tensor<i64, [2]>", "aten::pow.Tensor_Scalar(%i, 2)")).isEqualTo("tensor<i64, [2]>");
        assertThat(typeOf("%i: tensor<i64, [2]>", "aten::pow.Tensor_Scalar(%i, 0.5)")).isEqualTo("tensor<f32, [2]>");
        assertThat(typeOf("%e: tensor<f16, [3, 1]>", "aten::pow.Scalar(2.0, %e)")).isEqualTo("tensor<f16, [3, 1]>");
        assertThat(typeOf("%a: tensor<f32, [3, 1]>, %b: tensor<f32, [4]>", "aten::pow.Tensor_Tensor(%a, %b)")).isEqualTo("tensor<f32, [3, 4]>");
    }

    @Test
    void comparisonsAndLogicalOpsGiveBool() {
        assertThat(typeOf("%a: tensor<f32, [2, 1]>, %b: tensor<f32, [3]>", "aten::lt.Tensor(%a, %b)")).isEqualTo("tensor<bool, [2, 3]>");
        assertThat(typeOf("%a: tensor<i64, [s0]>", "aten::eq.Scalar(%a, 0)")).isEqualTo("tensor<bool, [s0]>");
        assertThat(typeOf("%a: tensor<f32, [2]>, %b: tensor<i64, [2]>", "aten::logical_and(%a, %b)")).isEqualTo("tensor<bool, [2]>");
        assertThat(typeOf("%a: tensor<f32, [2]>", "aten::logical_not(%a)")).isEqualTo("tensor<bool, [2]>");
    }

    @Test
    void whereBroadcastsAllThreeAndPromotes() {
        assertThat(typeOf("%c: tensor<bool, [s0, 1]>, %a: tensor<f16, [4]>, %b: tensor<f32, [1, 4]>", "aten::where.self(%c, %a, %b)"))
                .isEqualTo("tensor<f32, [s0, 4]>");
        assertThat(typeOf("%c: tensor<bool, [2]>, %a: tensor<f16, [2]>", "aten::where.ScalarOther(%c, %a, 0.0)")).isEqualTo("tensor<f16, [2]>");
        assertThat(typeOf("%c: tensor<bool, [2]>", "aten::where.Scalar(%c, 1.0, 0)")).isEqualTo("tensor<f32, [2]>");
        assertThat(typeOf("%c: tensor<bool, [2]>", "aten::where.Scalar(%c, 1, 0)")).isEqualTo("tensor<i64, [2]>");
    }

    @Test
    void clampPromotesIntegersWithFloatBounds() {
        assertThat(typeOf("%i: tensor<i32, [2]>", "aten::clamp(%i, 0.5, none)")).isEqualTo("tensor<f32, [2]>");
        assertThat(typeOf("%i: tensor<i32, [2]>", "aten::clamp(%i, 0, 6)")).isEqualTo("tensor<i32, [2]>");
        assertThat(typeOf("%h: tensor<f16, [2]>", "aten::clamp(%h, -1.0, 1.0)")).isEqualTo("tensor<f16, [2]>");
        assertThat(typeOf("%x: tensor<f32, [2, 3]>, %m: tensor<f32, [3]>", "aten::clamp.Tensor(%x, %m, none)")).isEqualTo("tensor<f32, [2, 3]>");
    }

    @Test
    void maskedFillAndNativeDropout() {
        assertThat(typeOf("%x: tensor<f32, [2, 3]>, %m: tensor<bool, [3]>", "aten::masked_fill.Scalar(%x, %m, -inf)")).isEqualTo("tensor<f32, [2, 3]>");
        assertThat(typesOf("%x: tensor<f16, [2]>", 2, "aten::native_dropout(%x, 0.1, false)"))
                .containsExactly("tensor<f16, [2]>", "tensor<bool, [2]>");
    }
}
