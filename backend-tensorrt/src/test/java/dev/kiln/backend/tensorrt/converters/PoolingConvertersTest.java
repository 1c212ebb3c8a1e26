package dev.kiln.backend.tensorrt.converters;

import dev.kiln.ir.SymExpr;
import dev.kiln.passes.shapes.ShapeMath;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pooling geometry the converters hand TensorRT, against PyTorch's rules (ATen {@code Pool.h}
 * {@code pooling_output_shape} and the avg_pool kernels' divisor). Expected values are worked by hand from
 * <pre>
 * out = floor_or_ceil((L + 2p - d(k-1) - 1) / s) + 1;  ceil mode: if (out-1)*s >= L + p then out -= 1
 * post = max(0, (out-1)*s + d(k-1) + 1 - L - p)        (TensorRT round-down then gives out)
 * divisor = |[o*s - p, o*s - p + k) clipped to [-p, L+p)|  (count_include_pad; else clipped to [0, L))
 * </pre>
 * The cases are the kit's failures of 2026-12-04, where TensorRT's round-up gave one more window.
 */
class PoolingConvertersTest {

    static long out(long in, long k, long s, long p, boolean ceil) {
        return PoolingConverters.outputSize(in, k, s, p, 1, ceil);
    }

    @Test
    void ceilModeDropsAWindowThatStartsPastTheLeftPaddedInput() {
        // max_pool1d(f32[1,1,2], [1], [2], [0], [1], true): (2-1)/2 -> ceil 1, +1 = 2; (2-1)*2 = 2 >= 2 + 0, so 1
        assertThat(out(2, 1, 2, 0, true)).isEqualTo(1);
        // max_pool1d(f32[1,4,4], [2], [3], [1], [1], true): (4+2-1-1)/3 = 4/3 -> 2, +1 = 3; 2*3 = 6 >= 4 + 1, so 2
        assertThat(out(4, 2, 3, 1, true)).isEqualTo(2);
        // max_pool1d(f32[3,4,5], [3], [3], [1], [1], true): 4/3 -> 2, +1 = 3; 6 >= 6, so 2
        assertThat(out(5, 3, 3, 1, true)).isEqualTo(2);
        // max_pool1d(f16[3,3,8], [1], [2], [0], [1], true): 7/2 -> 4, +1 = 5; 8 >= 8, so 4
        assertThat(out(8, 1, 2, 0, true)).isEqualTo(4);
        // avg_pool2d(bf16[2,2,9,2], [1,2], [3], [0,0], true, true): 8/3 -> 3, +1 = 4; 9 >= 9, so 3; 0/3 -> 0, +1 = 1
        assertThat(out(9, 1, 3, 0, true)).isEqualTo(3);
        assertThat(out(2, 2, 3, 0, true)).isEqualTo(1);
        // avg_pool3d(f32[2,2,4,3,4], [3,1,1], [1,1,2], [1,0,0], true, false): 4, 3, and 3/2 -> 2, +1 = 3; 4 >= 4, so 2
        assertThat(out(4, 3, 1, 1, true)).isEqualTo(4);
        assertThat(out(3, 1, 1, 0, true)).isEqualTo(3);
        assertThat(out(4, 1, 2, 0, true)).isEqualTo(2);
        // max_pool3d(f32[3,1,2,4,6], [1,2,2], [2,1,2], [0,1,1], [1], true): libtorch [1, 5, 4]
        assertThat(new long[] {out(2, 1, 2, 0, true), out(4, 2, 1, 1, true), out(6, 2, 2, 1, true)}).containsExactly(1, 5, 4);
        // a window that starts in the right padding is dropped, one that starts in the input stays:
        // L=6, k=3, s=2, p=1: 5/2 -> 3, +1 = 4; 3*2 = 6 < 7, so 4 (the last window [5, 8) overhangs L + p = 7)
        assertThat(out(6, 3, 2, 1, true)).isEqualTo(4);
    }

    @Test
    void floorModeIsTheConvolutionSize() {
        assertThat(out(9, 3, 2, 1, false)).isEqualTo(5);
        assertThat(out(8, 1, 2, 0, false)).isEqualTo(4);
        assertThat(out(5, 3, 3, 1, false)).isEqualTo(2);
    }

    @Test
    void dilationWidensTheWindow() {
        // L=5, k=2, d=2 (span 3), s=2, p=1: (5+2-2-1)/2 = 2 exactly, +1 = 3 either way; 4 < 6
        assertThat(PoolingConverters.outputSize(5, 2, 2, 1, 2, true)).isEqualTo(3);
        assertThat(PoolingConverters.outputSize(5, 2, 2, 1, 2, false)).isEqualTo(3);
        // L=6, k=3, d=2 (span 5), s=2, p=1: (6+2-4-1)/2 = 3/2 -> ceil 2 (+1 = 3; 4 < 7) or floor 1 (+1 = 2)
        assertThat(PoolingConverters.outputSize(6, 3, 2, 1, 2, true)).isEqualTo(3);
        assertThat(PoolingConverters.outputSize(6, 3, 2, 1, 2, false)).isEqualTo(2);
        // L=4, k=2, d=3 (span 4), s=3, p=0, ceil: 0/3 -> 0, +1 = 1
        assertThat(PoolingConverters.outputSize(4, 2, 3, 0, 3, true)).isEqualTo(1);
    }

    @Test
    void postPaddingEndsTheLastWindowAtThePaddedEnd() {
        // L=4, k=2, s=3, p=1, out 2: windows [-1, 1) and [2, 4): 3 + 2 - 4 - 1 = 0
        assertThat(PoolingConverters.postPadding(4, 2, 2, 3, 1, 1)).isEqualTo(0);
        // L=9, k=1, s=3, p=0, out 3: the last window [6, 7) leaves 2 input elements unused; never negative
        assertThat(PoolingConverters.postPadding(9, 3, 1, 3, 0, 1)).isEqualTo(0);
        // L=4, k=3, s=1, p=1, out 4: the last window [2, 5): 3 + 3 - 4 - 1 = 1
        assertThat(PoolingConverters.postPadding(4, 4, 3, 1, 1, 1)).isEqualTo(1);
        // L=6, k=3, s=2, p=1, out 4: the last window [5, 8) overhangs L + p by 1: post 2
        assertThat(PoolingConverters.postPadding(6, 4, 3, 2, 1, 1)).isEqualTo(2);
        // dilation: L=6, k=3, d=2, s=2, p=1, out 3: the last window starts at 3 and spans 5: 4 + 5 - 6 - 1 = 2
        assertThat(PoolingConverters.postPadding(6, 3, 3, 2, 1, 2)).isEqualTo(2);
    }

    @Test
    void divisorsCountTheExplicitPaddingButNotTheCeilOverhang() {
        // avg_pool1d(ones(6), 3, 2, 1, ceil_mode=True) windows [-1,2) [1,4) [3,6) [5,8); libtorch gives
        // [2/3, 1, 1, 1/2] with count_include_pad (clip to [-1, 7)) and [1, 1, 1, 1] without (clip to [0, 6))
        assertThat(PoolingConverters.divisors(6, 4, 3, 2, 1, true)).containsExactly(3, 3, 3, 2);
        assertThat(PoolingConverters.divisors(6, 4, 3, 2, 1, false)).containsExactly(2, 3, 3, 1);
        // no overhang (floor mode): the kernel everywhere with count_include_pad
        assertThat(PoolingConverters.divisors(9, 5, 3, 2, 1, true)).containsExactly(3, 3, 3, 3, 3);
        assertThat(PoolingConverters.divisors(9, 5, 3, 2, 1, false)).containsExactly(2, 3, 3, 3, 2);
    }

    @Test
    void rescaleTurnsTheKernelVolumeAverageIntoPyTorchs() {
        // 1d, L=6, k=3, s=2, p=1, out 4: 3 / [3, 3, 3, 2]
        assertThat(PoolingConverters.includePadRescale(new long[] {6}, new long[] {4}, new long[] {3}, new long[] {2}, new long[] {1}))
                .containsExactly(1, 1, 1, 1.5);
        // 2d, [6, 5], k [3, 2], s [2, 2], p [1, 0], out [4, 3]: divisors [3, 3, 3, 2] x [2, 2, 1], volume 6, row-major
        assertThat(PoolingConverters.includePadRescale(new long[] {6, 5}, new long[] {4, 3}, new long[] {3, 2}, new long[] {2, 2},
                new long[] {1, 0})).containsExactly(1, 1, 2, 1, 1, 2, 1, 1, 2, 1.5, 1.5, 3);
    }

    /**
     * Over small sizes: the size agrees with shape propagation's, TensorRT's round-down over the chosen
     * padding gives it, and every window keeps an input element and stays under TensorRT's "padding
     * smaller than the filter" rule for exclusive counting.
     */
    @Property(tries = 2000)
    void geometryAgreesWithShapePropagationAndTensorRt(@ForAll @IntRange(min = 1, max = 24) int in, @ForAll @IntRange(min = 1, max = 5) int k,
                                                       @ForAll @IntRange(min = 1, max = 5) int s, @ForAll @IntRange(min = 0, max = 2) int p,
                                                       @ForAll @IntRange(min = 1, max = 3) int d, @ForAll boolean ceil) {
        long effective = (long) d * (k - 1) + 1;
        if (2L * p > effective || in + 2L * p < effective) {
            return; // PyTorch refuses these
        }
        long out = PoolingConverters.outputSize(in, k, s, p, d, ceil);
        assertThat(ShapeMath.poolOutput(SymExpr.of(in), k, s, p, d, ceil)).isEqualTo(SymExpr.of(out));
        long post = ceil ? PoolingConverters.postPadding(in, out, k, s, p, d) : p;
        assertThat(Math.floorDiv(in + p + post - effective, s) + 1).isEqualTo(out);
        assertThat(post).isLessThan(effective);
        if (d == 1 && 2L * p <= k) {
            assertThat(java.util.Arrays.stream(PoolingConverters.divisors(in, out, k, s, p, false)).min().orElseThrow()).isGreaterThanOrEqualTo(1);
        }
    }

    /**
     * The converter's average-pooling plan, simulated in Java as TensorRT computes it (round-down over the input
     * padded by {@code p} before and the chosen post padding, dividing by the kernel size when padding counts,
     * else by the real elements, then the rescale where the plan needs one), against libtorch's own
     * {@code avg_pool1d} on the CPU for every small geometry with ceil_mode.
     */
    @Test
    void theAveragePoolingPlanMatchesLibtorchForEverySmallCeilModeGeometry() {
        java.util.Random r = new java.util.Random(7);
        int checked = 0;
        for (long in = 1; in <= 7; in++) {
            for (long k = 1; k <= 4; k++) {
                for (long s = 1; s <= 3; s++) {
                    for (long p = 0; p * 2 <= k; p++) {
                        if (in + 2 * p < k) {
                            continue;
                        }
                        for (boolean countPad : new boolean[] {true, false}) {
                            float[] x = new float[(int) in];
                            for (int i = 0; i < x.length; i++) {
                                x[i] = (float) r.nextGaussian();
                            }
                            dev.kiln.ir.ConstantTensor t = dev.kiln.ir.ConstantTensor.ofFloats(new long[] {1, 1, in}, x);
                            OneNode c = OneNode.of("aten::avg_pool1d", OneNode.in(t), ConverterCases.s(k), ConverterCases.s(s),
                                    ConverterCases.s(p), true, countPad);
                            dev.kiln.ir.ConstantTensor want = c.expected.get(0);
                            long out = PoolingConverters.outputSize(in, k, s, p, 1, true);
                            assertThat(want.sizes()[2]).as("size, L=%d k=%d s=%d p=%d", in, k, s, p).isEqualTo(out);
                            long post = PoolingConverters.postPadding(in, out, k, s, p, 1);
                            assertThat(post).isLessThan(k);
                            boolean overhang = post > p;
                            // the converter's choice (PoolingConverters.AvgPool.convert): exclude padding unless counting it,
                            // count it without rescale when no window overhangs, exclude it when there is no padding at all
                            boolean exclude = !countPad || (overhang && p == 0);
                            boolean rescale = countPad && overhang && p > 0;
                            double[] f = rescale ? PoolingConverters.includePadRescale(new long[] {in}, new long[] {out},
                                    new long[] {k}, new long[] {s}, new long[] {p}) : null;
                            for (int o = 0; o < out; o++) {
                                double sum = 0;
                                int real = 0;
                                for (long j = o * s - p; j < o * s - p + k; j++) {
                                    assertThat(j).isLessThan(in + post); // inside TensorRT's padded input
                                    if (j >= 0 && j < in) {
                                        sum += x[(int) j];
                                        real++;
                                    }
                                }
                                double trt = exclude ? sum / real : sum / k;
                                if (rescale) {
                                    trt *= f[o];
                                }
                                assertThat(trt).as("L=%d k=%d s=%d p=%d countPad=%s o=%d", in, k, s, p, countPad, o)
                                        .isCloseTo(want.getDouble(o), org.assertj.core.data.Offset.offset(1e-5));
                            }
                            checked++;
                        }
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(100);
    }

    /** What {@link PoolingConverters#ceilModeCrop} computes on shape tensors, for symbolic sizes, is PyTorch's ceil-mode size. */
    @Property(tries = 2000)
    void theRunTimeCropOfTensorRtsRoundUpIsPyTorchsCeilModeSize(@ForAll @IntRange(min = 1, max = 40) int in,
                                                               @ForAll @IntRange(min = 1, max = 6) int k,
                                                               @ForAll @IntRange(min = 1, max = 5) int s,
                                                               @ForAll @IntRange(min = 0, max = 3) int p) {
        if (2 * p > k || in + 2 * p < k) {
            return;
        }
        long roundUp = Math.floorDiv(in + 2L * p - k + s - 1, s) + 1; // TensorRT's kEXPLICIT_ROUND_UP with p on both sides
        long crop = Math.min(roundUp, Math.floorDiv(in + p - 1L, s) + 1);
        assertThat(crop).isEqualTo(PoolingConverters.outputSize(in, k, s, p, 1, true));
    }
}
