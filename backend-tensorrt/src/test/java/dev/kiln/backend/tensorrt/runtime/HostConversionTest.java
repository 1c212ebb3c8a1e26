package dev.kiln.backend.tensorrt.runtime;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The host-side parts of a run that need no GPU: input dtype conversion and buffer sizes. */
class HostConversionTest {
    @Test
    void floatInputsFollowTheEnginesDtype() {
        ConstantTensor x = ConstantTensor.ofFloats(new long[] {2, 2}, 1f, -2.5f, 1e-3f, 65504f);
        ConstantTensor h = ExecutionSession.convert(x, DType.FLOAT16, "x0");
        assertThat(h.dtype()).isEqualTo(DType.FLOAT16);
        assertThat(h.sizes()).containsExactly(2, 2);
        assertThat(h.getDouble(1)).isEqualTo(-2.5);
        assertThat(h.getDouble(2)).isCloseTo(1e-3, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(h.getDouble(3)).isEqualTo(65504);
        assertThat(ExecutionSession.convert(x, DType.FLOAT32, "x0")).isSameAs(x);
        assertThat(ExecutionSession.convert(x, DType.BFLOAT16, "x0").getDouble(0)).isEqualTo(1);
    }

    @Test
    void integersConvertAmongThemselvesOnly() {
        ConstantTensor ids = ConstantTensor.ofLongs(new long[] {3}, 1, 30521, -7);
        ConstantTensor i32 = ExecutionSession.convert(ids, DType.INT32, "x0");
        assertThat(i32.getLong(1)).isEqualTo(30521);
        assertThat(i32.getLong(2)).isEqualTo(-7);
        assertThatThrownBy(() -> ExecutionSession.convert(ids, DType.FLOAT32, "x0")).isInstanceOf(KilnException.class)
                .hasMessageContaining("input x0 is i64 but the engine takes f32");
    }

    @Test
    void bufferSizes() {
        assertThat(ExecutionSession.bytes(DType.FLOAT16, new long[] {2, 3})).isEqualTo(12);
        assertThat(ExecutionSession.bytes(DType.INT64, new long[0])).isEqualTo(8);
        assertThat(ExecutionSession.bytes(DType.FLOAT32, new long[] {0, 5})).isZero();
        assertThatThrownBy(() -> ExecutionSession.bytes(DType.FLOAT32, new long[] {1L << 40, 1L << 30}))
                .isInstanceOf(ArithmeticException.class);
    }
}
