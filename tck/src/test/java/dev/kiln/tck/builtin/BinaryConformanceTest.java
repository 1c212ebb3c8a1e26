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
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Element-wise binary ops: arithmetic with broadcasting and promotion, comparisons, logical ops, where, masked_fill. */
class BinaryConformanceTest extends ConverterConformance {
    static final Values N = Values.normal().withSpecials();

    /** Two broadcasting operands, dtypes from {@code dtypes} (sometimes mixed, to exercise promotion). */
    static TensorSpec[] pair(Draw x, Set<DType> dtypes, Values v, boolean mixed) {
        DType a = x.dtype(dtypes);
        DType b = mixed && x.oneIn(4) ? x.dtype(dtypes) : a;
        long[] s = x.shape(0, 5);
        long[] o = x.broadcastWith(s);
        boolean swap = x.bool();
        return new TensorSpec[] {x.tensor(a, swap ? o : s, v), x.tensor(b, swap ? s : o, v)};
    }

    static Object scalar(Draw x, DType t) {
        return t.isFloatingPoint() || x.bool() ? (Object) x.real(-3, 3) : (Object) x.longBetween(-5, 5);
    }

    /** a + alpha b may cancel: its error is bounded relative to its terms (see {@link Tolerance#relativeToInputs}). */
    static final Tolerance CANCELLING_SUM = Tolerance.DEFAULT.relativeToInputs();
    static final String CANCELLING_SUM_NOTE = "errors relative to the inputs' magnitude: with alpha, libtorch's CPU kernel rounds"
            + " alpha to the 16-bit type before the sum and Kiln (like PyTorch's CUDA kernel) computes in f32 and rounds once;"
            + " a nearly cancelling bf16 rsub gave 0.0625 on libtorch CPU and 0.0688 in TensorRT (2026-12-04)";

    @Override
    protected List<OpDomain> domains() {
        List<OpDomain> d = new ArrayList<>();
        Set<DType> numeric = Gen.NUMERIC;
        for (String op : List.of("aten::add.Tensor", "aten::sub.Tensor", "aten::mul.Tensor", "aten::maximum", "aten::minimum")) {
            boolean alpha = op.startsWith("aten::add") || op.startsWith("aten::sub");
            Values v = op.contains("imum") ? N : Values.normal().withNonFinite();
            OpDomain od = OpDomain.of(op, Gen.draw(x -> {
                TensorSpec[] p = pair(x, numeric, v, true);
                OpCase c = OpCase.of(op, p[0], p[1]);
                return alpha && x.oneIn(3) ? c.kw("alpha", p[0].dtype().isFloatingPoint() || p[1].dtype().isFloatingPoint()
                        ? (Object) x.real(-2, 2) : (Object) x.longBetween(-3, 3)) : c;
            })).dynamicBatch();
            d.add(alpha ? od.tolerance(CANCELLING_SUM).note(CANCELLING_SUM_NOTE) : od);
        }
        d.add(OpDomain.of("aten::rsub.Tensor", Gen.draw(x -> {
            TensorSpec[] p = pair(x, Gen.FLOATS, N, false);
            return OpCase.of("aten::rsub.Tensor", p[0], p[1]).kw("alpha", x.real(-2, 2));
        })).dynamicBatch().tolerance(CANCELLING_SUM).note(CANCELLING_SUM_NOTE));
        d.add(OpDomain.of("aten::div.Tensor", Gen.draw(x -> {
            TensorSpec[] p = pair(x, Gen.FLOATS, N, false);
            return OpCase.of("aten::div.Tensor", p[0], p[1].with(Values.uniform(0.25, 4)));
        })).dynamicBatch().note("divisors kept in [0.25, 4): division by 0 or tiny values is IEEE in both but the error metric would only measure inf"));
        for (String op : List.of("aten::add.Scalar", "aten::sub.Scalar", "aten::mul.Scalar", "aten::div.Scalar", "aten::rsub.Scalar")) {
            d.add(OpDomain.of(op, Gen.draw(x -> {
                DType t = x.dtype(op.contains("div") || op.contains("rsub") ? Gen.FLOATS : numeric);
                Object s = op.contains("div") ? (Object) x.pick(0.5, 3.0, -1.5) : scalar(x, t);
                return OpCase.of(op, x.tensor(t, x.shape(0, 5), N), s);
            })).dynamicBatch());
        }
        for (String mode : List.of("aten::div.Tensor_mode", "aten::div.Scalar_mode")) {
            d.add(OpDomain.of(mode, Gen.draw(x -> {
                boolean ints = x.oneIn(3);
                DType t = ints ? DType.INT64 : x.dtype(Gen.FLOATS);
                String rounding = x.pick("trunc", "floor");
                // half precision: whole dividends over 1 or 2, so every quotient is exact and its rounding well defined
                boolean half = !ints && t != DType.FLOAT32;
                TensorSpec a = x.tensor(t, x.shape(0, 4), ints ? Values.ints(-20, 21) : half ? Values.ints(-40, 41) : Values.normal(4));
                Object b = mode.endsWith("Tensor_mode") ? x.tensor(t, x.broadcastWith(a.sizes()), ints ? Values.ints(1, 6)
                        : half ? Values.ints(1, 3) : Values.uniform(0.3, 3))
                        : (Object) (ints ? (Object) x.longBetween(1, 5) : half ? (Object) x.pick(0.5, 2.0, -4.0) : (Object) x.pick(0.7, 2.0, -1.3));
                return OpCase.of(mode, a, b).kw("rounding_mode", rounding);
            })).dynamicBatch().tolerance(Tolerance.DEFAULT.scaled(10)).note("positive integer divisors (C and Python disagree on negative ones only in remainders)")
                    .note("f16/bf16: whole dividends over power-of-two divisors; otherwise a quotient within one half-precision ulp of an"
                            + " integer floors differently in TensorRT (reciprocal-multiply) and PyTorch (1 of 256 cases on the H200)"));
        }
        d.add(OpDomain.of("aten::pow.Tensor_Scalar", Gen.draw(x -> {
            boolean intExp = x.bool();
            return intExp ? OpCase.of("aten::pow.Tensor_Scalar", x.tensor(x.dtype(Gen.FLOATS), x.shape(0, 5), Values.normal(2)),
                    x.longBetween(0, 3)) : OpCase.of("aten::pow.Tensor_Scalar", x.tensor(x.dtype(Gen.FLOATS), x.shape(0, 5),
                    Values.uniform(0.1, 4)), x.pick(0.5, 1.7, -1.0, 2.5));
        })).dynamicBatch().tolerance(Tolerance.DEFAULT.scaled(10)));
        d.add(OpDomain.of("aten::pow.Tensor_Tensor", Gen.draw(x -> {
            TensorSpec[] p = pair(x, Gen.FLOATS, Values.uniform(0.1, 3), false);
            return OpCase.of("aten::pow.Tensor_Tensor", p[0], p[1].with(Values.uniform(-2, 2)));
        })).dynamicBatch().tolerance(Tolerance.DEFAULT.scaled(10)));
        d.add(OpDomain.of("aten::pow.Scalar", Gen.draw(x -> OpCase.of("aten::pow.Scalar", x.pick(2.0, 0.5, 3.0),
                x.tensor(x.dtype(Gen.FLOATS), x.shape(0, 5), Values.uniform(-3, 3))))).dynamicBatch().tolerance(Tolerance.DEFAULT.scaled(10)));
        for (String c : List.of("eq", "ne", "lt", "le", "gt", "ge")) {
            String t = "aten::" + c + ".Tensor";
            String s = "aten::" + c + ".Scalar";
            // small integers make ties (eq, le, ge) common
            d.add(OpDomain.of(t, Gen.draw(x -> {
                TensorSpec[] p = pair(x, numeric, Values.ints(-3, 4).withSpecials(), true);
                return OpCase.of(t, p[0], p[1]);
            })).dynamicBatch());
            d.add(OpDomain.of(s, Gen.draw(x -> {
                DType ty = x.dtype(numeric);
                return OpCase.of(s, x.tensor(ty, x.shape(0, 5), Values.ints(-3, 4)), ty.isFloatingPoint() ? (Object) x.pick(0.0, 1.0, -2.5)
                        : (Object) x.longBetween(-2, 2));
            })).dynamicBatch());
        }
        Set<DType> logical = EnumSet.of(DType.BOOL, DType.INT64, DType.FLOAT32);
        for (String op : List.of("aten::logical_and", "aten::logical_or", "aten::logical_xor")) {
            d.add(OpDomain.of(op, Gen.draw(x -> {
                TensorSpec[] p = pair(x, logical, Values.ints(-1, 2), true);
                return OpCase.of(op, p[0], p[1]);
            })).dynamicBatch());
        }
        d.add(OpDomain.of("aten::where.self", Gen.draw(x -> {
            TensorSpec[] p = pair(x, numeric, N, true);
            TensorSpec cond = x.tensor(DType.BOOL, x.broadcastWith(p[0].rank() >= p[1].rank() ? p[0].sizes() : p[1].sizes()));
            return OpCase.of("aten::where.self", cond, p[0], p[1]);
        })).dynamic(Gen.draw(x -> {
            DType t = x.dtype(Gen.FLOATS);
            long[] s = x.shape(1, 4, 2, 6);
            return OpCase.of("aten::where.self", x.tensor(DType.BOOL, s).dynamic(0), x.tensor(t, s).dynamic(0), x.tensor(t, s).dynamic(0));
        })));
        d.add(OpDomain.of("aten::masked_fill.Scalar", Gen.draw(x -> {
            DType t = x.dtype(numeric);
            long[] s = x.shape(0, 5);
            return OpCase.of("aten::masked_fill.Scalar", x.tensor(t, s), x.tensor(DType.BOOL, x.broadcastWith(s)),
                    t.isFloatingPoint() ? (Object) x.pick(-1e4, 0.5, 0.0) : (Object) x.longBetween(-5, 5));
        })).dynamicBatch());
        d.add(OpDomain.of("aten::masked_fill.Tensor", Gen.draw(x -> {
            DType t = x.dtype(Gen.FLOATS);
            long[] s = x.shape(0, 5);
            return OpCase.of("aten::masked_fill.Tensor", x.tensor(t, s), x.tensor(DType.BOOL, x.broadcastWith(s)), x.tensor(t, new long[0]));
        })).dynamicBatch());
        d.add(OpDomain.of("aten::floor_divide", Gen.draw(x -> {
            boolean ints = x.bool();
            DType t = ints ? DType.INT64 : DType.FLOAT32;
            TensorSpec a = x.tensor(t, x.shape(0, 4), ints ? Values.ints(-20, 21) : Values.normal(4));
            return OpCase.of("aten::floor_divide", a, x.tensor(t, x.broadcastWith(a.sizes()), ints ? Values.ints(1, 6) : Values.uniform(0.3, 3)));
        })).dynamicBatch().tolerance(Tolerance.DEFAULT.scaled(10)));
        return d;
    }
}
