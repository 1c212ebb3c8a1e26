package dev.kiln.backend.tensorrt;

import dev.kiln.passes.Precision;

import java.util.Objects;

/**
 * What a converter's {@code check} and {@code convert} may depend on besides the node: the compile's
 * precision target (the precision pass has already typed every tensor; converters follow the IR's
 * dtypes) and whether the network has dynamic shapes.
 *
 * <pre>{@code ConverterSettings s = new ConverterSettings(Precision.FP16, true);}</pre>
 */
public record ConverterSettings(Precision precision, boolean dynamicShapes) {
    public ConverterSettings {
        Objects.requireNonNull(precision, "precision");
    }

    public static ConverterSettings defaults() {
        return new ConverterSettings(Precision.FP32, false);
    }
}
