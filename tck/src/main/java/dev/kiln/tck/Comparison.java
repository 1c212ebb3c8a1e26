package dev.kiln.tck;

import dev.kiln.ir.ConstantTensor;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Compares TensorRT's outputs with libtorch's for one case under a {@link Tolerance}: same count,
 * same dtype and sizes, non-finite positions identical, finite error within the dtype's bound.
 *
 * <pre>{@code Optional<String> why = Comparison.mismatch(expected, actual, Tolerance.DEFAULT, err -> {});}</pre>
 */
public final class Comparison {
    private Comparison() {
    }

    /** The error measure of {@link Tolerance} with the default floor (0 when equal; infinite when non-finite positions differ). */
    public static double error(ConstantTensor want, ConstantTensor got) {
        return error(want, got, Tolerance.DEFAULT.floor());
    }

    /** The error measure of {@link Tolerance}, relative to at least {@code floor}. */
    public static double error(ConstantTensor want, ConstantTensor got, double floor) {
        double maxDiff = 0;
        double maxRef = 0;
        for (long i = 0; i < want.numel(); i++) {
            double w = want.getDouble(i);
            double g = got.getDouble(i);
            if (Double.isFinite(w)) {
                maxRef = Math.max(maxRef, Math.abs(w));
            }
            if (w == g || Double.isNaN(w) && Double.isNaN(g)) {
                continue;
            }
            if (!Double.isFinite(w) || !Double.isFinite(g)) {
                return Double.POSITIVE_INFINITY;
            }
            maxDiff = Math.max(maxDiff, Math.abs(g - w));
        }
        return maxDiff == 0 ? 0 : maxDiff / Math.max(maxRef, floor);
    }

    /** Why {@code got} does not match {@code want}, if it does not; {@code worst} receives each float error. */
    public static Optional<String> mismatch(List<ConstantTensor> want, List<ConstantTensor> got, Tolerance tol,
                                            java.util.function.DoubleConsumer worst) {
        return mismatch(want, got, tol, worst, used -> { });
    }

    /**
     * As {@link #mismatch(List, List, Tolerance, java.util.function.DoubleConsumer)}; {@code used} also receives,
     * per float output, the fraction of its bound the error took (1 = at the bound): how narrowly a case passed.
     */
    public static Optional<String> mismatch(List<ConstantTensor> want, List<ConstantTensor> got, Tolerance tol,
                                            java.util.function.DoubleConsumer worst, java.util.function.DoubleConsumer used) {
        if (want.size() != got.size()) {
            return Optional.of("TensorRT gave " + got.size() + " outputs, libtorch " + want.size());
        }
        for (int i = 0; i < want.size(); i++) {
            ConstantTensor w = want.get(i);
            ConstantTensor g = got.get(i);
            if (!Arrays.equals(w.sizes(), g.sizes())) {
                return Optional.of("output " + i + " has sizes " + Arrays.toString(g.sizes()) + ", libtorch "
                        + Arrays.toString(w.sizes()));
            }
            if (w.dtype() != g.dtype()) {
                return Optional.of("output " + i + " is " + g.dtype().text() + ", libtorch " + w.dtype().text());
            }
            double err = error(w, g, tol.floor());
            double bound = tol.forDType(w.dtype());
            if (w.dtype().isFloatingPoint() && Double.isFinite(err)) {
                worst.accept(err);
                if (bound > 0) {
                    used.accept(err / bound);
                }
            }
            if (!(err <= bound)) {
                return Optional.of(String.format(Locale.ROOT, "output %d (%s%s) differs: error %.3e > %.1e%s", i,
                        w.dtype().text(), Arrays.toString(w.sizes()), err, bound, firstDifference(w, g)));
            }
        }
        return Optional.empty();
    }

    private static String firstDifference(ConstantTensor w, ConstantTensor g) {
        double worst = -1;
        long at = -1;
        for (long i = 0; i < w.numel(); i++) {
            double a = w.getDouble(i);
            double b = g.getDouble(i);
            if (a == b || Double.isNaN(a) && Double.isNaN(b)) {
                continue;
            }
            double d = Double.isFinite(a) && Double.isFinite(b) ? Math.abs(a - b) : Double.POSITIVE_INFINITY;
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        return at < 0 ? "" : String.format(Locale.ROOT, " (worst at flat index %d: TensorRT %s, libtorch %s)", at,
                g.getDouble(at), w.getDouble(at));
    }
}
