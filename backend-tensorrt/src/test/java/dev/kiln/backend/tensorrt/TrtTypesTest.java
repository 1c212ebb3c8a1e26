package dev.kiln.backend.tensorrt;

import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import org.bytedeco.tensorrt.global.nvinfer.DataType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Only touches the Java enums of the TensorRT preset: no native library is loaded. */
class TrtTypesTest {
    @Test
    void mapsEveryTypeTensorRtHasBothWays() {
        assertThat(TrtTypes.toTrt(DType.FLOAT32)).isEqualTo(DataType.kFLOAT);
        assertThat(TrtTypes.toTrt(DType.FLOAT16)).isEqualTo(DataType.kHALF);
        assertThat(TrtTypes.toTrt(DType.BFLOAT16)).isEqualTo(DataType.kBF16);
        assertThat(TrtTypes.toTrt(DType.INT8)).isEqualTo(DataType.kINT8);
        assertThat(TrtTypes.toTrt(DType.INT32)).isEqualTo(DataType.kINT32);
        assertThat(TrtTypes.toTrt(DType.INT64)).isEqualTo(DataType.kINT64);
        assertThat(TrtTypes.toTrt(DType.BOOL)).isEqualTo(DataType.kBOOL);
        assertThat(TrtTypes.toTrt(DType.UINT8)).isEqualTo(DataType.kUINT8);
        assertThat(TrtTypes.toTrt(DType.FLOAT8_E4M3FN)).isEqualTo(DataType.kFP8);
        for (DType t : DType.values()) {
            TrtTypes.find(t).ifPresent(trt -> {
                assertThat(TrtTypes.fromTrt(trt)).isEqualTo(t);
                assertThat(TrtTypes.fromTrt(trt.value)).isEqualTo(t);
            });
        }
    }

    @Test
    void refusesTypesTensorRtLacks() {
        for (DType t : new DType[] {DType.FLOAT64, DType.INT16, DType.UINT32, DType.COMPLEX64, DType.FLOAT8_E5M2}) {
            assertThat(TrtTypes.find(t)).isEmpty();
            assertThatThrownBy(() -> TrtTypes.toTrt(t)).isInstanceOf(KilnException.class)
                    .hasMessageContaining(t.text()).hasMessageContaining("cast");
        }
        assertThatThrownBy(() -> TrtTypes.fromTrt(DataType.kINT4)).isInstanceOf(KilnException.class);
    }

    @Test
    void constantsOfMissingTypesBecomeTheNearestSupportedOne() {
        assertThat(TrtTypes.constantType(DType.FLOAT64)).isEqualTo(DType.FLOAT32);
        assertThat(TrtTypes.constantType(DType.INT16)).isEqualTo(DType.INT32);
        assertThat(TrtTypes.constantType(DType.UINT64)).isEqualTo(DType.INT64);
        assertThat(TrtTypes.constantType(DType.FLOAT16)).isEqualTo(DType.FLOAT16);
        assertThatThrownBy(() -> TrtTypes.constantType(DType.COMPLEX128)).isInstanceOf(KilnException.class);
    }
}
