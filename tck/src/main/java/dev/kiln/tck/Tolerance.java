package dev.kiln.tck;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;

import java.util.List;
import java.util.Locale;

/**
 * How close TensorRT's outputs must be to libtorch's, per dtype. The measure is the error relative
 * to the largest reference magnitude, {@code max|y - ref| / max(max|ref|, floor)}, taken over the
 * positions where both are finite; non-finite positions must match exactly (NaN with NaN, inf with
 * the same inf). Defaults: f32 1e-4, f16 1e-2, bf16 4e-2; integers and bool exact. Ops whose kernels
 * legitimately differ more (transcendentals, attention, pow, cumsum) declare a looser one with
 * {@link #scaled} or {@link #of}. The {@code floor} (default 1e-6) is the smallest magnitude the error
 * is taken relative to; ops whose outputs have a natural unit scale (normalizations, log-probabilities)
 * declare {@code 1} with {@link #relativeToAtLeast}, so that an output that is mathematically zero
 * everywhere (a layer norm over one element) compares by absolute error instead of by the ratio of two
 * rounding residues (TensorRT 0.0, libtorch's f16 kernel 2.7e-5). Ops whose result is a sum that may
 * cancel ({@code a + alpha b}) declare {@link #relativeToInputs}: the error of a rounded sum is bounded
 * relative to its terms, not to its result, and libtorch's CPU kernels round differently from its CUDA
 * kernels there (CPU rounds {@code alpha} to the tensor's 16-bit type first; CUDA, like Kiln, computes in
 * f32 and rounds once), so a result that nearly cancels differs by a few ulps of the terms.
 *
 * <pre>{@code Tolerance.DEFAULT.scaled(10)   // f32 1e-3, f16 1e-1, bf16 4e-1}</pre>
 */
public record Tolerance(double f32, double f16, double bf16, double floor, boolean inputScaled) {

    public static final Tolerance DEFAULT = new Tolerance(1e-4, 1e-2, 4e-2, 1e-6);

    public Tolerance {
        if (!(floor > 0)) {
            throw new IllegalArgumentException("the floor of a tolerance must be positive, got " + floor);
        }
    }

    /** Bounds taken relative to the outputs alone (at least {@code floor}). */
    public Tolerance(double f32, double f16, double bf16, double floor) {
        this(f32, f16, bf16, floor, false);
    }

    public static Tolerance of(double f32, double f16, double bf16) {
        return new Tolerance(f32, f16, bf16, DEFAULT.floor);
    }

    /** Every float tolerance times {@code factor}. */
    public Tolerance scaled(double factor) {
        return new Tolerance(f32 * factor, f16 * factor, bf16 * factor, floor, inputScaled);
    }

    /** The same bounds, with errors taken relative to at least {@code floor} (see the class comment). */
    public Tolerance relativeToAtLeast(double floor) {
        return new Tolerance(f32, f16, bf16, floor, inputScaled);
    }

    /**
     * The same bounds, with errors taken relative to at least the largest finite magnitude among the case's
     * floating-point inputs (see the class comment: for sums that may cancel).
     */
    public Tolerance relativeToInputs() {
        return new Tolerance(f32, f16, bf16, floor, true);
    }

    /** This tolerance for one case fed {@code inputs}: with {@link #relativeToInputs}, its floor raised to their largest finite magnitude. */
    public Tolerance forInputs(List<ConstantTensor> inputs) {
        if (!inputScaled) {
            return this;
        }
        double largest = floor;
        for (ConstantTensor t : inputs) {
            if (!t.dtype().isFloatingPoint()) {
                continue;
            }
            for (long i = 0; i < t.numel(); i++) {
                double v = Math.abs(t.getDouble(i));
                if (Double.isFinite(v) && v > largest) {
                    largest = v;
                }
            }
        }
        return new Tolerance(f32, f16, bf16, largest, false);
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
        String text = String.format(Locale.ROOT, "f32 %.1e, f16 %.1e, bf16 %.1e, ints exact", f32, f16, bf16);
        if (floor != DEFAULT.floor) {
            text += String.format(Locale.ROOT, ", relative to at least %.1e", floor);
        }
        return inputScaled ? text + ", relative to at least the largest input magnitude" : text;
    }
}
