package dev.kiln.backend.tensorrt.converters;

import dev.kiln.ir.DType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The network-independent rules of the resize converters: the dtype a resize runs in and the size scales give. */
class ResizeConvertersTest {

    @Test
    void bf16IsResizedInF32AndOtherDTypesAsTheyAre() {
        assertThat(ResizeConverters.computeDType(DType.BFLOAT16)).isEqualTo(DType.FLOAT32);
        assertThat(ResizeConverters.computeDType(DType.FLOAT16)).isEqualTo(DType.FLOAT16);
        assertThat(ResizeConverters.computeDType(DType.FLOAT32)).isEqualTo(DType.FLOAT32);
    }

    @Test
    void scalesGiveTheFloorOfTheScaledSize() {
        assertThat(ResizeConverters.scaledSize(4, 2.0)).isEqualTo(8);
        assertThat(ResizeConverters.scaledSize(5, 1.5)).isEqualTo(7);
        assertThat(ResizeConverters.scaledSize(7, 0.5)).isEqualTo(3);
        assertThat(ResizeConverters.scaledSize(3, 1.0 / 3.0)).isEqualTo(1);
        assertThat(ResizeConverters.scaledSize(10, 1.1)).isEqualTo(11);
    }
}
