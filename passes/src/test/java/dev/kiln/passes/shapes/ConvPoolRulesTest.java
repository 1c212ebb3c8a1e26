package dev.kiln.passes.shapes;

import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.kiln.passes.shapes.ShapeTestSupport.parse;
import static dev.kiln.passes.shapes.ShapeTestSupport.typeOf;
import static dev.kiln.passes.shapes.ShapeTestSupport.typesOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConvPoolRulesTest {

    @Test
    void conv2dStridePaddingDilation() {
        assertThat(typeOf("%x: tensor<f32, [2, 3, 16, 16]>, %w: tensor<f32, [8, 3, 3, 3]>",
                "aten::conv2d(%x, %w, none, [2, 2], [1, 1], [1, 1], 1)")).isEqualTo("tensor<f32, [2, 8, 8, 8]>");
        assertThat(typeOf("%x: tensor<f32, [2, 3, 16, 17]>, %w: tensor<f32, [8, 3, 3, 3]>",
                "aten::convolution(%x, %w, none, [1, 2], [0, 1], [2, 1], false, [0, 0], 1)")).isEqualTo("tensor<f32, [2, 8, 12, 9]>");
    }

    @Test
    void symbolicSpatialSizeIsAnExpression() {
        String t = typeOf("%x: tensor<f32, [s0, 3, s1, 8]>, %w: tensor<f32, [4, 3, 3, 3]>",
                "aten::convolution(%x, %w, none, [2, 2], [1, 1], [1, 1], false, [0, 0], 1)");
        assertThat(t).isEqualTo(ShapeTestSupport.canon("tensor<f32, [s0, 4, (s1 - 1) // 2 + 1, 4]>"));
    }

    @Test
    void groupsAndDepthwise() {
        assertThat(typeOf("%x: tensor<f32, [1, 32, 10, 10]>, %w: tensor<f32, [32, 1, 3, 3]>",
                "aten::conv2d(%x, %w, none, [1, 1], [1, 1], [1, 1], 32)")).isEqualTo("tensor<f32, [1, 32, 10, 10]>");
        assertThatThrownBy(() -> typeOf("%x: tensor<f32, [1, 32, 10, 10]>, %w: tensor<f32, [32, 2, 3, 3]>",
                "aten::conv2d(%x, %w, none, [1, 1], [1, 1], [1, 1], 32)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("node out (aten::conv2d)").hasMessageContaining("groups");
    }

    @Test
    void conv1dConv3dAndUnbatched() {
        assertThat(typeOf("%x: tensor<f32, [4, 2, 20]>, %w: tensor<f32, [6, 2, 5]>",
                "aten::conv1d(%x, %w, none, [1], [0], [1], 1)")).isEqualTo("tensor<f32, [4, 6, 16]>");
        assertThat(typeOf("%x: tensor<f32, [1, 2, 8, 8, 8]>, %w: tensor<f32, [4, 2, 3, 3, 3]>",
                "aten::conv3d(%x, %w, none, [2, 2, 2], [1, 1, 1], [1, 1, 1], 1)")).isEqualTo("tensor<f32, [1, 4, 4, 4, 4]>");
        assertThat(typeOf("%x: tensor<f32, [3, 16, 16]>, %w: tensor<f32, [8, 3, 3, 3]>",
                "aten::conv2d(%x, %w, none, [1, 1], [0, 0], [1, 1], 1)")).isEqualTo("tensor<f32, [8, 14, 14]>");
        assertThat(typeOf("%x: tensor<f32, [1, 3, 9, 9]>, %w: tensor<f32, [8, 3, 3, 3]>",
                "aten::conv2d.padding(%x, %w, none, [1, 1], \"same\", [1, 1], 1)")).isEqualTo("tensor<f32, [1, 8, 9, 9]>");
    }

    @Test
    void transposedConvolution() {
        // (in - 1)*s - 2p + d*(k-1) + output_padding + 1 = 7*2 - 2 + 2 + 1 + 1 = 16
        assertThat(typeOf("%x: tensor<f32, [1, 8, 8, 8]>, %w: tensor<f32, [8, 4, 3, 3]>",
                "aten::convolution(%x, %w, none, [2, 2], [1, 1], [1, 1], true, [1, 1], 1)")).isEqualTo("tensor<f32, [1, 4, 16, 16]>");
        assertThat(typeOf("%x: tensor<f32, [1, 8, 8, 8]>, %w: tensor<f32, [8, 2, 3, 3]>",
                "aten::conv_transpose2d.input(%x, %w, none, [1, 1], [0, 0], [0, 0], 2, [1, 1])")).isEqualTo("tensor<f32, [1, 4, 10, 10]>");
    }

    @Test
    void maxPoolWithIndicesAndCeilMode() {
        assertThat(typesOf("%x: tensor<f32, [2, 4, 16, 16]>", 2, "aten::max_pool2d_with_indices(%x, [3, 3], [2, 2], [1, 1], [1, 1], false)"))
                .containsExactly("tensor<f32, [2, 4, 8, 8]>", "tensor<i64, [2, 4, 8, 8]>");
        // 5x5 input, k=2, s=2: floor gives 2, ceil gives 3
        assertThat(typeOf("%x: tensor<f32, [1, 1, 5, 5]>", "aten::max_pool2d(%x, [2, 2], [2, 2], [0, 0], [1, 1], true)"))
                .isEqualTo("tensor<f32, [1, 1, 3, 3]>");
        // default stride (empty list) is the kernel size
        assertThat(typeOf("%x: tensor<f32, [1, 1, 6, 6]>", "aten::max_pool2d(%x, [2, 2], [], [0, 0], [1, 1], false)"))
                .isEqualTo("tensor<f32, [1, 1, 3, 3]>");
        assertThatThrownBy(() -> typeOf("%x: tensor<f32, [1, 1, 6, 6]>", "aten::max_pool2d(%x, [2, 2], [], [2, 2], [1, 1], false)"))
                .isInstanceOf(KilnException.class).hasMessageContaining("at most half");
    }

    @Test
    void ceilModeDropsAWindowStartingInThePadding() {
        // ATen: in=4, k=2, s=2, p=1, ceil: (4+2-2+1)/2+1 = 3 (ceil of 2.5 -> 3, +1 = 4?) checked against the formula
        assertThat(typeOf("%x: tensor<f32, [1, 1, 4]>", "aten::max_pool1d(%x, [2], [2], [1], [1], true)"))
                .isEqualTo("tensor<f32, [1, 1, 3]>");
    }

    @Test
    void avgAndAdaptivePooling() {
        assertThat(typeOf("%x: tensor<f32, [s0, 4, 7, 7]>", "aten::avg_pool2d(%x, [2, 2], [2, 2], [0, 0], true, true, none)"))
                .isEqualTo("tensor<f32, [s0, 4, 4, 4]>");
        assertThat(typeOf("%x: tensor<f32, [s0, 4, 7, 7]>", "aten::adaptive_avg_pool2d(%x, [1, 1])"))
                .isEqualTo("tensor<f32, [s0, 4, 1, 1]>");
        assertThat(typeOf("%x: tensor<f32, [4, 7, 7]>", "aten::_adaptive_avg_pool2d(%x, [2, 3])"))
                .isEqualTo("tensor<f32, [4, 2, 3]>");
    }

    @Test
    void upsampleBySizeAndByScale() {
        assertThat(typeOf("%x: tensor<f32, [1, 3, 8, 8]>", "aten::upsample_nearest2d(%x, [16, 12], none, none)"))
                .isEqualTo("tensor<f32, [1, 3, 16, 12]>");
        assertThat(typeOf("%x: tensor<f32, [1, 3, s0, 9]>", "aten::upsample_nearest2d.vec(%x, none, [2.0, 1.5])"))
                .isEqualTo(ShapeTestSupport.canon("tensor<f32, [1, 3, (2*s0) // 1, 13]>"));
        assertThat(typeOf("%x: tensor<f32, [1, 3, 8, 8]>", "aten::upsample_bilinear2d.vec(%x, [4, 4], false, none)"))
                .isEqualTo("tensor<f32, [1, 3, 4, 4]>");
    }

    @Test
    void constantPadding() {
        assertThat(typeOf("%x: tensor<f32, [2, 3, s0]>", "aten::constant_pad_nd(%x, [1, 2, 0, -1], 0)"))
                .isEqualTo(ShapeTestSupport.canon("tensor<f32, [2, 2, s0 + 3]>"));
        assertThat(typeOf("%x: tensor<f32, [2, 3]>", "aten::pad(%x, [1, 1], \"constant\", none)"))
                .isEqualTo("tensor<f32, [2, 5]>");
    }

    @Test
    void poolOutputFormulaMatchesAtenEverywhere() {
        // ATen's pooling_output_shape, checked against ShapeMath's closed form over a grid
        for (long in = 1; in <= 20; in++) {
            for (long k = 1; k <= 5; k++) {
                for (long s = 1; s <= 4; s++) {
                    for (long d = 1; d <= 2; d++) {
                        for (long p = 0; p <= ((k - 1) * d + 1) / 2; p++) {
                            for (boolean ceil : new boolean[] {false, true}) {
                                long num = in + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
                                long out = Math.floorDiv(num, s) + 1;
                                if (ceil && (out - 1) * s >= in + p) {
                                    out--;
                                }
                                if (out <= 0) {
                                    continue;
                                }
                                long got = ((dev.kiln.ir.SymExpr.Const) ShapeMath.poolOutput(dev.kiln.ir.SymExpr.of(in), k, s, p, d, ceil)).value();
                                assertThat(got).as("in=%d k=%d s=%d p=%d d=%d ceil=%s", in, k, s, p, d, ceil).isEqualTo(out);
                                // and the symbolic form evaluates to the same
                                dev.kiln.ir.Symbol h = new dev.kiln.ir.Symbol("h", 1, 1000);
                                long sym = ShapeMath.poolOutput(dev.kiln.ir.SymExpr.of(h), k, s, p, d, ceil).evaluate(Map.of("h", in));
                                assertThat(sym).isEqualTo(out);
                            }
                        }
                    }
                }
            }
        }
        assertThat(parse("%x: tensor<f32, [1]>", "  return %x\n").inputs()).hasSize(1);
    }
}
