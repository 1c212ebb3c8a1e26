package dev.kiln.frontend.fx.archive;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StridedTensorsTest {
    /** A storage of n floats 0, 1, 2, ... in native memory. */
    private static ByteBuffer storage(int n) {
        ByteBuffer b = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(i);
        }
        return b.flip();
    }

    @Test
    void contiguousViewsAreSlicesOfTheStorage() {
        ByteBuffer s = storage(12);
        ConstantTensor t = StridedTensors.rebuild(s, DType.FLOAT32, new long[] {2, 3}, new long[] {3, 1}, 6, "t");
        assertThat(t.getDouble(0)).isEqualTo(6);
        assertThat(t.getDouble(5)).isEqualTo(11);
        // zero-copy: writing the storage shows through the tensor
        s.putFloat(6 * 4, 42f);
        assertThat(t.getDouble(0)).isEqualTo(42);
    }

    @Test
    void transposedViewsAreGatheredOnce() {
        // a 2x3 matrix stored as its 3x2 transpose: strides (1, 2)
        ConstantTensor t = StridedTensors.rebuild(storage(6), DType.FLOAT32, new long[] {2, 3}, new long[] {1, 2}, 0, "t");
        assertThat(new double[] {t.getDouble(0), t.getDouble(1), t.getDouble(2), t.getDouble(3), t.getDouble(4), t.getDouble(5)})
                .containsExactly(0, 2, 4, 1, 3, 5);
        assertThat(t.data().isDirect()).isTrue();
    }

    @Test
    void broadcastStridesAndScalars() {
        ConstantTensor t = StridedTensors.rebuild(storage(4), DType.FLOAT32, new long[] {3, 2}, new long[] {0, 1}, 2, "t");
        assertThat(t.getDouble(0)).isEqualTo(2);
        assertThat(t.getDouble(5)).isEqualTo(3);
        ConstantTensor s = StridedTensors.rebuild(storage(4), DType.FLOAT32, new long[0], new long[0], 3, "s");
        assertThat(s.getDouble(0)).isEqualTo(3);
        ConstantTensor empty = StridedTensors.rebuild(storage(0), DType.FLOAT32, new long[] {0, 5}, new long[] {5, 1}, 0, "e");
        assertThat(empty.numel()).isZero();
    }

    @Test
    void viewsPastTheStorageAreRefused() {
        assertThatThrownBy(() -> StridedTensors.rebuild(storage(6), DType.FLOAT32, new long[] {2, 3}, new long[] {3, 1}, 1, "w"))
                .isInstanceOf(KilnException.class).hasMessageContaining("w: needs 28 bytes").hasMessageContaining("only 24");
        assertThatThrownBy(() -> StridedTensors.rebuild(storage(6), DType.FLOAT32, new long[] {2}, new long[] {Long.MAX_VALUE}, 0, "w"))
                .isInstanceOf(KilnException.class).hasMessageContaining("overflow");
        assertThatThrownBy(() -> StridedTensors.rebuild(storage(6), DType.FLOAT32, new long[] {2}, new long[] {-1}, 1, "w"))
                .isInstanceOf(KilnException.class).hasMessageContaining("negative stride");
        assertThatThrownBy(() -> StridedTensors.rebuild(storage(6), DType.FLOAT32, new long[] {2}, new long[] {1, 1}, 0, "w"))
                .isInstanceOf(KilnException.class).hasMessageContaining("1 sizes but 2 strides");
    }
}
