package dev.kiln.quantization;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;

import java.util.Arrays;

/**
 * The distribution of one tensor's magnitudes over every calibration batch: the largest {@code |x|} seen and a
 * histogram of {@code |x|} in bins of one width from 0. A batch with a larger maximum adds bins of the same width,
 * so earlier counts keep their place; past {@link #MAX_BINS} bins, pairs of bins merge (the width doubles). From
 * it each {@link CalibrationMethod} picks the {@code amax} that maps to the int8 range's end.
 *
 * <pre>{@code RangeHistogram h = new RangeHistogram();
 * for (ConstantTensor batch : activations) h.add(batch);
 * double amax = h.amax(CalibrationMethod.ENTROPY, 0);}</pre>
 */
public final class RangeHistogram {
    /** Bins the first batch spreads over its maximum (TensorRT's and ModelOpt's entropy calibrators use 2048). */
    public static final int INITIAL_BINS = 2048;
    /** The most bins one histogram keeps. */
    public static final int MAX_BINS = 1 << 16;
    /** Quantization levels on one side of zero for int8 (the entropy search's coarsest histogram). */
    static final int INT8_LEVELS = 128;
    /** The most bins the entropy search runs over (its cost grows with their square). */
    static final int ENTROPY_BINS = 4096;

    private long[] counts = new long[0];
    private double width;
    private double max;
    private long total;

    /** Adds every element of {@code t} (any floating or integer dtype); a non-finite element is an error. */
    public void add(ConstantTensor t) {
        long n = t.numel();
        // magnitudes once, in bulk for f32 (what activations are during calibration), element by element otherwise
        float[] mags = magnitudes(t);
        double m = 0;
        for (int i = 0; i < mags.length; i++) {
            float v = mags[i];
            if (!Float.isFinite(v)) {
                throw new KilnException("calibration saw a non-finite value (" + t.getDouble(i) + ") at element " + i
                        + "; the model or the calibration inputs produce NaN or infinity there");
            }
            if (v > m) {
                m = v;
            }
        }
        if (n == 0) {
            return;
        }
        max = Math.max(max, m);
        if (counts.length == 0) {
            if (m == 0) {
                total += n; // all zeros so far: no width yet; counted once a non-zero batch arrives
                return;
            }
            width = m / INITIAL_BINS;
            counts = new long[INITIAL_BINS];
            counts[0] += total; // the zeros of earlier all-zero batches
        } else if (m > width * counts.length) {
            grow((int) Math.min(Integer.MAX_VALUE - 8, (long) Math.ceil(m / width)));
        }
        int last = counts.length - 1;
        double inv = 1 / width;
        for (float v : mags) {
            counts[Math.min(last, (int) (v * inv))]++;
        }
        total += n;
    }

    /** |x| of every element as f32 (calibration ranges need no more precision than that). */
    static float[] magnitudes(ConstantTensor t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new KilnException("calibration cannot histogram a tensor of " + n + " elements at once");
        }
        float[] out = new float[(int) n];
        if (t.dtype() == dev.kiln.ir.DType.FLOAT32) {
            t.data().asFloatBuffer().get(out);
            for (int i = 0; i < out.length; i++) {
                out[i] = Math.abs(out[i]);
            }
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) Math.abs(t.getDouble(i));
            }
        }
        return out;
    }

    private void grow(int bins) {
        int merge = 1;
        while ((long) Math.ceil((double) bins / merge) > MAX_BINS) {
            merge *= 2;
        }
        long[] next = new long[(int) Math.ceil((double) bins / merge)];
        for (int i = 0; i < counts.length; i++) {
            next[i / merge] += counts[i];
        }
        counts = next;
        width *= merge;
    }

    /** The largest magnitude seen. */
    public double max() {
        return max;
    }

    /** How many elements were added. */
    public long count() {
        return total;
    }

    /** The histogram's bin counts (a copy) and, with {@link #binWidth()}, its edges: bin i holds [i*w, (i+1)*w). */
    public long[] counts() {
        return counts.clone();
    }

    public double binWidth() {
        return width;
    }

    /**
     * The magnitude {@code method} maps to 127: the largest seen ({@code MAX}), the {@code percentile}-th percentile of
     * {@code |x|} ({@code PERCENTILE}, e.g. 99.99), or the clipping point whose int8 histogram is closest to the full
     * one in Kullback-Leibler divergence ({@code ENTROPY}). 0 when every value seen was 0.
     */
    public double amax(CalibrationMethod method, double percentile) {
        if (counts.length == 0) {
            return 0;
        }
        return switch (method) {
            case MAX -> max;
            case PERCENTILE -> percentileAmax(percentile);
            case ENTROPY -> entropyAmax();
        };
    }

    private double percentileAmax(double percentile) {
        if (!(percentile > 0 && percentile <= 100)) {
            throw new KilnException("calibration percentile must be in (0, 100], got " + percentile);
        }
        double want = percentile / 100 * total;
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= want) {
                return Math.min(max, (i + 1) * width);
            }
        }
        return max;
    }

    /**
     * For each candidate clipping bin {@code i} (from 128 to all bins): the reference distribution is the first
     * {@code i} bins with everything beyond added to the last; the candidate is those {@code i} bins merged into 128
     * levels and spread back evenly over each level's non-empty bins. The {@code i} with the smallest divergence
     * KL(reference || candidate) gives {@code amax = i * width}. (TensorRT's entropy calibration, in the form NVIDIA's
     * calibrators implement it, the zero bin damped to its neighbour's count.)
     */
    private double entropyAmax() {
        // the search is quadratic in the bins: a histogram that grew past ENTROPY_BINS is searched merged down
        long[] counts = this.counts;
        double width = this.width;
        while (counts.length > ENTROPY_BINS) {
            long[] half = new long[(counts.length + 1) / 2];
            for (int k = 0; k < counts.length; k++) {
                half[k / 2] += counts[k];
            }
            counts = half;
            width *= 2;
        }
        int n = counts.length;
        if (n <= INT8_LEVELS) {
            return max;
        }
        // the zero bin (every ReLU output below 0) would dominate both distributions: it counts as its neighbour
        // does, as in NVIDIA's calibrators
        counts = counts.clone();
        if (n > 1) {
            counts[0] = counts[1];
        }
        long[] suffix = new long[n + 1];
        for (int i = n - 1; i >= 0; i--) {
            suffix[i] = suffix[i + 1] + counts[i];
        }
        double best = Double.POSITIVE_INFINITY;
        int bestI = n;
        double[] p = new double[n];
        double[] q = new double[n];
        for (int i = INT8_LEVELS; i <= n; i++) {
            for (int k = 0; k < i; k++) {
                p[k] = counts[k];
            }
            p[i - 1] += suffix[i];
            Arrays.fill(q, 0, i, 0);
            for (int level = 0; level < INT8_LEVELS; level++) {
                int from = (int) ((long) level * i / INT8_LEVELS);
                int to = (int) ((long) (level + 1) * i / INT8_LEVELS);
                long sum = 0;
                int nonEmpty = 0;
                for (int k = from; k < to; k++) {
                    sum += counts[k];
                    if (counts[k] != 0) {
                        nonEmpty++;
                    }
                }
                if (nonEmpty == 0) {
                    continue;
                }
                double each = (double) sum / nonEmpty;
                for (int k = from; k < to; k++) {
                    if (counts[k] != 0) {
                        q[k] = each;
                    }
                }
            }
            double kl = divergence(p, q, i);
            if (kl < best) {
                best = kl;
                bestI = i;
            }
        }
        return Math.min(max, bestI * width);
    }

    /** KL(p || q) over the first {@code n} entries, both normalized; infinite where q is 0 and p is not. */
    static double divergence(double[] p, double[] q, int n) {
        double sp = 0;
        double sq = 0;
        for (int k = 0; k < n; k++) {
            sp += p[k];
            sq += q[k];
        }
        if (sp == 0) {
            return 0;
        }
        if (sq == 0) {
            return Double.POSITIVE_INFINITY;
        }
        double kl = 0;
        for (int k = 0; k < n; k++) {
            if (p[k] == 0) {
                continue;
            }
            if (q[k] == 0) {
                return Double.POSITIVE_INFINITY;
            }
            double pk = p[k] / sp;
            kl += pk * Math.log(pk / (q[k] / sq));
        }
        return kl;
    }
}
