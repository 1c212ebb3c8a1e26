package dev.kiln.backend.tensorrt.runtime;

import dev.kiln.ir.KilnException;
import org.bytedeco.javacpp.Pointer;

import java.nio.ByteBuffer;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

/**
 * GPU memory with one owner: {@code cudaMalloc} on construction, {@code cudaFree} on {@link #close()}.
 * Zero-byte buffers allocate nothing (TensorRT accepts a null address for empty tensors; a 1-byte
 * allocation is used instead so the address is valid).
 *
 * <pre>{@code try (DeviceBuffer b = new DeviceBuffer(1024)) { b.upload(hostBuffer); }}</pre>
 */
public final class DeviceBuffer implements AutoCloseable {
    private Pointer ptr;
    private final long bytes;

    public DeviceBuffer(long bytes) {
        Cuda.requireDevice();
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size " + bytes);
        }
        this.bytes = bytes;
        Pointer p = new Pointer();
        Cuda.check(cudaMalloc(p, Math.max(1, bytes)), "allocating " + bytes + " bytes of GPU memory");
        this.ptr = p;
    }

    /** The device address (valid until {@link #close()}). */
    public Pointer pointer() {
        if (ptr == null) {
            throw new IllegalStateException("device buffer already freed");
        }
        return ptr;
    }

    public long bytes() {
        return bytes;
    }

    /** Copies {@code host} (a direct buffer, from its position, {@code bytes()} bytes at most) to the GPU. */
    public void upload(ByteBuffer host, long n) {
        if (n > bytes || n > host.remaining()) {
            throw new KilnException("cannot copy " + n + " bytes into a " + bytes + "-byte GPU buffer from " + host.remaining()
                    + " host bytes");
        }
        if (n == 0) {
            return;
        }
        Pointer src = new Pointer(host.isDirect() ? host : copyDirect(host));
        Cuda.check(cudaMemcpy(pointer(), src, n, cudaMemcpyHostToDevice), "copying " + n + " bytes to the GPU");
    }

    /** Copies the first {@code n} bytes to a fresh direct (little-endian) buffer. */
    public ByteBuffer download(long n) {
        if (n > bytes || n > Integer.MAX_VALUE) {
            throw new KilnException("cannot copy " + n + " bytes out of a " + bytes + "-byte GPU buffer");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (n > 0) {
            Cuda.check(cudaMemcpy(new Pointer(out), pointer(), n, cudaMemcpyDeviceToHost), "copying " + n + " bytes from the GPU");
        }
        return out;
    }

    private static ByteBuffer copyDirect(ByteBuffer b) {
        ByteBuffer d = ByteBuffer.allocateDirect(b.remaining());
        d.put(b.duplicate());
        d.flip();
        return d;
    }

    @Override
    public void close() {
        if (ptr != null) {
            cudaFree(ptr);
            ptr = null;
        }
    }
}
