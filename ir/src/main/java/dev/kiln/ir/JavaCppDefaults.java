package dev.kiln.ir;

/**
 * The JavaCPP setting Kiln runs with: {@code org.bytedeco.javacpp.maxPhysicalBytes=0}, unless the application set the
 * property itself. While that limit is above zero (JavaCPP's default), every native object JavaCPP allocates with a
 * deallocator, each libtorch call's IValues and tensors among them, first reads the process's resident memory from
 * the operating system, under one lock for the whole JVM. Measured on this project's 2-core CI machine
 * (2026-12-05): a 2000-step RNN loop run by Kiln's libtorch interpreter took 147 us per step with the check and 27 us
 * without (TorchScript's own interpreter: 9 us). Kiln frees native memory through owners ({@code close}, pointer
 * scopes), not through the garbage collector, which is what the check exists to prod; JavaCPP's own byte count
 * ({@code maxBytes}) still applies.
 *
 * <p>JavaCPP reads the property once, when its {@code Pointer} class initializes: Kiln's entry points ({@code Kiln},
 * the command line, the bench, the frontends, the libtorch and TensorRT backends) call {@link #apply} in their static
 * initializers. An application that uses JavaCPP before it first touches Kiln passes
 * {@code -Dorg.bytedeco.javacpp.maxPhysicalBytes=0} to the JVM instead ({@code Pointer.maxPhysicalBytes()} says
 * whether it took; the compiler warns once when it did not, {@code dev.kiln.compiler.JavaCppCheck}). It lives here, where nothing needs JavaCPP, because every module that loads natives depends on
 * this one.
 */
public final class JavaCppDefaults {
    /** The property, in the spelling JavaCPP reads second (it also reads {@code maxphysicalbytes}). */
    public static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxPhysicalBytes";

    private static volatile boolean setByKiln;

    private JavaCppDefaults() {
    }

    /** Sets {@link #MAX_PHYSICAL_BYTES} to 0 unless it is set (in either spelling). Cheap; call it as often as needed. */
    public static void apply() {
        if (System.getProperty(MAX_PHYSICAL_BYTES) == null && System.getProperty("org.bytedeco.javacpp.maxphysicalbytes") == null) {
            System.setProperty(MAX_PHYSICAL_BYTES, "0");
            setByKiln = true;
        }
    }

    /**
     * Whether {@link #apply} set the property (the application had not): then a JavaCPP that still checks memory was
     * initialized before Kiln, and Kiln's setting came too late.
     */
    public static boolean setByKiln() {
        return setByKiln;
    }
}
