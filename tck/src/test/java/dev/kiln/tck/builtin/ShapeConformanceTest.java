package dev.kiln.tck.builtin;

import dev.kiln.ir.DType;
import dev.kiln.tck.ConverterConformance;
import dev.kiln.tck.Draw;
import dev.kiln.tck.Gen;
import dev.kiln.tck.OpCase;
import dev.kiln.tck.OpDomain;
import dev.kiln.tck.TensorSpec;
import dev.kiln.tck.Values;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Identities, views and layout, slicing, joining and splitting, padding, casts, indexing. */
class ShapeConformanceTest extends ConverterConformance {
    /** Data movement must carry every value through, NaN and inf included. */
    static final Values ANYV = Values.normal().withNonFinite();
    static final Set<DType> MOVED = EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16, DType.INT32, DType.INT64, DType.BOOL);
    /** Why the dynamic squeeze cases are refused: the kit's symbols range over [1, 2n]. */
    static final String SQUEEZE_DYNAMIC = "dynamic cases that squeeze dim 0 are refused by check: its symbol's range [1, 2n] holds 1,"
            + " and an engine's output rank cannot depend on a runtime size (torch.export's symbols start at 2 and convert)";

    static TensorSpec t(Draw x, long[] s) {
        return x.tensor(x.dtype(MOVED), s, ANYV);
    }

    /** A permutation of 0..rank-1. */
    static long[] perm(Draw x, int rank) {
        List<Long> left = new ArrayList<>();
        for (long i = 0; i < rank; i++) {
            left.add(i);
        }
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long p = left.remove(x.between(0, left.size() - 1));
            out[i] = x.oneIn(3) ? p - rank : p;
        }
        return out;
    }

    @Override
    protected List<OpDomain> domains() {
        List<OpDomain> d = new ArrayList<>();
        for (String op : List.of("aten::clone", "aten::contiguous", "aten::alias", "aten::detach")) {
            d.add(OpDomain.of(op, Gen.draw(x -> OpCase.of(op, t(x, x.shape(0, 5))))).dynamicBatch());
        }
        d.add(OpDomain.of("aten::dropout", Gen.draw(x -> OpCase.of("aten::dropout", t(x, x.shape(0, 5)).with(ANYV), x.real(0, 0.9), false)))
                .dynamicBatch().note("train=False only: dropout in training is random"));
        d.add(OpDomain.of("aten::native_dropout", Gen.draw(x -> OpCase.of("aten::native_dropout",
                x.tensor(x.dtype(Gen.FLOATS), x.shape(0, 5), ANYV), x.real(0, 0.9), false).exposing(0))).dynamicBatch()
                .note("train=False only, output 0 (the mask is all ones)"));
        for (String op : List.of("aten::view", "aten::reshape", "aten::_unsafe_view")) {
            d.add(OpDomain.of(op, Gen.draw(x -> {
                long[] s = x.shape(0, 5);
                long n = Gen.numel(s);
                // a random factorization of n, one size maybe -1
                List<Long> out = new ArrayList<>();
                long rest = n;
                int rank = x.between(0, 4);
                for (int i = 0; i < rank && rest > 1; i++) {
                    List<Long> divs = new ArrayList<>();
                    for (long k = 1; k <= rest; k++) {
                        if (rest % k == 0) {
                            divs.add(k);
                        }
                    }
                    long k = x.pick(divs);
                    out.add(k);
                    rest /= k;
                }
                out.add(rest);
                long[] target = out.stream().mapToLong(Long::longValue).toArray();
                if (x.bool()) {
                    target[x.between(0, target.length - 1)] = -1;
                }
                if (n == 1 && x.bool()) {
                    target = new long[0];
                }
                return OpCase.of(op, t(x, s), target);
            })).dynamic(Gen.draw(x -> {
                long[] s = x.shape(2, 4, 2, 5);
                long tail = Gen.numel(Arrays.copyOfRange(s, 1, s.length));
                Object size0 = new OpCase.SymSize(0, 0);
                return OpCase.of(op, t(x, s).dynamic(0), x.bool() ? List.of(size0, tail) : List.of(size0, -1L));
            })));
        }
        d.add(OpDomain.of("aten::permute", Gen.draw(x -> {
            long[] s = x.shape(0, 5);
            return OpCase.of("aten::permute", t(x, s), perm(x, s.length));
        })).dynamicBatch());
        d.add(OpDomain.of("aten::transpose.int", Gen.draw(x -> {
            long[] s = x.shape(0, 5);
            return OpCase.of("aten::transpose.int", t(x, s), x.dim(s.length), x.dim(s.length));
        })).dynamicBatch());
        d.add(OpDomain.of("aten::t", Gen.draw(x -> OpCase.of("aten::t", t(x, x.shape(0, 2))))).dynamicBatch());
        d.add(OpDomain.of("aten::flatten.using_ints", Gen.draw(x -> {
            long[] s = x.shape(0, 5);
            long a = x.dim(s.length);
            long b = x.dim(s.length);
            int r = Math.max(1, s.length);
            long pa = a < 0 ? a + r : a;
            long pb = b < 0 ? b + r : b;
            return pa <= pb ? OpCase.of("aten::flatten.using_ints", t(x, s), a, b) : OpCase.of("aten::flatten.using_ints", t(x, s), b, a);
        })).dynamicBatch());
        d.add(OpDomain.of("aten::unflatten.int", Gen.draw(x -> {
            long[] s = x.shape(1, 4);
            long dim = x.dim(s.length);
            int pd = (int) (dim < 0 ? dim + s.length : dim);
            long n = s[pd];
            List<Long> divs = new ArrayList<>();
            for (long k = 1; k <= n; k++) {
                if (n % k == 0) {
                    divs.add(k);
                }
            }
            long k = x.pick(divs);
            long[] sizes = x.bool() ? new long[] {k, n / k} : new long[] {k, -1};
            return OpCase.of("aten::unflatten.int", t(x, s), dim, sizes);
        })).dynamicBatch());
        d.add(OpDomain.of("aten::squeeze", Gen.draw(x -> OpCase.of("aten::squeeze", t(x, x.shape(0, 5))))).dynamicBatch()
                .note(SQUEEZE_DYNAMIC));
        d.add(OpDomain.of("aten::squeeze.dim", Gen.draw(x -> {
            long[] s = x.shape(0, 5);
            return OpCase.of("aten::squeeze.dim", t(x, s), x.dim(s.length));
        })).dynamicBatch().note(SQUEEZE_DYNAMIC));
        d.add(OpDomain.of("aten::squeeze.dims", Gen.draw(x -> {
            long[] s = x.shape(1, 5);
            return OpCase.of("aten::squeeze.dims", t(x, s), x.dims(s.length));
        })).dynamicBatch().note(SQUEEZE_DYNAMIC));
        d.add(OpDomain.of("aten::unsqueeze", Gen.draw(x -> {
            long[] s = x.shape(0, 4);
            return OpCase.of("aten::unsqueeze", t(x, s), x.dim(s.length + 1));
        })).dynamicBatch());
        d.add(OpDomain.of("aten::expand", Gen.draw(x -> {
            long[] s = x.shape(0, 4);
            int extra = x.between(0, 2);
            long[] target = new long[s.length + extra];
            for (int i = 0; i < extra; i++) {
                target[i] = x.size(1, 4);
            }
            for (int i = 0; i < s.length; i++) {
                target[extra + i] = s[i] == 1 ? x.size(1, 5) : x.bool() ? -1 : s[i];
            }
            return OpCase.of("aten::expand", t(x, s), target);
        })).dynamicBatch());
        d.add(OpDomain.of("aten::slice.Tensor", Gen.draw(x -> {
            long[] s = x.shape(1, 4);
            long dim = x.dim(s.length);
            long n = s[(int) (dim < 0 ? dim + s.length : dim)];
            Object start = x.oneIn(4) ? null : (Object) x.longBetween(-n - 1, n);
            Object end = x.oneIn(4) ? null : x.oneIn(4) ? (Object) Long.MAX_VALUE : (Object) x.longBetween(-n - 1, n + 1);
            return OpCase.of("aten::slice.Tensor", t(x, s), dim, start, end, x.longBetween(1, 3));
        })).dynamic(Gen.draw(x -> {
            long[] s = x.shape(1, 3, 2, 6);
            return OpCase.of("aten::slice.Tensor", t(x, s).dynamic(0), 0L, x.longBetween(0, 1), new OpCase.SymSize(0, 0), x.longBetween(1, 2));
        })));
        d.add(OpDomain.of("aten::select.int", Gen.draw(x -> {
            long[] s = x.shape(1, 5);
            long dim = x.dim(s.length);
            long n = s[(int) (dim < 0 ? dim + s.length : dim)];
            return OpCase.of("aten::select.int", t(x, s), dim, x.longBetween(-n, n - 1));
        })).dynamicBatch());
        for (String op : List.of("aten::cat", "aten::stack")) {
            boolean cat = op.equals("aten::cat");
            d.add(OpDomain.of(op, Gen.draw(x -> {
                long[] s = x.shape(cat ? 1 : 0, 4);
                long dim = x.dim(cat ? s.length : s.length + 1);
                int pd = (int) (dim < 0 ? dim + (cat ? s.length : s.length + 1) : dim);
                DType ty = x.dtype(MOVED);
                List<Object> parts = new ArrayList<>();
                int k = x.between(1, 4);
                for (int i = 0; i < k; i++) {
                    long[] si = s.clone();
                    if (cat) {
                        si[pd] = x.size(0, 5);
                    }
                    parts.add(x.tensor(ty, si, ANYV));
                }
                return OpCase.of(op, parts, dim);
            })).dynamicBatch().note(cat ? "operands share one dtype (mixed-dtype cat is refused by check)" : "operands share one dtype"));
        }
        d.add(OpDomain.of("aten::split.Tensor", Gen.draw(x -> {
            long[] s = x.shape(1, 4);
            long dim = x.dim(s.length);
            long n = s[(int) (dim < 0 ? dim + s.length : dim)];
            return OpCase.of("aten::split.Tensor", t(x, s), x.longBetween(1, Math.max(1, n)), dim);
        })).dynamicBatch());
        d.add(OpDomain.of("aten::split_with_sizes", Gen.draw(x -> {
            long[] s = x.shape(1, 4);
            long dim = x.dim(s.length);
            long n = s[(int) (dim < 0 ? dim + s.length : dim)];
            List<Long> sizes = new ArrayList<>();
            long rest = n;
            while (rest > 0) {
                long k = x.longBetween(1, rest);
                sizes.add(k);
                rest -= k;
            }
            return OpCase.of("aten::split_with_sizes", t(x, s), sizes.stream().mapToLong(Long::longValue).toArray(), dim);
        })).dynamicBatch());
        d.add(OpDomain.of("aten::chunk", Gen.draw(x -> {
            long[] s = x.shape(1, 4);
            return OpCase.of("aten::chunk", t(x, s), x.longBetween(1, 4), x.dim(s.length));
        })).dynamicBatch());
        d.add(OpDomain.of("aten::unbind.int", Gen.draw(x -> {
            long[] s = x.shape(1, 4, 1, 5);
            return OpCase.of("aten::unbind.int", t(x, s), x.dim(s.length));
        })).dynamicBatch());
        d.add(OpDomain.of("prim::ListUnpack", Gen.draw(x -> {
            long[] s = x.shape(1, 4, 2, 6);
            return OpCase.of("aten::split.Tensor", t(x, s), x.longBetween(1, s[0]), 0L);
        })).note("exercised through the list results of split"));
        d.add(OpDomain.of("aten::constant_pad_nd", Gen.draw(x -> {
            long[] s = x.shape(1, 5);
            int k = x.between(1, Math.min(3, s.length));
            long[] pad = new long[2 * k];
            for (int i = 0; i < k; i++) {
                long size = s[s.length - 1 - i];
                pad[2 * i] = x.longBetween(-Math.min(1, size - 1), 3);
                pad[2 * i + 1] = x.longBetween(0, 3);
            }
            DType ty = x.dtype(Gen.NUMERIC);
            return OpCase.of("aten::constant_pad_nd", x.tensor(ty, s, Values.normal()), pad, ty.isFloatingPoint() ? x.real(-2, 2) : (double) x.longBetween(-3, 3));
        })).dynamicBatch());
        Set<DType> castable = EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16, DType.INT32, DType.INT64, DType.BOOL);
        for (String op : List.of("aten::_to_copy", "aten::to.dtype", "aten::to.dtype_layout")) {
            d.add(OpDomain.of(op, Gen.draw(x -> {
                DType from = x.dtype(castable);
                DType to = x.dtype(castable);
                // float -> int truncates toward zero in both; keep values inside every integer range
                TensorSpec in = x.tensor(from, x.shape(0, 5), Values.normal(20));
                return op.equals("aten::to.dtype") ? OpCase.of(op, in, to) : OpCase.of(op, in).kw("dtype", to);
            })).dynamicBatch().note("finite values only: casting inf or NaN to an integer is undefined behaviour"));
        }
        d.add(OpDomain.of("aten::copy", Gen.draw(x -> {
            long[] s = x.shape(0, 4);
            return OpCase.of("aten::copy", x.tensor(x.dtype(Gen.FLOATS), s), x.tensor(x.dtype(Gen.NUMERIC), x.broadcastWith(s), Values.normal()));
        })).dynamicBatch());
        d.add(OpDomain.of("aten::embedding", Gen.draw(x -> {
            long rows = x.size(1, 40);
            TensorSpec w = x.tensor(x.dtype(Gen.FLOATS), new long[] {rows, x.size(1, 16)}, ANYV);
            return OpCase.of("aten::embedding", new OpCase.Weight(w), x.tensor(x.pick(DType.INT64, DType.INT32), x.shape(0, 3),
                    Values.ints(0, rows)));
        })).dynamic(Gen.draw(x -> {
            long rows = x.size(1, 40);
            return OpCase.of("aten::embedding", new OpCase.Weight(x.tensor(DType.FLOAT32, new long[] {rows, 4})),
                    x.tensor(DType.INT64, x.shape(1, 3, 2, 6), Values.ints(0, rows)).dynamic(0));
        })));
        d.add(OpDomain.of("aten::index_select", Gen.draw(x -> {
            long[] s = x.shape(1, 4);
            long dim = x.dim(s.length);
            long n = s[(int) (dim < 0 ? dim + s.length : dim)];
            return OpCase.of("aten::index_select", t(x, s), dim, x.tensor(DType.INT64, new long[] {x.size(1, 8)}, Values.ints(0, n)));
        })).dynamicBatch());
        d.add(OpDomain.of("aten::gather", Gen.draw(x -> {
            long[] s = x.shape(1, 4);
            long dim = x.dim(s.length);
            int pd = (int) (dim < 0 ? dim + s.length : dim);
            long[] is = s.clone();
            for (int i = 0; i < is.length; i++) {
                is[i] = x.size(1, s[i]);
            }
            is[pd] = x.size(1, 6);
            return OpCase.of("aten::gather", t(x, s), dim, x.tensor(DType.INT64, is, Values.ints(0, s[pd])));
        })).note("index sizes within the input's on the other dims, as torch requires"));
        return d;
    }
}
