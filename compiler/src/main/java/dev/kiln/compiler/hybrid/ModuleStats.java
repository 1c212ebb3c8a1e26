package dev.kiln.compiler.hybrid;

import java.util.Locale;

/**
 * What a module has done since it was loaded: forward calls, execution contexts made (one per
 * concurrent caller at the peak), and the copies made at boundaries between TensorRT and a libtorch
 * stage running on the CPU (device to host before the stage, host to device after it), with their
 * bytes. Copies of the caller's own inputs and outputs are not boundary copies.
 *
 * <pre>{@code ModuleStats s = module.stats(); s.boundaryCopiesPerForward()}</pre>
 */
public record ModuleStats(long forwards, long contexts, long deviceToHost, long hostToDevice, long boundaryBytes) {
    /** Boundary copies (both directions) per forward call; 0 before the first call. */
    public double boundaryCopiesPerForward() {
        return forwards == 0 ? 0 : (double) (deviceToHost + hostToDevice) / forwards;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "forwards=%d contexts=%d boundary_copies=%d (d2h=%d h2d=%d, %.1f per forward, %d bytes)",
                forwards, contexts, deviceToHost + hostToDevice, deviceToHost, hostToDevice, boundaryCopiesPerForward(),
                boundaryBytes);
    }
}
