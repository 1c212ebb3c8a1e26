package dev.kiln.compiler.hybrid;

import dev.kiln.backend.torch.TorchDevice;
import dev.kiln.ir.KilnException;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.pytorch.cuda.CUDAStream;
import org.bytedeco.pytorch.global.torch_cuda;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * Where the libtorch stages of a program run, decided in this one place. With the CUDA build of
 * libtorch on the class path ({@value TorchDevice#GPU_ARTIFACT}, see {@code docs/hybrid.md}) and a GPU,
 * torch stages run on the GPU: they read the engines' buffers in place ({@code from_blob} on device
 * pointers) and libtorch's kernels are queued on the caller's CUDA stream, the one the engines use
 * ({@link #onStream}), so a call makes no host round trip. With the CPU build (Kiln's default
 * dependency) they run on the CPU, and a torch stage between two engines costs a device-to-host copy
 * of its inputs and a host-to-device copy of its outputs (counted in {@link ModuleStats}).
 * {@code -Dkiln.torch.device=cpu|cuda|cuda:N} overrides the choice; the default is {@code auto}.
 *
 * <pre>{@code TorchDevice d = TorchPlacement.device(); d.isCuda()}</pre>
 */
public final class TorchPlacement {
    /** The system property that picks the device: {@code auto} (default), {@code cpu}, {@code cuda} or {@code cuda:N}. */
    public static final String PROPERTY = "kiln.torch.device";

    private TorchPlacement() {
    }

    /** The device torch stages run on: CUDA device 0 when libtorch can use it (or as {@value #PROPERTY} says), else the CPU. */
    public static TorchDevice device() {
        String want = System.getProperty(PROPERTY, "auto").strip().toLowerCase(Locale.ROOT);
        if (want.equals("auto")) {
            TorchDevice gpu = TorchDevice.cuda(0);
            return gpu.isAvailable() ? gpu : TorchDevice.cpu();
        }
        TorchDevice d = TorchDevice.parse(want);
        return d.isCuda() ? d.requireAvailable() : d;
    }

    /**
     * Runs {@code body} with libtorch's current stream on {@code device} set to {@code stream} (borrowed,
     * not owned), then restores the previous one: libtorch's kernels and copies in {@code body} queue
     * behind the engines already on that stream, and what follows on it sees their results.
     */
    static <T> T onStream(TorchDevice device, CUstream_st stream, Supplier<T> body) {
        if (!device.isCuda()) {
            return body.get();
        }
        byte index = (byte) device.index();
        CUDAStream previous;
        CUDAStream borrowed;
        try {
            previous = torch_cuda.getCurrentCUDAStream(index);
            borrowed = torch_cuda.getStreamFromExternal(stream, index);
            torch_cuda.setCurrentCUDAStream(borrowed);
        } catch (RuntimeException e) {
            throw new KilnException("libtorch could not run on the caller's CUDA stream: " + e.getMessage());
        }
        try {
            return body.get();
        } finally {
            torch_cuda.setCurrentCUDAStream(previous);
            previous.close();
            borrowed.close();
        }
    }
}
