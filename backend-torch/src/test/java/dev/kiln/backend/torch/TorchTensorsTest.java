package dev.kiln.backend.torch;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.npy.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Zero-copy interop between ConstantTensor / NPY data and libtorch, and the device abstraction on a CPU-only machine. */
class TorchTensorsTest {
    @TempDir
    Path dir;

    @Test
    void constantIsWrappedWithoutCopy() {
        java.nio.ByteBuffer buf = ConstantTensor.allocate(DType.FLOAT32, 2, 3).order(ByteOrder.LITTLE_ENDIAN);
        ConstantTensor c = new ConstantTensor(DType.FLOAT32, new long[] {2, 3}, buf);
        try (TorchTensor t = TorchTensors.fromConstant(c)) {
            long address = new org.bytedeco.javacpp.Pointer(c.data()).address();
            assertThat(t.dataAddress()).isEqualTo(address);
            assertThat(t.sizes()).containsExactly(2, 3);
            assertThat(t.dtype()).isEqualTo(DType.FLOAT32);
            assertThat(t.device()).isEqualTo(TorchDevice.cpu());
            // a write through the constant's buffer is visible in the tensor: same memory
            buf.putFloat(0, 42f);
            assertThat(t.toConstant().getDouble(0)).isEqualTo(42.0);
        }
    }

    @Test
    void rawAddressIsWrappedWithoutCopy() {
        java.nio.ByteBuffer buf = ConstantTensor.allocate(DType.FLOAT32, 3).order(ByteOrder.LITTLE_ENDIAN);
        buf.putFloat(0, 1.5f).putFloat(4, -2f).putFloat(8, 7f);
        long address = new org.bytedeco.javacpp.Pointer(buf).address();
        try (TorchTensor t = TorchTensors.fromAddress(address, DType.FLOAT32, new long[] {3}, TorchDevice.cpu(), buf)) {
            assertThat(t.dataAddress()).isEqualTo(address);
            assertThat(t.toConstant().getDouble(2)).isEqualTo(7.0);
            buf.putFloat(0, 42f);
            assertThat(t.toConstant().getDouble(0)).as("same memory").isEqualTo(42.0);
        }
    }

    @Test
    void npzArraysRoundTripThroughLibtorch() {
        Path f = dir.resolve("a.npz");
        ConstantTensor a = ConstantTensor.ofLongs(new long[] {4}, 1, -2, 3, Long.MAX_VALUE);
        Npz.write(f, Map.of("x0", a));
        ConstantTensor back;
        try (TorchTensor t = TorchTensors.fromConstant(Npz.read(f).get("x0"))) {
            back = t.toConstant();
        }
        assertThat(back.contentEquals(a)).isTrue();
    }

    @Test
    void ownerStaysReachableUntilLibtorchFreesTheStorage() {
        int before = TorchTensors.liveOwners();
        TorchTensor t = TorchTensors.fromConstant(ConstantTensor.ofFloats(new long[] {1}, 7));
        TorchTensor shared = t.to(TorchDevice.cpu()); // same storage, second reference
        assertThat(TorchTensors.liveOwners()).isEqualTo(before + 1);
        t.close();
        assertThat(TorchTensors.liveOwners()).as("the second reference keeps the owner").isEqualTo(before + 1);
        assertThat(shared.toConstant().getDouble(0)).isEqualTo(7.0);
        shared.close();
        assertThat(TorchTensors.liveOwners()).isEqualTo(before);
    }

    @Test
    void emptyAndScalarConstants() {
        try (TorchTensor e = TorchTensors.fromConstant(new ConstantTensor(DType.FLOAT32, new long[] {0, 3},
                ConstantTensor.allocate(DType.FLOAT32, 0, 3)))) {
            assertThat(e.sizes()).containsExactly(0, 3);
        }
        try (TorchTensor s = TorchTensors.fromConstant(ConstantTensor.scalar(DType.FLOAT64, 2.5))) {
            assertThat(s.sizes()).isEmpty();
            assertThat(s.toConstant().getDouble(0)).isEqualTo(2.5);
        }
    }

    @Test
    void devicesParseAndCudaAbsenceIsExplained() {
        assertThat(TorchDevice.parse("cpu")).isEqualTo(TorchDevice.cpu());
        assertThat(TorchDevice.parse("cuda")).isEqualTo(TorchDevice.cuda(0));
        assertThat(TorchDevice.parse("CUDA:1")).isEqualTo(TorchDevice.cuda(1));
        assertThat(TorchDevice.cuda(1).toString()).isEqualTo("cuda:1");
        assertThatThrownBy(() -> TorchDevice.parse("tpu")).isInstanceOf(KilnException.class).hasMessageContaining("cuda:N");
        assertThat(TorchDevice.cpu().isAvailable()).isTrue();
        if (!TorchDevice.cuda(0).isAvailable()) {
            // the CI class path carries libtorch's CPU build: the message names the jar to use instead
            assertThatThrownBy(() -> TorchDevice.cuda(0).requireAvailable()).isInstanceOf(KilnException.class)
                    .hasMessageContaining("cuda:0");
            assertThatThrownBy(() -> TorchTensors.fromAddress(64, DType.FLOAT32, new long[] {1}, TorchDevice.cuda(0), this))
                    .isInstanceOf(KilnException.class);
        }
    }

    @Test
    void closedTensorIsRefused() {
        TorchTensor t = TorchTensors.fromConstant(ConstantTensor.ofFloats(new long[] {1}, 1));
        t.close();
        t.close();
        assertThatThrownBy(t::sizes).isInstanceOf(KilnException.class).hasMessageContaining("closed");
    }
}
