package dev.kiln.backend.tensorrt.converters;

import dev.kiln.ir.DType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The network-independent rules of the resize converters. */
class ResizeConvertersTest {

    @Test
    void bf16IsResizedInF32AndOtherDTypesAsTheyAre() {
        assertThat(ResizeConverters.computeDType(DType.BFLOAT16)).isEqualTo(DType.FLOAT32);
        assertThat(ResizeConverters.computeDType(DType.FLOAT16)).isEqualTo(DType.FLOAT16);
        assertThat(ResizeConverters.computeDType(DType.FLOAT32)).isEqualTo(DType.FLOAT32);
    }
}
