package dev.kiln.backend.tensorrt.runtime;

import dev.kiln.ir.KilnException;
import org.bytedeco.cuda.global.cudart;

/**
 * Small checked wrappers over the CUDA runtime: every non-zero status becomes a {@link KilnException}
 * naming the call and CUDA's own error text, and a missing driver or GPU says so.
 *
 * <pre>{@code Cuda.check(cudaMemcpy(dst, src, n, cudaMemcpyHostToDevice), "copying x0 to the GPU");}</pre>
 */
public final class Cuda {
    private static volatile boolean deviceChecked;

    private Cuda() {
    }

    /** Throws unless {@code status} is {@code cudaSuccess}. */
    public static void check(int status, String what) {
        if (status != 0) {
            throw new KilnException("CUDA error while " + what + ": " + errorText(status) + " (code " + status + ")");
        }
    }

    static String errorText(int status) {
        try {
            return cudart.cudaGetErrorString(status).getString();
        } catch (RuntimeException | LinkageError e) {
            return "error " + status;
        }
    }

    /**
     * Loads the CUDA runtime and checks that a driver and a GPU are there (once per process): a
     * {@link KilnException} that says which is missing otherwise.
     */
    public static void requireDevice() {
        NativeLibraries.requireCuda();
        if (deviceChecked) {
            return;
        }
        int[] n = new int[1];
        int rc = cudart.cudaGetDeviceCount(n);
        if (rc == cudart.cudaErrorInsufficientDriver || rc == cudart.cudaErrorNoDevice || rc != 0 || n[0] == 0) {
            throw new KilnException("no usable NVIDIA GPU: " + (rc == 0 ? "no CUDA device found" : errorText(rc))
                    + " (cudaGetDeviceCount returned " + rc + "). Kiln needs an NVIDIA driver for CUDA 12 (libcuda.so.1,"
                    + " driver 525 or later) and a GPU; check nvidia-smi");
        }
        deviceChecked = true;
    }
}
