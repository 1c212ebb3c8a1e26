package dev.kiln.backend.torch;

import dev.kiln.ir.KilnException;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

import java.util.Locale;

/**
 * Where libtorch tensors live: the CPU or one CUDA device. CUDA needs the GPU build of the JavaCPP
 * PyTorch preset ({@code org.bytedeco:pytorch:2.5.1-1.5.11:linux-x86_64-gpu} plus the CUDA
 * libraries) on the class path instead of the CPU build Kiln depends on; {@link #requireAvailable()}
 * says so in a {@link KilnException} when it is missing.
 *
 * <pre>{@code TorchDevice d = TorchDevice.parse("cuda:0").requireAvailable();}</pre>
 *
 * @param kind  CPU or CUDA
 * @param index the CUDA device ordinal (0 for the CPU)
 */
public record TorchDevice(Kind kind, int index) {
    /** The device kinds Kiln runs libtorch on. */
    public enum Kind {
        CPU, CUDA
    }

    /** The JavaCPP artifact that carries libtorch_cuda (the CPU jar does not). */
    public static final String GPU_ARTIFACT = "org.bytedeco:pytorch:2.5.1-1.5.11:linux-x86_64-gpu";

    private static final TorchDevice CPU = new TorchDevice(Kind.CPU, 0);

    public TorchDevice {
        if (kind == null) {
            throw new KilnException("a device needs a kind (cpu or cuda)");
        }
        if (index < 0 || (kind == Kind.CPU && index != 0)) {
            throw new KilnException("device index " + index + " is not valid for " + kind.name().toLowerCase(Locale.ROOT));
        }
    }

    public static TorchDevice cpu() {
        return CPU;
    }

    public static TorchDevice cuda(int index) {
        return new TorchDevice(Kind.CUDA, index);
    }

    /** {@code cpu}, {@code cuda} (= {@code cuda:0}) or {@code cuda:N}. */
    public static TorchDevice parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("cpu")) {
            return CPU;
        }
        if (t.equals("cuda") || t.equals("gpu")) {
            return cuda(0);
        }
        if (t.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(t.substring(5)));
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
        }
        throw new KilnException("unknown device '" + text + "'; write cpu, cuda or cuda:N");
    }

    public boolean isCuda() {
        return kind == Kind.CUDA;
    }

    /**
     * This device, after checking libtorch can use it: always for the CPU; for CUDA, the GPU build of
     * libtorch must load and see a device with this index.
     */
    public TorchDevice requireAvailable() {
        if (!isCuda()) {
            return this;
        }
        String problem = CudaSupport.problem();
        if (problem != null) {
            throw new KilnException("cannot use " + this + ": " + problem);
        }
        long count = torch.cuda_device_count();
        if (index >= count) {
            throw new KilnException("cannot use " + this + ": libtorch sees " + count + " CUDA device(s)");
        }
        return this;
    }

    /** Whether {@link #requireAvailable()} would pass. */
    public boolean isAvailable() {
        try {
            requireAvailable();
            return true;
        } catch (KilnException e) {
            return false;
        }
    }

    /** A new libtorch device object (owned by the caller or its {@code PointerScope}). */
    Device toTorch() {
        return new Device(toString());
    }

    /** {@code cpu} or {@code cuda:N}, as libtorch spells it. */
    @Override
    public String toString() {
        return isCuda() ? "cuda:" + index : "cpu";
    }

    /** Probes once whether the CUDA build of libtorch is loadable. */
    private static final class CudaSupport {
        private static final String PROBLEM = probe();

        static String problem() {
            return PROBLEM;
        }

        private static boolean torchCudaNativesPresent() {
            return TorchDevice.class.getClassLoader().getResource("org/bytedeco/pytorch/linux-x86_64-gpu/libjnitorch_cuda.so") != null;
        }

        private static String probe() {
            try {
                // the class's static initializer loads libjnitorch_cuda, which only the -gpu jar contains
                Class.forName("org.bytedeco.pytorch.global.torch_cuda", true, TorchDevice.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                Throwable root = e;
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                if (torchCudaNativesPresent()) {
                    // the GPU build is there but does not load: name what is missing (usually a CUDA library)
                    return "libtorch's CUDA build is on the class path but does not load: " + root
                            + "; put the CUDA 12.6 libraries it needs (cudart, cublas, cusparse, cufft, curand, cusolver, cupti,"
                            + " nvJitLink, cuDNN 9) on LD_LIBRARY_PATH";
                }
                return "the CPU build of libtorch is on the class path; CUDA tensors need " + GPU_ARTIFACT
                        + " (and the CUDA 12.6 libraries) in place of org.bytedeco:pytorch:2.5.1-1.5.11:linux-x86_64 ("
                        + root + ")";
            }
            try {
                if (!torch.cuda_is_available()) {
                    return "libtorch's CUDA build is loaded but finds no CUDA device or driver";
                }
            } catch (RuntimeException | LinkageError e) {
                return "libtorch could not query CUDA: " + e.getMessage();
            }
            return null;
        }
    }
}
