package dev.kiln.backend.tensorrt.converters;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The network-independent logic of the normalization converters: group sizes and the rstd of one-element groups. */
class NormalizationConvertersTest {

    static TensorType f32(SymExpr... dims) {
        return new TensorType(DType.FLOAT32, Shape.of(dims));
    }

    @Test
    void groupSizeIsChannelsPerGroupTimesTheSpatialSizes() {
        assertThat(NormalizationConverters.groupSize(new TensorType(DType.FLOAT32, Shape.of(2, 3)), 3)).isEqualTo(SymExpr.of(1));
        assertThat(NormalizationConverters.groupSize(new TensorType(DType.FLOAT32, Shape.of(6, 3, 1)), 3)).isEqualTo(SymExpr.of(1));
        assertThat(NormalizationConverters.groupSize(new TensorType(DType.FLOAT32, Shape.of(2, 6, 4, 4)), 3)).isEqualTo(SymExpr.of(32));
        // the batch does not count
        Symbol n = new Symbol("s0", 1, 64);
        assertThat(NormalizationConverters.groupSize(f32(SymExpr.of(n), SymExpr.of(3)), 3)).isEqualTo(SymExpr.of(1));
    }

    @Test
    void symbolicGroupSizesCarryTheirRange() {
        Symbol h = new Symbol("s0", 1, 8);
        SymExpr one = NormalizationConverters.groupSize(f32(SymExpr.of(2), SymExpr.of(3), SymExpr.of(h)), 3);
        assertThat(one.isConstant()).isFalse();
        assertThat(one.lowerBound()).isEqualTo(1);
        assertThat(one.upperBound()).isEqualTo(8);
        SymExpr two = NormalizationConverters.groupSize(f32(SymExpr.of(2), SymExpr.of(4), SymExpr.of(h)), 2);
        assertThat(two.lowerBound()).isEqualTo(2);
        SymExpr wide = NormalizationConverters.groupSize(f32(SymExpr.of(2), SymExpr.of(3), SymExpr.of(h), SymExpr.of(5)), 3);
        assertThat(wide.lowerBound()).isEqualTo(5);
    }

    @Test
    void oneElementRstdIsFiniteExactlyWhenPyTorchsIs() {
        assertThat(NormalizationConverters.oneElementRstd(1e-5)).isCloseTo(316.2278f, within(1e-3f));
        assertThat(NormalizationConverters.oneElementRstd(0.25)).isEqualTo(2f);
        // finite in f32 even where f16 would overflow (PyTorch computes rstd in f32 for f16 and bf16)
        assertThat(NormalizationConverters.oneElementRstd(1e-12)).isEqualTo(1e6f);
        assertThat(NormalizationConverters.oneElementRstd(0.0)).isInfinite();
        assertThat(NormalizationConverters.oneElementRstd(1e-50)).as("eps 0 in f32").isInfinite();
        assertThat(NormalizationConverters.oneElementRstd(-1e-5)).isNaN();
    }
}
