package dev.kiln.compiler.measure;

import java.util.Arrays;

/**
 * Summary statistics of timing samples: median (mean of the two middle samples for an even count),
 * p99 by the nearest-rank rule (the smallest sample with at least 99% of the samples at or below it;
 * the same rule as {@code export_and_time.py}), mean and minimum.
 *
 * <pre>{@code Stats s = Stats.of(new double[] {1.0, 2.0, 3.0}); s.median() == 2.0}</pre>
 *
 * @param median median of the samples
 * @param p99    99th percentile (nearest rank)
 * @param mean   arithmetic mean
 * @param min    smallest sample
 * @param n      number of samples
 */
public record Stats(double median, double p99, double mean, double min, int n) {

    /** The statistics of {@code samples} (not changed); at least one sample. */
    public static Stats of(double[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        int n = s.length;
        double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        double sum = 0;
        for (double v : s) {
            sum += v;
        }
        return new Stats(median, percentile(s, 99), sum / n, s[0], n);
    }

    /**
     * The host wall time of each of {@code iters} calls of {@code call}, after {@code warmup} untimed ones, in units of
     * {@code nanosPerUnit} nanoseconds (1e3: microseconds, 1e6: milliseconds).
     */
    public static double[] wallTimes(Runnable call, int warmup, int iters, double nanosPerUnit) {
        for (int i = 0; i < warmup; i++) {
            call.run();
        }
        double[] out = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            call.run();
            out[i] = (System.nanoTime() - t0) / nanosPerUnit;
        }
        return out;
    }

    /** The nearest-rank {@code q}-th percentile (0 < q <= 100) of SORTED samples. */
    public static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        if (!(q > 0 && q <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + q);
        }
        int rank = (int) Math.ceil(q / 100.0 * sorted.length);
        return sorted[Math.max(1, Math.min(rank, sorted.length)) - 1];
    }
}
