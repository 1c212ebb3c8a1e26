package dev.kiln.backend.tensorrt.runtime;

import dev.kiln.ir.KilnException;
import org.bytedeco.javacpp.Loader;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads the native CUDA runtime and TensorRT once and turns a failure into a {@link KilnException}
 * that says which library was missing and how to install it. The FIRST failure of each component is
 * remembered: the JVM reports a missing library by name only once, later attempts fail with a bare
 * {@code NoClassDefFoundError: Could not initialize class ...}, so every later call rethrows the
 * first, informative message.
 *
 * <pre>{@code NativeLibraries.requireTensorRt(); // then createInferBuilder(...) is safe}</pre>
 */
public final class NativeLibraries {
    static {
        dev.kiln.ir.JavaCppDefaults.apply(); // before anything loads JavaCPP
    }

    /** What to do when a library is missing; shown after the library's name. */
    public static final String INSTALL_HINT = "Kiln needs the NVIDIA CUDA 12 runtime (libcudart.so.12) and TensorRT 10.6"
            + " (libnvinfer.so.10, libnvinfer_builder_resource.so.10) plus an NVIDIA driver (libcuda.so.1). Either add"
            + " org.bytedeco:cuda:12.6-9.5-1.5.11:linux-x86_64-redist and org.bytedeco:tensorrt:10.6-1.5.11:linux-x86_64-redist"
            + " to the class path, or install CUDA 12 and TensorRT 10.6 from NVIDIA and put their lib folders on"
            + " LD_LIBRARY_PATH";

    private static final Pattern LIBRARY = Pattern.compile("(lib[A-Za-z0-9_+\\-]+\\.so(?:\\.[0-9]+)*)");

    private static final NativeLibraries SYSTEM = new NativeLibraries(NativeLibraries::loadPreset);

    private final Function<String, Class<?>> loader;
    /** Component name -> its first failure (a message naming the library), or absent while never failed. */
    private final Map<String, KilnException> failures = new LinkedHashMap<>();
    private final Map<String, Boolean> loaded = new LinkedHashMap<>();

    /** A loader over {@code loader} (which loads a component by name); tests inject failures through it. */
    NativeLibraries(Function<String, Class<?>> loader) {
        this.loader = loader;
    }

    /** For tests: a fresh memory over a custom loader. */
    public static NativeLibraries withLoader(Function<String, Class<?>> loader) {
        return new NativeLibraries(loader);
    }

    /** The process-wide instance. */
    public static NativeLibraries system() {
        return SYSTEM;
    }

    /** Loads the CUDA runtime; a {@link KilnException} naming the missing library otherwise. */
    public static void requireCuda() {
        SYSTEM.require("cudart");
    }

    /** Loads the CUDA runtime and TensorRT; a {@link KilnException} naming the missing library otherwise. */
    public static void requireTensorRt() {
        SYSTEM.require("cudart");
        SYSTEM.require("nvinfer");
    }

    /** Whether TensorRT can be loaded (never throws). */
    public static boolean tensorRtAvailable() {
        try {
            requireTensorRt();
            return true;
        } catch (KilnException e) {
            return false;
        }
    }

    /** The first failure recorded for {@code component}, if any. */
    public synchronized Optional<KilnException> firstFailure(String component) {
        return Optional.ofNullable(failures.get(component));
    }

    /** Loads {@code component} once; rethrows its first failure on every later call. */
    public synchronized void require(String component) {
        KilnException first = failures.get(component);
        if (first != null) {
            throw new KilnException(first.getMessage(), first.getCause());
        }
        if (loaded.containsKey(component)) {
            return;
        }
        try {
            loader.apply(component);
            loaded.put(component, Boolean.TRUE);
        } catch (LinkageError | RuntimeException e) {
            KilnException k = describe(component, e);
            failures.put(component, k);
            throw new KilnException(k.getMessage(), e);
        }
    }

    static KilnException describe(String component, Throwable e) {
        String what = "nvinfer".equals(component) ? "TensorRT" : "the CUDA runtime";
        String msg = String.valueOf(e.getMessage());
        Optional<String> lib = missingLibrary(e);
        String named = lib.map(l -> " (missing library: " + l + ")").orElse("");
        return new KilnException("cannot load " + what + named + ": " + e.getClass().getSimpleName() + ": " + msg
                + ". " + INSTALL_HINT, e);
    }

    /** The first {@code libX.so[.N]} named in {@code e}'s message or its causes. */
    static Optional<String> missingLibrary(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            Matcher m = LIBRARY.matcher(String.valueOf(t.getMessage()));
            String best = null;
            while (m.find()) {
                String l = m.group(1);
                // JavaCPP names its own JNI wrapper (libjninvinfer.so) first; the real culprit is the dependency
                if (!l.startsWith("libjni")) {
                    return Optional.of(l);
                }
                if (best == null) {
                    best = l;
                }
            }
            if (best != null) {
                return Optional.of(best);
            }
        }
        return Optional.empty();
    }

    private static Class<?> loadPreset(String component) {
        Class<?> c;
        switch (component) {
            case "cudart":
                c = org.bytedeco.cuda.global.cudart.class;
                break;
            case "nvinfer":
                c = org.bytedeco.tensorrt.global.nvinfer.class;
                break;
            default:
                throw new IllegalArgumentException("unknown native component " + component);
        }
        String path = Loader.load(c);
        if (path == null) {
            throw new UnsatisfiedLinkError("JavaCPP found no native library for " + c.getName());
        }
        return c;
    }
}
