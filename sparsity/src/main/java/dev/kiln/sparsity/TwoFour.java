package dev.kiln.sparsity;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.KilnException;

import java.nio.ByteBuffer;

/**
 * The 2:4 structured-sparsity pattern of NVIDIA's sparse tensor cores: along a weight's input-channel dimension,
 * every group of four consecutive elements (for each output channel and each kernel position) holds at least two
 * zeros. A last group shorter than four counts as padded with zeros, as TensorRT pads it.
 *
 * <pre>{@code TwoFour.Census c = TwoFour.census(convWeight, 1);   // KCRS: input channels are dimension 1
 * ConstantTensor pruned = TwoFour.prune(convWeight, 1);}</pre>
 */
public final class TwoFour {
    private TwoFour() {
    }

    /** How many groups of four a weight has along the axis, and how many of them break the pattern. */
    public record Census(long groups, long violating) {
        public boolean sparse() {
            return groups > 0 && violating == 0;
        }
    }

    /** The groups of {@code w} along {@code axis} and how many have more than two non-zero elements. */
    public static Census census(ConstantTensor w, int axis) {
        Layout l = Layout.of(w, axis);
        long violating = 0;
        for (long outer = 0; outer < l.outer; outer++) {
            for (long inner = 0; inner < l.inner; inner++) {
                for (long g = 0; g < l.channels; g += 4) {
                    int nonZero = 0;
                    for (long c = g; c < Math.min(g + 4, l.channels); c++) {
                        if (w.getDouble(l.index(outer, c, inner)) != 0) {
                            nonZero++;
                        }
                    }
                    if (nonZero > 2) {
                        violating++;
                    }
                }
            }
        }
        return new Census(l.groups(), violating);
    }

    /**
     * {@code w} with the two smallest magnitudes of every group of four along {@code axis} set to zero (the two
     * largest kept; of equal magnitudes the earlier): magnitude pruning to 2:4. It changes what the model computes,
     * so it is for weights trained to be 2:4 (NVIDIA's ASP) or for measuring what sparse kernels would gain.
     */
    public static ConstantTensor prune(ConstantTensor w, int axis) {
        Layout l = Layout.of(w, axis);
        if (!w.dtype().isFloatingPoint()) {
            throw new KilnException("2:4 pruning takes floating weights, not " + w.dtype());
        }
        ByteBuffer out = ConstantTensor.allocate(w.dtype(), w.sizes());
        out.put(w.data());
        out.flip();
        long[] idx = new long[4];
        for (long outer = 0; outer < l.outer; outer++) {
            for (long inner = 0; inner < l.inner; inner++) {
                for (long g = 0; g < l.channels; g += 4) {
                    int n = (int) Math.min(4, l.channels - g);
                    if (n <= 2) {
                        continue;
                    }
                    for (int k = 0; k < n; k++) {
                        idx[k] = l.index(outer, g + k, inner);
                    }
                    // keep the two largest magnitudes: find them, zero the rest
                    int first = -1;
                    int second = -1;
                    for (int k = 0; k < n; k++) {
                        double m = Math.abs(w.getDouble(idx[k]));
                        if (first < 0 || m > Math.abs(w.getDouble(idx[first]))) {
                            second = first;
                            first = k;
                        } else if (second < 0 || m > Math.abs(w.getDouble(idx[second]))) {
                            second = k;
                        }
                    }
                    for (int k = 0; k < n; k++) {
                        if (k != first && k != second) {
                            ElementCodec.put(w.dtype(), out, idx[k], 0.0);
                        }
                    }
                }
            }
        }
        return new ConstantTensor(w.dtype(), w.sizes(), out);
    }

    /** A weight seen as [outer, channels, inner] around the channel axis. */
    private record Layout(long outer, long channels, long inner) {
        static Layout of(ConstantTensor w, int axis) {
            long[] s = w.sizes();
            if (axis < 0 || axis >= s.length) {
                throw new KilnException("2:4 sparsity along dimension " + axis + " of a rank-" + s.length + " weight");
            }
            long outer = 1;
            for (int d = 0; d < axis; d++) {
                outer *= s[d];
            }
            long inner = 1;
            for (int d = axis + 1; d < s.length; d++) {
                inner *= s[d];
            }
            return new Layout(outer, s[axis], inner);
        }

        long index(long o, long c, long i) {
            return (o * channels + c) * inner + i;
        }

        long groups() {
            return outer * inner * ((channels + 3) / 4);
        }
    }
}
