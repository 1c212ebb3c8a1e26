package dev.kiln.passes.shapes;

import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import static dev.kiln.passes.shapes.ShapeTestSupport.canon;
import static dev.kiln.passes.shapes.ShapeTestSupport.typeOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinearAlgebraRulesTest {

    @Test
    void mmBmmAddmm() {
        assertThat(typeOf("%a: tensor<f32, [s0, 4]>, %b: tensor<f32, [4, 7]>", "aten::mm(%a, %b)")).isEqualTo("tensor<f32, [s0, 7]>");
        assertThat(typeOf("%a: tensor<f32, [3, 2, 4]>, %b: tensor<f32, [3, 4, 5]>", "aten::bmm(%a, %b)")).isEqualTo("tensor<f32, [3, 2, 5]>");
        assertThat(typeOf("%c: tensor<f32, [7]>, %a: tensor<f32, [s0, 4]>, %b: tensor<f32, [4, 7]>", "aten::addmm(%c, %a, %b, 1, 1)"))
                .isEqualTo("tensor<f32, [s0, 7]>");
        assertThatThrownBy(() -> typeOf("%a: tensor<f32, [2, 4]>, %b: tensor<f32, [5, 7]>", "aten::mm(%a, %b)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("node out (aten::mm)").hasMessageContaining("4 != 5");
        assertThatThrownBy(() -> typeOf("%c: tensor<f32, [6]>, %a: tensor<f32, [2, 4]>, %b: tensor<f32, [4, 7]>", "aten::addmm(%c, %a, %b, 1, 1)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("does not broadcast");
    }

    @Test
    void linearWithAndWithoutBatchDims() {
        assertThat(typeOf("%x: tensor<f32, [s0, 10, 64]>, %w: tensor<f32, [32, 64]>, %b: tensor<f32, [32]>", "aten::linear(%x, %w, %b)"))
                .isEqualTo("tensor<f32, [s0, 10, 32]>");
        assertThat(typeOf("%x: tensor<f32, [64]>, %w: tensor<f32, [32, 64]>", "aten::linear(%x, %w, none)")).isEqualTo("tensor<f32, [32]>");
        assertThatThrownBy(() -> typeOf("%x: tensor<f16, [2, 64]>, %w: tensor<f32, [32, 64]>", "aten::linear(%x, %w, none)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("same dtype");
    }

    @Test
    void matmulCoversVectorsAndBatchBroadcasting() {
        assertThat(typeOf("%a: tensor<f32, [4]>, %b: tensor<f32, [4]>", "aten::matmul(%a, %b)")).isEqualTo("tensor<f32, []>");
        assertThat(typeOf("%a: tensor<f32, [3, 4]>, %b: tensor<f32, [4]>", "aten::matmul(%a, %b)")).isEqualTo("tensor<f32, [3]>");
        assertThat(typeOf("%a: tensor<f32, [4]>, %b: tensor<f32, [2, 4, 5]>", "aten::matmul(%a, %b)")).isEqualTo("tensor<f32, [2, 5]>");
        assertThat(typeOf("%a: tensor<f32, [s0, 1, 3, 4]>, %b: tensor<f32, [6, 4, 5]>", "aten::matmul(%a, %b)"))
                .isEqualTo("tensor<f32, [s0, 6, 3, 5]>");
        assertThat(typeOf("%a: tensor<f32, [2, 3, 4]>, %b: tensor<f32, [4, 5]>", "aten::matmul(%a, %b)")).isEqualTo("tensor<f32, [2, 3, 5]>");
        assertThatThrownBy(() -> typeOf("%a: tensor<f32, [2, 3, 4]>, %b: tensor<f32, [3, 4, 5]>", "aten::matmul(%a, %b)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("cannot be broadcast");
    }

    @Test
    void scaledDotProductAttention() {
        assertThat(typeOf("%q: tensor<f32, [s0, 8, 10, 16]>, %k: tensor<f32, [s0, 8, 12, 16]>, %v: tensor<f32, [s0, 8, 12, 32]>",
                "aten::scaled_dot_product_attention(%q, %k, %v, none, 0.0, false, none, false)"))
                .isEqualTo("tensor<f32, [s0, 8, 10, 32]>");
        assertThat(typeOf("%q: tensor<f16, [2, 8, 10, 16]>, %k: tensor<f16, [2, 2, 12, 16]>, %v: tensor<f16, [2, 2, 12, 16]>",
                "aten::scaled_dot_product_attention(%q, %k, %v, none, 0.0, true, 0.25, true)"))
                .isEqualTo("tensor<f16, [2, 8, 10, 16]>");
    }

    @Test
    void embedding() {
        assertThat(typeOf("%w: tensor<f32, [100, 16]>, %i: tensor<i64, [s0, 7]>", "aten::embedding(%w, %i, -1, false, false)"))
                .isEqualTo(canon("tensor<f32, [s0, 7, 16]>"));
        assertThatThrownBy(() -> typeOf("%w: tensor<f32, [100, 16]>, %i: tensor<f32, [7]>", "aten::embedding(%w, %i, -1, false, false)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("indices");
    }
}
