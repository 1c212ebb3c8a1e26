package dev.kiln.passes.shapes;

import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.kiln.passes.shapes.ShapeTestSupport.canon;
import static dev.kiln.passes.shapes.ShapeTestSupport.infer;
import static dev.kiln.passes.shapes.ShapeTestSupport.typeOf;
import static dev.kiln.passes.shapes.ShapeTestSupport.typesOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LayoutRulesTest {
    static final String X = "%x: tensor<f32, [s0, 3, 8, 8]>";

    @Test
    void viewAndReshapeInferMinusOneSymbolically() {
        Map<String, String> t = infer(X,
                "  %n : int = aten::sym_size.int(%x, 0)\n"
                + "  %v : tensor = aten::view(%x, [%n, -1])\n"
                + "  %r : tensor = aten::reshape(%x, [-1, 64])\n"
                + "  %u : tensor = aten::_unsafe_view(%x, [%n, 3, 64])\n"
                + "  return %v\n");
        assertThat(t.get("n")).isEqualTo("int");
        assertThat(t.get("v")).isEqualTo("tensor<f32, [s0, 192]>");
        assertThat(t.get("r")).isEqualTo(canon("tensor<f32, [3*s0, 64]>"));
        assertThat(t.get("u")).isEqualTo("tensor<f32, [s0, 3, 64]>");
        assertThatThrownBy(() -> typeOf("%x: tensor<f32, [2, 3]>", "aten::view(%x, [4, -1])"))
                .isInstanceOf(KilnException.class).hasMessageContaining("invalid for an input of 6 elements");
        assertThatThrownBy(() -> typeOf("%x: tensor<f32, [2, 3]>", "aten::reshape(%x, [5])"))
                .isInstanceOf(KilnException.class).hasMessageContaining("node out (aten::reshape)");
    }

    @Test
    void permuteTransposeFlatten() {
        assertThat(typeOf(X, "aten::permute(%x, [0, 2, 3, 1])")).isEqualTo("tensor<f32, [s0, 8, 8, 3]>");
        assertThat(typeOf(X, "aten::permute(%x, [-1, -2, -3, -4])")).isEqualTo("tensor<f32, [8, 8, 3, s0]>");
        assertThat(typeOf(X, "aten::transpose.int(%x, 1, -1)")).isEqualTo("tensor<f32, [s0, 8, 8, 3]>");
        assertThat(typeOf(X, "aten::flatten.using_ints(%x, 1, -1)")).isEqualTo("tensor<f32, [s0, 192]>");
        assertThat(typeOf(X, "aten::flatten.using_ints(%x, 0, 1)")).isEqualTo(canon("tensor<f32, [3*s0, 8, 8]>"));
        assertThat(typeOf("%x: tensor<f32, []>", "aten::flatten.using_ints(%x, 0, -1)")).isEqualTo("tensor<f32, [1]>");
        assertThat(typeOf("%x: tensor<f32, [2, 12]>", "aten::unflatten.int(%x, -1, [3, -1])")).isEqualTo("tensor<f32, [2, 3, 4]>");
        assertThatThrownBy(() -> typeOf(X, "aten::permute(%x, [0, 0, 1, 2])")).isInstanceOf(KilnException.class).hasMessageContaining("twice");
    }

    @Test
    void squeezeAndUnsqueezeOverloads() {
        String y = "%y: tensor<f32, [1, s1, 1, 4]>";
        assertThat(typeOf(y, "aten::squeeze(%y)")).isEqualTo("tensor<f32, [s1, 4]>");
        assertThat(typeOf(y, "aten::squeeze.dim(%y, -2)")).isEqualTo("tensor<f32, [1, s1, 4]>");
        assertThat(typeOf(y, "aten::squeeze.dim(%y, 3)")).isEqualTo("tensor<f32, [1, s1, 1, 4]>");
        assertThat(typeOf(y, "aten::squeeze.dims(%y, [0, 2])")).isEqualTo("tensor<f32, [s1, 4]>");
        assertThat(typeOf(y, "aten::unsqueeze(%y, -1)")).isEqualTo("tensor<f32, [1, s1, 1, 4, 1]>");
        assertThat(typeOf(y, "aten::unsqueeze(%y, 0)")).isEqualTo("tensor<f32, [1, 1, s1, 1, 4]>");
        // s0 may be 1: squeeze cannot decide, so the output stays unknown and a note says why
        assertThat(typeOf("%z: tensor<f32, [s0, 2]>", "aten::squeeze(%z)")).isEqualTo("tensor");
        assertThat(ShapeTestSupport.notes("%z: tensor<f32, [s0, 2]>", "  %q : tensor = aten::squeeze(%z)\n  return %q\n"))
                .singleElement().asString().contains("may or may not be 1");
    }

    @Test
    void expandSliceSelect() {
        Map<String, String> t = infer("%x: tensor<f32, [1, 3, 1]>, %y: tensor<f32, [s0]>",
                "  %n : int = aten::sym_size.int(%y, 0)\n  %e : tensor = aten::expand(%x, [2, %n, -1, 5], false)\n  return %e\n");
        assertThat(t.get("e")).isEqualTo("tensor<f32, [2, s0, 3, 5]>");
        assertThatThrownBy(() -> typeOf("%x: tensor<f32, [2, 3]>", "aten::expand(%x, [4, 3], false)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("cannot expand");
        assertThat(typeOf("%x: tensor<f32, [s0, 10]>", "aten::slice.Tensor(%x, 1, 2, 9223372036854775807, 3)")).isEqualTo("tensor<f32, [s0, 3]>");
        assertThat(typeOf("%x: tensor<f32, [s0, 10]>", "aten::slice.Tensor(%x, -1, -4, none, 1)")).isEqualTo("tensor<f32, [s0, 4]>");
        assertThat(typeOf("%x: tensor<f32, [s0, 10]>", "aten::slice.Tensor(%x, 1, 5, 100, 1)")).isEqualTo("tensor<f32, [s0, 5]>");
        assertThat(typeOf("%x: tensor<f32, [s0, 10]>", "aten::slice.Tensor(%x, 1, 7, 3, 1)")).isEqualTo("tensor<f32, [s0, 0]>");
        assertThat(typeOf("%x: tensor<f32, [s1, 10]>", "aten::slice.Tensor(%x, 0, 1, none, 1)")).isEqualTo(canon("tensor<f32, [s1 - 1, 10]>"));
        assertThat(typeOf("%x: tensor<f32, [s1, 10]>", "aten::slice.Tensor(%x, 0, 0, -1, 1)")).isEqualTo(canon("tensor<f32, [s1 - 1, 10]>"));
        assertThat(typeOf("%x: tensor<f32, [s0, 10, 4]>", "aten::select.int(%x, 1, -1)")).isEqualTo("tensor<f32, [s0, 4]>");
        assertThatThrownBy(() -> typeOf("%x: tensor<f32, [s0, 10]>", "aten::select.int(%x, 1, 10)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("out of range");
    }

    @Test
    void catAndStack() {
        assertThat(typeOf("%a: tensor<f32, [s0, 3]>, %b: tensor<f16, [s0, 5]>", "aten::cat([%a, %b], -1)")).isEqualTo("tensor<f32, [s0, 8]>");
        assertThat(typeOf("%a: tensor<f32, [s0, 3]>, %b: tensor<f32, [s1, 3]>", "aten::cat([%a, %b], 0)")).isEqualTo(canon("tensor<f32, [s0 + s1, 3]>"));
        assertThat(typeOf("%a: tensor<f32, [2, 3]>, %e: tensor<f32, [0]>", "aten::cat([%a, %e], 0)")).isEqualTo("tensor<f32, [2, 3]>");
        assertThatThrownBy(() -> typeOf("%a: tensor<f32, [2, 3]>, %b: tensor<f32, [2, 4]>", "aten::cat([%a, %b], 0)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("dimension 1");
        assertThat(typeOf("%a: tensor<f32, [2, 3]>, %b: tensor<f32, [2, 3]>", "aten::stack([%a, %b, %a], -1)")).isEqualTo("tensor<f32, [2, 3, 3]>");
        assertThat(typeOf("%a: tensor<f32, [2, 3]>, %b: tensor<f32, [2, 3]>", "aten::stack([%a, %b], 0)")).isEqualTo("tensor<f32, [2, 2, 3]>");
    }

    @Test
    void splitsGiveOneOutputPerPiece() {
        assertThat(typesOf("%x: tensor<f32, [2, 10, 64]>", 3, "aten::split_with_sizes(%x, [2, 3, 5], 1)"))
                .containsExactly("tensor<f32, [2, 2, 64]>", "tensor<f32, [2, 3, 64]>", "tensor<f32, [2, 5, 64]>");
        assertThat(typesOf("%x: tensor<f32, [2, 10]>", 4, "aten::split.Tensor(%x, 3, -1)"))
                .containsExactly("tensor<f32, [2, 3]>", "tensor<f32, [2, 3]>", "tensor<f32, [2, 3]>", "tensor<f32, [2, 1]>");
        assertThat(typesOf("%x: tensor<f32, [2, 192]>", 3, "aten::chunk(%x, 3, -1)"))
                .containsExactly("tensor<f32, [2, 64]>", "tensor<f32, [2, 64]>", "tensor<f32, [2, 64]>");
        // chunk may give fewer pieces than asked: 5 into 4 chunks of 2 is 3 pieces
        assertThat(typesOf("%x: tensor<f32, [5]>", 3, "aten::chunk(%x, 4, 0)"))
                .containsExactly("tensor<f32, [2]>", "tensor<f32, [2]>", "tensor<f32, [1]>");
        assertThat(typesOf("%x: tensor<f32, [s0, 2]>", 2, "aten::unbind.int(%x, 1)")).containsExactly("tensor<f32, [s0]>", "tensor<f32, [s0]>");
        assertThatThrownBy(() -> typesOf("%x: tensor<f32, [s0, 4]>", 2, "aten::unbind.int(%x, 1)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("computes 4 outputs but the node has 2");
    }

    @Test
    void splitIntoAListOutput() {
        Map<String, String> t = infer("%x: tensor<f32, [4, 6]>", "  %s : list<tensor> = aten::split.Tensor(%x, 2, 0)\n  return %x\n");
        assertThat(t.get("s")).isEqualTo("list<tensor<f32, [2, 6]>>");
        assertThatThrownBy(() -> typeOf("%x: tensor<f32, [2, 10]>", "aten::split_with_sizes(%x, [2, 3], 1)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("do not add up");
    }

    @Test
    void gatherIndexSelectRepeat() {
        assertThat(typeOf("%x: tensor<f32, [4, 5]>, %i: tensor<i64, [4, 2]>", "aten::gather(%x, 1, %i, false)")).isEqualTo("tensor<f32, [4, 2]>");
        assertThat(typeOf("%x: tensor<f32, [4, 5]>, %i: tensor<i64, [s0]>", "aten::index_select(%x, -1, %i)")).isEqualTo("tensor<f32, [4, s0]>");
        assertThat(typeOf("%x: tensor<f32, [4, 5]>", "aten::repeat(%x, [2, 1, 3])")).isEqualTo("tensor<f32, [2, 4, 15]>");
    }

    @Test
    void dtypeConversions() {
        assertThat(typeOf(X, "aten::to.dtype(%x, dtype<f16>, false, false, none)")).isEqualTo("tensor<f16, [s0, 3, 8, 8]>");
        assertThat(typeOf(X, "aten::_to_copy(%x, dtype<bf16>, none, none, none, false, none)")).isEqualTo("tensor<bf16, [s0, 3, 8, 8]>");
        assertThat(typeOf(X, "aten::_to_copy(%x, none, none, device<\"cuda:0\">, none, false, none)")).isEqualTo("tensor<f32, [s0, 3, 8, 8]>");
        assertThat(typeOf(X + ", %h: tensor<f16, [1]>", "aten::type_as(%x, %h)")).isEqualTo("tensor<f16, [s0, 3, 8, 8]>");
    }
}
