package dev.kiln.passes.shapes;

import dev.kiln.ir.DType;
import dev.kiln.passes.shapes.TypePromotion.Operand;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Cases checked against {@code torch.promote_types} and {@code torch.result_type}. */
class TypePromotionTest {

    @Test
    void promoteTypesTable() {
        assertThat(TypePromotion.promote(DType.UINT8, DType.INT8)).isEqualTo(DType.INT16);
        assertThat(TypePromotion.promote(DType.UINT8, DType.INT32)).isEqualTo(DType.INT32);
        assertThat(TypePromotion.promote(DType.INT16, DType.INT64)).isEqualTo(DType.INT64);
        assertThat(TypePromotion.promote(DType.INT64, DType.FLOAT16)).isEqualTo(DType.FLOAT16);
        assertThat(TypePromotion.promote(DType.FLOAT16, DType.BFLOAT16)).isEqualTo(DType.FLOAT32);
        assertThat(TypePromotion.promote(DType.BFLOAT16, DType.FLOAT64)).isEqualTo(DType.FLOAT64);
        assertThat(TypePromotion.promote(DType.COMPLEX64, DType.FLOAT64)).isEqualTo(DType.COMPLEX128);
        assertThat(TypePromotion.promote(DType.COMPLEX64, DType.INT64)).isEqualTo(DType.COMPLEX64);
    }

    @Test
    void resultTypeRanksTensorsOverZeroDimOverNumbers() {
        assertThat(TypePromotion.resultType(List.of(Operand.tensor(DType.INT32, 1), Operand.number(DType.FLOAT64))))
                .contains(DType.FLOAT32);
        assertThat(TypePromotion.resultType(List.of(Operand.tensor(DType.FLOAT16, 1), Operand.number(DType.FLOAT64))))
                .contains(DType.FLOAT16);
        assertThat(TypePromotion.resultType(List.of(Operand.tensor(DType.UINT8, 1), Operand.number(DType.INT64))))
                .contains(DType.UINT8);
        assertThat(TypePromotion.resultType(List.of(Operand.tensor(DType.BOOL, 1), Operand.number(DType.BOOL))))
                .contains(DType.BOOL);
        assertThat(TypePromotion.resultType(List.of(Operand.tensor(DType.INT8, 2), Operand.tensor(DType.INT64, 0))))
                .contains(DType.INT8);
        assertThat(TypePromotion.resultType(List.of(Operand.tensor(DType.INT8, 2), Operand.tensor(DType.FLOAT64, 0))))
                .contains(DType.FLOAT64);
        assertThat(TypePromotion.resultType(List.of(Operand.tensor(DType.FLOAT32, 0), Operand.number(DType.FLOAT64))))
                .contains(DType.FLOAT32);
        assertThat(TypePromotion.resultType(List.of(Operand.tensor(DType.FLOAT32, 2), Operand.number(DType.COMPLEX128))))
                .contains(DType.COMPLEX64);
        assertThat(TypePromotion.resultType(List.of(Operand.number(DType.INT64), Operand.number(DType.FLOAT64))))
                .contains(DType.FLOAT32);
    }

    @Test
    void combinationsPyTorchRefusesAreEmpty() {
        assertThat(TypePromotion.resultType(List.of(Operand.tensor(DType.UINT16, 1), Operand.tensor(DType.INT32, 1)))).isEmpty();
        assertThat(TypePromotion.resultType(List.of(Operand.tensor(DType.FLOAT8_E4M3FN, 1), Operand.tensor(DType.FLOAT16, 1)))).isEmpty();
    }
}
