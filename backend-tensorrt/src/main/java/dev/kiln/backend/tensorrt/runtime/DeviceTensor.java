package dev.kiln.backend.tensorrt.runtime;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;

import java.util.Arrays;

/**
 * A tensor in GPU memory: dtype, sizes (C-contiguous) and the {@link DeviceBuffer} holding it. The
 * tensor owns its buffer: {@link #close()} frees it.
 *
 * <pre>{@code try (DeviceTensor d = DeviceTensor.upload(x)) { ConstantTensor back = d.download(); }}</pre>
 */
public final class DeviceTensor implements AutoCloseable {
    private final DType dtype;
    private final long[] sizes;
    private final DeviceBuffer buffer;

    public DeviceTensor(DType dtype, long[] sizes, DeviceBuffer buffer) {
        this.dtype = dtype;
        this.sizes = sizes.clone();
        this.buffer = buffer;
        if (buffer.bytes() < byteSize()) {
            throw new IllegalArgumentException("buffer of " + buffer.bytes() + " bytes holds no " + this);
        }
    }

    /** Copies a host tensor to fresh GPU memory. */
    public static DeviceTensor upload(ConstantTensor t) {
        DeviceBuffer b = new DeviceBuffer(t.byteSize());
        try {
            b.upload(t.data(), t.byteSize());
            return new DeviceTensor(t.dtype(), t.sizes(), b);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /** Copies this tensor to host memory. */
    public ConstantTensor download() {
        return new ConstantTensor(dtype, sizes, buffer.download(byteSize()));
    }

    public DType dtype() {
        return dtype;
    }

    public long[] sizes() {
        return sizes.clone();
    }

    public long numel() {
        long n = 1;
        for (long s : sizes) {
            n *= s;
        }
        return n;
    }

    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    public DeviceBuffer buffer() {
        return buffer;
    }

    @Override
    public void close() {
        buffer.close();
    }

    @Override
    public String toString() {
        return "device tensor<" + dtype.text() + ", " + Arrays.toString(sizes) + ">";
    }
}
