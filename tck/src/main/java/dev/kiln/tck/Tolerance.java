package dev.kiln.tck;

import dev.kiln.ir.DType;

import java.util.Locale;

/**
 * How close TensorRT's outputs must be to libtorch's, per dtype. The measure is the error relative
 * to the largest reference magnitude, {@code max|y - ref| / max(max|ref|, 1e-6)}, taken over the
 * positions where both are finite; non-finite positions must match exactly (NaN with NaN, inf with
 * the same inf). Defaults: f32 1e-4, f16 1e-2, bf16 4e-2; integers and bool exact. Ops whose kernels
 * legitimately differ more (transcendentals, attention, pow, cumsum) declare a looser one with
 * {@link #scaled} or {@link #of}.
 *
 * <pre>{@code Tolerance.DEFAULT.scaled(10)   // f32 1e-3, f16 1e-1, bf16 4e-1}</pre>
 */
public record Tolerance(double f32, double f16, double bf16) {

    public static final Tolerance DEFAULT = new Tolerance(1e-4, 1e-2, 4e-2);

    public static Tolerance of(double f32, double f16, double bf16) {
        return new Tolerance(f32, f16, bf16);
    }

    /** Every float tolerance times {@code factor}. */
    public Tolerance scaled(double factor) {
        return new Tolerance(f32 * factor, f16 * factor, bf16 * factor);
    }

    /** The bound for an output of {@code dtype} (0 = exact). */
    public double forDType(DType dtype) {
        return switch (dtype) {
            case FLOAT32, FLOAT64 -> f32;
            case FLOAT16 -> f16;
            case BFLOAT16 -> bf16;
            default -> 0;
        };
    }

    public String text() {
        return String.format(Locale.ROOT, "f32 %.1e, f16 %.1e, bf16 %.1e, ints exact", f32, f16, bf16);
    }
}
