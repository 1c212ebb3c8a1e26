package dev.kiln.backend.tensorrt.runtime;

import org.bytedeco.cuda.cudart.CUstream_st;

import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

/**
 * A CUDA stream with one owner: created on construction, destroyed by {@link #close()}.
 *
 * <pre>{@code try (CudaStream s = new CudaStream()) { ctx.enqueueV3(s.handle()); s.synchronize(); }}</pre>
 */
public final class CudaStream implements AutoCloseable {
    private CUstream_st handle;

    public CudaStream() {
        Cuda.requireDevice();
        CUstream_st s = new CUstream_st();
        Cuda.check(cudaStreamCreate(s), "creating a CUDA stream");
        this.handle = s;
    }

    public CUstream_st handle() {
        if (handle == null) {
            throw new IllegalStateException("CUDA stream already closed");
        }
        return handle;
    }

    public void synchronize() {
        Cuda.check(cudaStreamSynchronize(handle()), "waiting for the GPU");
    }

    @Override
    public void close() {
        if (handle != null) {
            cudaStreamDestroy(handle);
            handle = null;
        }
    }
}
