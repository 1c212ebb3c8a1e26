package dev.kiln.passes.shapes;

import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import static dev.kiln.passes.shapes.ShapeTestSupport.typeOf;
import static dev.kiln.passes.shapes.ShapeTestSupport.typesOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NormReductionRulesTest {
    static final String BN = "%x: tensor<f32, [s0, 4, 8, 8]>, %w: tensor<f32, [4]>, %b: tensor<f32, [4]>, %m: tensor<f32, [4]>, %v: tensor<f32, [4]>";

    @Test
    void batchNormVariants() {
        assertThat(typeOf(BN, "aten::batch_norm(%x, %w, %b, %m, %v, false, 0.1, 1.0e-5, true)")).isEqualTo("tensor<f32, [s0, 4, 8, 8]>");
        assertThat(typesOf(BN, 3, "aten::_native_batch_norm_legit_no_training(%x, %w, %b, %m, %v, 0.1, 1.0e-5)"))
                .containsExactly("tensor<f32, [s0, 4, 8, 8]>", "tensor<f32, [0]>", "tensor<f32, [0]>");
        assertThat(typesOf(BN, 3, "aten::native_batch_norm(%x, %w, %b, %m, %v, true, 0.1, 1.0e-5)"))
                .containsExactly("tensor<f32, [s0, 4, 8, 8]>", "tensor<f32, [4]>", "tensor<f32, [4]>");
        assertThatThrownBy(() -> typeOf(BN.replace("%w: tensor<f32, [4]>", "%w: tensor<f32, [5]>"),
                "aten::batch_norm(%x, %w, %b, %m, %v, false, 0.1, 1.0e-5, true)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("channels");
    }

    @Test
    void layerNormAndGroupNorm() {
        String x = "%x: tensor<f32, [s0, 10, 64]>, %w: tensor<f32, [64]>, %b: tensor<f32, [64]>";
        assertThat(typeOf(x, "aten::layer_norm(%x, [64], %w, %b, 1.0e-5, true)")).isEqualTo("tensor<f32, [s0, 10, 64]>");
        assertThat(typesOf(x, 3, "aten::native_layer_norm(%x, [64], %w, %b, 1.0e-5)"))
                .containsExactly("tensor<f32, [s0, 10, 64]>", "tensor<f32, [s0, 10, 1]>", "tensor<f32, [s0, 10, 1]>");
        assertThatThrownBy(() -> typeOf(x, "aten::layer_norm(%x, [32], none, none, 1.0e-5, true)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("normalized_shape");
        assertThat(typeOf("%x: tensor<f32, [2, 8, 5]>", "aten::group_norm(%x, 4, none, none, 1.0e-5, true)")).isEqualTo("tensor<f32, [2, 8, 5]>");
        assertThat(typesOf("%x: tensor<f32, [2, 8, 5]>", 3, "aten::native_group_norm(%x, none, none, 2, 8, 5, 4, 1.0e-5)"))
                .containsExactly("tensor<f32, [2, 8, 5]>", "tensor<f32, [2, 4]>", "tensor<f32, [2, 4]>");
    }

    @Test
    void reductionsWithNegativeDimsAndKeepdim() {
        String x = "%x: tensor<f32, [s0, 3, 5]>";
        assertThat(typeOf(x, "aten::mean.dim(%x, [-1], true, none)")).isEqualTo("tensor<f32, [s0, 3, 1]>");
        assertThat(typeOf(x, "aten::mean.dim(%x, [-1, -2], false, none)")).isEqualTo("tensor<f32, [s0]>");
        assertThat(typeOf(x, "aten::mean.dim(%x, none, false, none)")).isEqualTo("tensor<f32, []>");
        assertThat(typeOf(x, "aten::sum.dim_IntList(%x, [1], false, dtype<f64>)")).isEqualTo("tensor<f64, [s0, 5]>");
        assertThat(typeOf("%i: tensor<bool, [4, 2]>", "aten::sum.dim_IntList(%i, [0], false, none)")).isEqualTo("tensor<i64, [2]>");
        assertThat(typeOf("%i: tensor<i32, [4, 2]>", "aten::sum(%i, none)")).isEqualTo("tensor<i64, []>");
        assertThat(typeOf(x, "aten::amax(%x, [], true)")).isEqualTo("tensor<f32, [1, 1, 1]>");
        assertThat(typeOf(x, "aten::amin(%x, [0, 2], false)")).isEqualTo("tensor<f32, [3]>");
        assertThat(typesOf(x, 2, "aten::max.dim(%x, -2, true)")).containsExactly("tensor<f32, [s0, 1, 5]>", "tensor<i64, [s0, 1, 5]>");
        assertThat(typesOf(x, 2, "aten::min.dim(%x, 0, false)")).containsExactly("tensor<f32, [3, 5]>", "tensor<i64, [3, 5]>");
        assertThat(typeOf(x, "aten::argmax(%x, 1, false)")).isEqualTo("tensor<i64, [s0, 5]>");
        assertThat(typeOf(x, "aten::argmax(%x, none, false)")).isEqualTo("tensor<i64, []>");
        assertThat(typeOf(x, "aten::max(%x)")).isEqualTo("tensor<f32, []>");
        assertThat(typeOf(x, "aten::any.dim(%x, 1, false)")).isEqualTo("tensor<bool, [s0, 5]>");
        assertThatThrownBy(() -> typeOf(x, "aten::mean.dim(%x, [3], false, none)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("dimension 3 is out of range");
        assertThatThrownBy(() -> typeOf("%i: tensor<i64, [2]>", "aten::mean.dim(%i, [0], false, none)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("floating-point");
    }

    @Test
    void softmaxFamilyAndCumsum() {
        assertThat(typeOf("%x: tensor<f16, [2, 5]>", "aten::softmax.int(%x, -1, dtype<f32>)")).isEqualTo("tensor<f32, [2, 5]>");
        assertThat(typeOf("%x: tensor<f16, [2, 5]>", "aten::_softmax(%x, -1, true)")).isEqualTo("tensor<f32, [2, 5]>");
        assertThat(typeOf("%x: tensor<f32, [2, 5]>", "aten::_log_softmax(%x, 1, false)")).isEqualTo("tensor<f32, [2, 5]>");
        assertThat(typeOf("%x: tensor<f32, [2, 5]>", "aten::log_softmax.int(%x, 0, none)")).isEqualTo("tensor<f32, [2, 5]>");
        assertThat(typeOf("%x: tensor<i32, [2, 5]>", "aten::cumsum(%x, 1, none)")).isEqualTo("tensor<i64, [2, 5]>");
        assertThatThrownBy(() -> typeOf("%x: tensor<f32, [2, 5]>", "aten::softmax.int(%x, 2, none)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("out of range");
    }
}
