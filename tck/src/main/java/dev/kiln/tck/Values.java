package dev.kiln.tck;

import dev.kiln.ir.DType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * How the elements of a generated tensor are drawn: a base distribution (normal, uniform in a range,
 * integers in a range, booleans) and optionally special values mixed in (about one element in four):
 * finite ones ({@code ±0}, tiny and large magnitudes for the dtype) and, where the op gives them a
 * meaning, non-finite ones ({@code ±inf}, NaN). Shrinking turns the specials off first.
 *
 * <pre>{@code Values.normal().withSpecials().withNonFinite()}</pre>
 */
public record Values(Kind kind, double lo, double hi, boolean specials, boolean nonFinite) {

    /** The base distribution. */
    public enum Kind { NORMAL, UNIFORM, INTS, BOOLS }

    /** Standard normal times {@code hi} (1 here). */
    public static Values normal() {
        return new Values(Kind.NORMAL, 0, 1, false, false);
    }

    /** Normal with standard deviation {@code scale}. */
    public static Values normal(double scale) {
        return new Values(Kind.NORMAL, 0, scale, false, false);
    }

    /** Uniform in [lo, hi). */
    public static Values uniform(double lo, double hi) {
        return new Values(Kind.UNIFORM, lo, hi, false, false);
    }

    /** Integers uniform in [lo, hi) (also for float tensors: whole numbers). */
    public static Values ints(long lo, long hi) {
        return new Values(Kind.INTS, lo, hi, false, false);
    }

    /** 0 and 1. */
    public static Values bools() {
        return new Values(Kind.BOOLS, 0, 2, false, false);
    }

    /** The default for {@code dtype}: normal floats, small signed integers, booleans. */
    public static Values defaultFor(DType dtype) {
        return dtype == DType.BOOL ? bools() : dtype.isFloatingPoint() ? normal() : ints(-20, 21);
    }

    public Values withSpecials() {
        return new Values(kind, lo, hi, true, nonFinite);
    }

    public Values withNonFinite() {
        return new Values(kind, lo, hi, true, true);
    }

    public Values withSpecials(boolean on) {
        return new Values(kind, lo, hi, on, on && nonFinite);
    }

    /**
     * The special values for {@code dtype}: for floats ±0, ±tiny, ±large (large is 1e3 in f16 so that
     * products stay finite more often, 1e6 otherwise; tiny is a normal number of the dtype), clipped to
     * the uniform range when there is one, plus ±inf and NaN when non-finite values are on; for
     * integers the range's ends and 0; for booleans none.
     */
    public List<Double> specialsFor(DType dtype) {
        List<Double> out = new ArrayList<>();
        if (!specials || kind == Kind.BOOLS) {
            return out;
        }
        if (!dtype.isFloatingPoint() || kind == Kind.INTS) {
            for (double v : new double[] {lo, hi - 1, 0}) {
                if (v >= lo && v < hi && !out.contains(v)) {
                    out.add(v);
                }
            }
            return out;
        }
        double large = dtype == DType.FLOAT16 ? 1e3 : 1e6;
        double tiny = dtype == DType.FLOAT16 ? 1e-4 : 1e-30;
        for (double v : new double[] {0.0, -0.0, tiny, -tiny, large, -large}) {
            if (kind == Kind.NORMAL || (v >= lo && v < hi)) {
                out.add(v);
            }
        }
        if (kind == Kind.UNIFORM) {
            out.add(lo);
        }
        if (nonFinite) {
            out.add(Double.POSITIVE_INFINITY);
            out.add(Double.NEGATIVE_INFINITY);
            out.add(Double.NaN);
        }
        return out;
    }

    /** One element. */
    double draw(Random r, List<Double> specialValues) {
        if (!specialValues.isEmpty() && r.nextInt(4) == 0) {
            return specialValues.get(r.nextInt(specialValues.size()));
        }
        return switch (kind) {
            case NORMAL -> r.nextGaussian() * hi;
            case UNIFORM -> lo + (hi - lo) * r.nextDouble();
            case INTS -> (double) ((long) lo + (long) Math.floor(r.nextDouble() * (hi - lo)));
            case BOOLS -> r.nextInt(2);
        };
    }

    public String text() {
        String base = switch (kind) {
            case NORMAL -> hi == 1 ? "normal" : String.format(Locale.ROOT, "normal*%g", hi);
            case UNIFORM -> String.format(Locale.ROOT, "uniform[%g,%g)", lo, hi);
            case INTS -> String.format(Locale.ROOT, "ints[%d,%d)", (long) lo, (long) hi);
            case BOOLS -> "bools";
        };
        return base + (nonFinite ? "+nonfinite" : specials ? "+specials" : "");
    }
}
