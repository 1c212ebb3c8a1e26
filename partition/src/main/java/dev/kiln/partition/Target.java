package dev.kiln.partition;

import java.util.Locale;

/** Where a node runs: in a TensorRT engine or in libtorch. */
public enum Target {
    TENSORRT, TORCH;

    /** {@code tensorrt} or {@code torch}, as reports print it. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }
}
