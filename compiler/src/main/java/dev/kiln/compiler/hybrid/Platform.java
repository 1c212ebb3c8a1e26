package dev.kiln.compiler.hybrid;

import dev.kiln.backend.tensorrt.runtime.Cuda;
import dev.kiln.backend.tensorrt.runtime.NativeLibraries;
import dev.kiln.ir.KilnException;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.tensorrt.global.nvinfer;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * What a TensorRT engine is tied to: the TensorRT version that built it, the CUDA runtime, and the
 * GPU (name and compute capability). Engines only load where TensorRT and the compute capability
 * match, so the {@code .kiln} archive and the engine cache record this. {@link #current()} asks the
 * machine (it needs a GPU); tests make their own.
 *
 * <pre>{@code Platform p = Platform.current(); p.computeCapability() // "9.0"}</pre>
 *
 * @param tensorrt          TensorRT library version, {@code 10.6.0}
 * @param cuda              CUDA runtime version, {@code 12.6}
 * @param gpu               the GPU's name, {@code NVIDIA H200}
 * @param computeCapability {@code major.minor}, {@code 9.0}
 */
public record Platform(String tensorrt, String cuda, String gpu, String computeCapability) {
    private static volatile Platform current;

    /** This machine's platform (device 0); a {@link KilnException} without TensorRT or a GPU. */
    public static Platform current() {
        Platform p = current;
        if (p == null) {
            NativeLibraries.requireTensorRt();
            Cuda.requireDevice();
            int trt = nvinfer.getInferLibVersion(); // major * 10000 + minor * 100 + patch
            int[] rt = new int[1];
            Cuda.check(cudart.cudaRuntimeGetVersion(rt), "reading the CUDA runtime version");
            int[] dev = new int[1];
            Cuda.check(cudart.cudaGetDevice(dev), "reading the current GPU");
            try (cudaDeviceProp prop = new cudaDeviceProp()) {
                Cuda.check(cudart.cudaGetDeviceProperties(prop, dev[0]), "reading the GPU's properties");
                p = new Platform(trt / 10000 + "." + trt / 100 % 100 + "." + trt % 100, rt[0] / 1000 + "." + rt[0] % 1000 / 10,
                        prop.name().getString().strip(), prop.major() + "." + prop.minor());
            }
            current = p;
        }
        return p;
    }

    /** The Kiln version this code was built as ({@code 0.1.0-SNAPSHOT}). */
    /** What CUDA knows of {@code p}: its memory type (0 unregistered host, 1 host, 2 device, 3 managed) and device, for messages. */
    static String describePointer(org.bytedeco.javacpp.Pointer p) {
        try (org.bytedeco.cuda.cudart.cudaPointerAttributes a = new org.bytedeco.cuda.cudart.cudaPointerAttributes()) {
            int rc = cudart.cudaPointerGetAttributes(a, p);
            if (rc != 0) {
                cudart.cudaGetLastError();
                return String.format("0x%x (attributes: error %d)", p.address() + p.position(), rc);
            }
            return String.format("0x%x (type %d, device %d)", p.address() + p.position(), a.type(), a.device());
        }
    }

    public static String kilnVersion() {
        return BuildInfo.PROPS.getProperty("kiln", "unknown");
    }

    /**
     * The commit this build of Kiln came from ({@code 4620058}; {@code 4620058-dirty.3fa9c2d1} with uncommitted changes
     * to tracked files, the suffix the start of the SHA-256 of {@code git diff HEAD}, so that two different sets of
     * changes are two builds to the engine cache), as git said when the compiler module was built; "unknown" without git.
     */
    public static String kilnCommit() {
        String c = BuildInfo.PROPS.getProperty("commit", "unknown").strip();
        return c.isEmpty() || c.contains("${") ? "unknown" : c;
    }

    /**
     * The version and, when known, the commit: {@code 0.1.0-SNAPSHOT+dd21e28}. What an engine built by this Kiln
     * depends on: two snapshots of one version may convert the same op differently.
     */
    public static String kilnBuild() {
        String commit = kilnCommit();
        return commit.equals("unknown") ? kilnVersion() : kilnVersion() + "+" + commit;
    }

    /** One line for messages: {@code TensorRT 10.6.0, CUDA 12.6, NVIDIA H200 (compute capability 9.0)}. */
    public String describe() {
        return "TensorRT " + tensorrt + ", CUDA " + cuda + ", " + gpu + " (compute capability " + computeCapability + ")";
    }

    private static final class BuildInfo {
        static final Properties PROPS = load();

        private static Properties load() {
            Properties p = new Properties();
            try (InputStream in = Platform.class.getResourceAsStream("kiln-build.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // the version only labels archives and cache keys; "unknown" is still consistent
            }
            return p;
        }
    }
}
