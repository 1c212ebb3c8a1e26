package dev.kiln.tck.builtin;

import dev.kiln.ir.DType;
import dev.kiln.tck.ConverterConformance;
import dev.kiln.tck.Draw;
import dev.kiln.tck.Gen;
import dev.kiln.tck.OpCase;
import dev.kiln.tck.OpDomain;
import dev.kiln.tck.TensorSpec;
import dev.kiln.tck.Tolerance;
import dev.kiln.tck.Values;

import java.util.ArrayList;
import java.util.List;

/** Convolutions (plain, padded by mode, transposed), pooling, normalization and resizing. */
class ConvPoolNormConformanceTest extends ConverterConformance {
    /** Convolutions sum many products: looser than element-wise ops. */
    static final Tolerance CONV = Tolerance.DEFAULT.scaled(10);

    static long[] fill(int n, long v) {
        long[] o = new long[n];
        java.util.Arrays.fill(o, v);
        return o;
    }

    static long[] ints(Draw x, int n, long lo, long hi) {
        long[] o = new long[n];
        for (int i = 0; i < n; i++) {
            o[i] = x.longBetween(lo, hi);
        }
        return o;
    }

    /** An int list of 1 or {@code n} entries (PyTorch broadcasts a single one). */
    static long[] intList(Draw x, int n, long lo, long hi) {
        return x.oneIn(3) ? new long[] {x.longBetween(lo, hi)} : ints(x, n, lo, hi);
    }

    static long at(long[] l, int i) {
        return l.length == 1 ? l[0] : l[i];
    }

    /** conv{1,2,3}d (and the convolution forms): input [N, C, spatial...], weight [O, C/groups, k...]. */
    static OpCase conv(Draw x, String op, int sp, boolean transposed, boolean batched) {
        DType t = x.dtype(Gen.FLOATS);
        long groups = x.oneIn(3) ? x.longBetween(1, 3) : 1;
        long cin = groups * x.size(1, 4);
        long cout = groups * x.size(1, 4);
        if (!transposed && x.oneIn(6)) {
            // grouped with channel counts that are multiples of 8, like real models' depthwise and grouped layers: in
            // f16/bf16 these keep TensorRT's 16-bit kernels while smaller counts run in f32 (ConvolutionConverters)
            cin = 8 * x.longBetween(1, 2);
            groups = x.oneIn(2) ? cin : 2;
            cout = cin * x.longBetween(1, 2);
        }
        long[] k = ints(x, sp, 1, 3);
        long[] stride = intList(x, sp, 1, 2);
        // transposed: no padding, so the output is never empty whatever the kernel
        long[] pad = transposed ? new long[] {0} : intList(x, sp, 0, 1);
        long[] dil = transposed ? fill(1, 1) : intList(x, sp, 1, 2);
        long[] in = new long[(batched ? 2 : 1) + sp];
        int o = 0;
        if (batched) {
            in[o++] = x.size(1, 3);
        }
        in[o++] = cin;
        for (int i = 0; i < sp; i++) {
            long need = at(dil, i) * (k[i] - 1) + 1 - 2 * at(pad, i);
            in[o++] = Math.max(need, 1) + x.longBetween(0, sp == 3 ? 3 : 6);
        }
        long[] w = new long[2 + sp];
        w[0] = transposed ? cin : cout;
        w[1] = transposed ? cout / groups : cin / groups;
        System.arraycopy(k, 0, w, 2, sp);
        TensorSpec input = x.tensor(t, in, Values.normal());
        OpCase.Weight weight = new OpCase.Weight(x.tensor(t, w, Values.normal()));
        Object bias = x.oneIn(3) ? null : new OpCase.Weight(x.tensor(t, new long[] {transposed ? cout : cout}, Values.normal()));
        switch (op) {
            case "aten::convolution":
            case "aten::_convolution": {
                long[] outPad = transposed ? new long[sp] : fill(sp, 0);
                if (transposed) {
                    for (int i = 0; i < sp; i++) {
                        outPad[i] = at(stride, i) > 1 ? x.longBetween(0, 1) : 0;
                    }
                }
                OpCase c = OpCase.of(op, input, weight, bias, stride, pad, dil, transposed, outPad, groups);
                return op.equals("aten::_convolution") ? OpCase.of(op, input, weight, bias, stride, pad, dil, transposed, outPad, groups,
                        false, false, true, true) : c;
            }
            default:
                if (transposed) {
                    return OpCase.of(op, input, weight, bias, stride, pad, fill(sp, 0), groups, dil);
                }
                return OpCase.of(op, input, weight, bias, stride, pad, dil, groups);
        }
    }

    static OpCase convPadding(Draw x, String op, int sp) {
        DType t = x.dtype(Gen.FLOATS);
        String mode = x.pick("same", "valid");
        long cin = x.size(1, 4);
        long cout = x.size(1, 4);
        long[] k = ints(x, sp, 1, 4);
        long[] dil = mode.equals("same") ? intList(x, sp, 1, 2) : fill(1, 1);
        long[] in = new long[2 + sp];
        in[0] = x.size(1, 3);
        in[1] = cin;
        for (int i = 0; i < sp; i++) {
            in[2 + i] = at(dil, i) * (k[i] - 1) + 1 + x.longBetween(0, 5);
        }
        long[] w = new long[2 + sp];
        w[0] = cout;
        w[1] = cin;
        System.arraycopy(k, 0, w, 2, sp);
        return OpCase.of(op, x.tensor(t, in, Values.normal()), new OpCase.Weight(x.tensor(t, w, Values.normal())),
                x.bool() ? null : new OpCase.Weight(x.tensor(t, new long[] {cout}, Values.normal())), fill(sp, 1), mode, dil, 1L);
    }

    static OpCase pool(Draw x, String op, int sp, boolean max) {
        // libtorch's CPU avg_pool3d has no f16/bf16 kernel, so there would be no reference
        DType t = sp == 3 && !max ? DType.FLOAT32 : x.dtype(Gen.FLOATS);
        long[] k = ints(x, sp, 1, 3);
        long[] stride = x.oneIn(4) ? new long[0] : intList(x, sp, 1, 3);
        long[] pad = new long[sp];
        for (int i = 0; i < sp; i++) {
            pad[i] = x.longBetween(0, k[i] / 2);
        }
        // dilation > 1 is refused by check (TensorRT pooling has no dilation): drawn only sometimes
        long[] dil = max ? x.oneIn(5) ? intList(x, sp, 1, 2) : new long[] {1} : null;
        long[] in = new long[2 + sp];
        in[0] = x.size(1, 3);
        in[1] = x.size(1, 4);
        for (int i = 0; i < sp; i++) {
            in[2 + i] = (dil == null ? 1 : at(dil, i)) * (k[i] - 1) + 1 + x.longBetween(0, sp == 3 ? 4 : 8);
        }
        boolean ceil = x.oneIn(3);
        TensorSpec input = x.tensor(t, in, max ? Values.normal().withSpecials() : Values.normal());
        if (max) {
            return OpCase.of(op, input, k, stride, pad, dil, ceil);
        }
        boolean countPad = !x.oneIn(3);
        return sp == 1 ? OpCase.of(op, input, k, stride, pad, ceil, countPad) : OpCase.of(op, input, k, stride, pad, ceil, countPad, null);
    }

    @Override
    protected List<OpDomain> domains() {
        List<OpDomain> d = new ArrayList<>();
        String[] convs = {"aten::conv1d", "aten::conv2d", "aten::conv3d"};
        for (int sp = 1; sp <= 3; sp++) {
            int s = sp;
            String op = convs[sp - 1];
            d.add(OpDomain.of(op, Gen.draw(x -> conv(x, op, s, false, s == 3 || x.between(0, 4) > 0))).dynamicBatch().tolerance(CONV));
            d.add(OpDomain.of(op + ".padding", Gen.draw(x -> convPadding(x, op + ".padding", s))).dynamicBatch().tolerance(CONV));
        }
        d.add(OpDomain.of("aten::conv_transpose1d", Gen.draw(x -> conv(x, "aten::conv_transpose1d", 1, true, true))).dynamicBatch().tolerance(CONV));
        d.add(OpDomain.of("aten::conv_transpose2d.input", Gen.draw(x -> conv(x, "aten::conv_transpose2d.input", 2, true, true))).dynamicBatch()
                .tolerance(CONV));
        d.add(OpDomain.of("aten::conv_transpose3d.input", Gen.draw(x -> conv(x, "aten::conv_transpose3d.input", 3, true, true))).dynamicBatch()
                .tolerance(CONV));
        for (String op : List.of("aten::convolution", "aten::_convolution")) {
            d.add(OpDomain.of(op, Gen.draw(x -> conv(x, op, x.between(1, 3), x.oneIn(3), true))).dynamicBatch().tolerance(CONV));
        }
        String[] maxs = {"aten::max_pool1d", "aten::max_pool2d", "aten::max_pool3d"};
        String[] avgs = {"aten::avg_pool1d", "aten::avg_pool2d", "aten::avg_pool3d"};
        for (int sp = 1; sp <= 3; sp++) {
            int s = sp;
            d.add(OpDomain.of(maxs[sp - 1], Gen.draw(x -> pool(x, maxs[s - 1], s, true))).dynamicBatch());
            d.add(OpDomain.of(maxs[sp - 1] + "_with_indices", Gen.draw(x -> {
                OpCase c = pool(x, maxs[s - 1] + "_with_indices", s, true);
                return c.exposing(0);
            })).dynamicBatch().note("values only (output 0): the index output is compared by the partitioner's torch fallback, not claimed"));
            d.add(OpDomain.of(avgs[sp - 1], Gen.draw(x -> pool(x, avgs[s - 1], s, false))).dynamicBatch());
        }
        for (String op : List.of("aten::adaptive_avg_pool2d", "aten::_adaptive_avg_pool2d", "aten::adaptive_avg_pool1d")) {
            int sp = op.endsWith("1d") ? 1 : 2;
            d.add(OpDomain.of(op, Gen.draw(x -> {
                long[] in = new long[2 + sp];
                in[0] = x.size(1, 3);
                in[1] = x.size(1, 4);
                long[] out = new long[sp];
                for (int i = 0; i < sp; i++) {
                    in[2 + i] = x.size(1, 12);
                    // output sizes dividing the input's (the converter's claim; others are refused)
                    out[i] = x.oneIn(5) ? x.size(1, in[2 + i]) : x.pick(divisors(in[2 + i]));
                }
                return OpCase.of(op, x.tensor(x.dtype(Gen.FLOATS), in, Values.normal()), out);
            })).dynamicBatch());
        }
        d.add(OpDomain.of("aten::batch_norm", Gen.draw(x -> {
            DType t = x.dtype(Gen.FLOATS);
            long[] s = x.shape(2, 5);
            long c = s[1];
            boolean affine = x.bool();
            return OpCase.of("aten::batch_norm", x.tensor(t, s, Values.normal()), affine ? w(x, t, c, Values.normal()) : null,
                    affine ? w(x, t, c, Values.normal()) : null, w(x, t, c, Values.normal()), w(x, t, c, Values.uniform(0.2, 2)), false, 0.1,
                    x.pick(1e-5, 1e-3), true);
        })).dynamicBatch().note("inference (training=False) only; training batch norm is refused by check"));
        for (String op : List.of("aten::native_batch_norm", "aten::_native_batch_norm_legit_no_training")) {
            d.add(OpDomain.of(op, Gen.draw(x -> {
                DType t = x.dtype(Gen.FLOATS);
                long[] s = x.shape(2, 5);
                long c = s[1];
                OpCase cs = op.equals("aten::native_batch_norm")
                        ? OpCase.of(op, x.tensor(t, s, Values.normal()), w(x, t, c, Values.normal()), w(x, t, c, Values.normal()),
                        w(x, t, c, Values.normal()), w(x, t, c, Values.uniform(0.2, 2)), false, 0.1, 1e-5)
                        : OpCase.of(op, x.tensor(t, s, Values.normal()), w(x, t, c, Values.normal()), w(x, t, c, Values.normal()),
                        w(x, t, c, Values.normal()), w(x, t, c, Values.uniform(0.2, 2)), 0.1, 1e-5);
                return cs.exposing(0);
            })).dynamicBatch());
        }
        // normalized outputs have unit scale: over one element they are exactly 0 and libtorch's f16 kernel
        // leaves rounding residues (2.7e-5) that a purely relative error would compare TensorRT's 0.0 with
        Tolerance norm = Tolerance.DEFAULT.scaled(10).relativeToAtLeast(1);
        for (String op : List.of("aten::layer_norm", "aten::native_layer_norm")) {
            d.add(OpDomain.of(op, Gen.draw(x -> {
                DType t = x.dtype(Gen.FLOATS);
                long[] s = x.shape(1, 4);
                int k = x.between(1, s.length);
                long[] ns = java.util.Arrays.copyOfRange(s, s.length - k, s.length);
                Object wt = op.startsWith("aten::native") || x.bool() ? new OpCase.Weight(x.tensor(t, ns, Values.normal())) : null;
                Object b = op.startsWith("aten::native") || x.bool() ? new OpCase.Weight(x.tensor(t, ns, Values.normal())) : null;
                OpCase c = OpCase.of(op, x.tensor(t, s, Values.normal(2)), ns, wt, b, x.pick(1e-5, 1e-3));
                return op.startsWith("aten::native") ? c.exposing(0) : c;
            })).dynamicBatch().tolerance(norm));
        }
        d.add(OpDomain.of("aten::group_norm", Gen.draw(x -> {
            DType t = x.dtype(Gen.FLOATS);
            long g = x.size(1, 3);
            long[] s = x.shape(2, 4);
            s[1] = g * x.size(1, 3);
            boolean affine = x.bool();
            return OpCase.of("aten::group_norm", x.tensor(t, s, Values.normal(2)), g, affine ? w(x, t, s[1], Values.normal()) : null,
                    affine ? w(x, t, s[1], Values.normal()) : null, x.pick(1e-5, 1e-3));
        })).dynamicBatch().tolerance(norm));
        d.add(OpDomain.of("aten::native_group_norm", Gen.draw(x -> {
            DType t = x.dtype(Gen.FLOATS);
            long g = x.size(1, 3);
            long[] s = x.shape(2, 4);
            s[1] = g * x.size(1, 3);
            long hw = Gen.numel(java.util.Arrays.copyOfRange(s, 2, s.length));
            return OpCase.of("aten::native_group_norm", x.tensor(t, s, Values.normal(2)), w(x, t, s[1], Values.normal()),
                    w(x, t, s[1], Values.normal()), s[0], s[1], hw, g, 1e-5).exposing(0);
        })).tolerance(norm));
        for (String op : List.of("aten::upsample_nearest2d", "aten::upsample_bilinear2d", "aten::upsample_nearest2d.vec",
                "aten::upsample_bilinear2d.vec")) {
            boolean bilinear = op.contains("bilinear");
            boolean vec = op.endsWith(".vec");
            d.add(OpDomain.of(op, Gen.draw(x -> {
                long[] in = {x.size(1, 2), x.size(1, 3), x.size(1, 8), x.size(1, 8)};
                TensorSpec input = x.tensor(x.dtype(Gen.FLOATS), in, Values.normal());
                boolean byScale = vec && x.bool();
                long[] out = {x.size(1, 16), x.size(1, 16)};
                List<Double> scales = List.of((double) x.pick(1L, 2L, 3L), (double) x.pick(1L, 2L, 3L));
                if (!vec) {
                    return bilinear ? OpCase.of(op, input, out, x.bool()) : OpCase.of(op, input, out);
                }
                if (bilinear) {
                    return byScale ? OpCase.of(op, input, null, x.bool(), scales) : OpCase.of(op, input, out, x.bool(), null);
                }
                return byScale ? OpCase.of(op, input, null, scales) : OpCase.of(op, input, out, null);
            })).dynamicBatch().tolerance(bilinear ? norm : Tolerance.DEFAULT)
                    .note(vec ? "integer scale factors for scale-given cases (fractional scales make nearest's index rounding differ)" : "sizes given"));
        }
        return d;
    }

    static List<Long> divisors(long n) {
        List<Long> out = new ArrayList<>();
        for (long k = 1; k <= n; k++) {
            if (n % k == 0) {
                out.add(k);
            }
        }
        return out;
    }

    static OpCase.Weight w(Draw x, DType t, long c, Values v) {
        return new OpCase.Weight(x.tensor(t, new long[] {c}, v));
    }
}
