package dev.kiln.compiler.hybrid;

import dev.kiln.backend.torch.TorchDevice;

import java.util.Locale;

/**
 * Where the libtorch stages of a program run, decided in this one place. Today that is the CPU: only
 * the CPU build of libtorch is on Kiln's class path, so a torch stage between two engines costs a
 * device-to-host copy of its inputs and a host-to-device copy of its outputs (counted in
 * {@link ModuleStats}). With the CUDA build of libtorch on the class path and
 * {@code -Dkiln.torch.device=cuda}, torch stages read and write the engines' GPU buffers in place
 * ({@code from_blob} on device pointers) and no copy is made; that path has not been run yet.
 *
 * <pre>{@code TorchDevice d = TorchPlacement.device(); d.isCuda()}</pre>
 */
public final class TorchPlacement {
    /** The system property that asks for CUDA libtorch ({@code cuda} or {@code cuda:N}); default {@code cpu}. */
    public static final String PROPERTY = "kiln.torch.device";

    private TorchPlacement() {
    }

    /** The device torch stages run on: the CPU unless {@value #PROPERTY} names a CUDA device libtorch can use. */
    public static TorchDevice device() {
        String want = System.getProperty(PROPERTY, "cpu").strip().toLowerCase(Locale.ROOT);
        TorchDevice d = TorchDevice.parse(want);
        return d.isCuda() ? d.requireAvailable() : d;
    }
}
