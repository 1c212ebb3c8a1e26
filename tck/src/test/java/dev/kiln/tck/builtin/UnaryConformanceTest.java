package dev.kiln.tck.builtin;

import dev.kiln.ir.DType;
import dev.kiln.tck.ConverterConformance;
import dev.kiln.tck.Gen;
import dev.kiln.tck.OpCase;
import dev.kiln.tck.OpDomain;
import dev.kiln.tck.Tolerance;
import dev.kiln.tck.Values;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Activations and unary math. */
class UnaryConformanceTest extends ConverterConformance {
    static final Values N = Values.normal().withSpecials();
    /** Moderate values for kernels whose accuracy falls off for huge arguments (sin, cos, erf...). */
    static final Values MODERATE = Values.normal(3);

    OpDomain unary(String op, Values v) {
        return OpDomain.of(op, Gen.unary(op, claimed(op), v)).dynamicBatch();
    }

    @Override
    protected List<OpDomain> domains() {
        List<OpDomain> d = new ArrayList<>();
        for (String op : List.of("aten::relu", "aten::sigmoid", "aten::tanh", "aten::hardsigmoid", "aten::silu", "aten::hardswish")) {
            d.add(unary(op, N));
        }
        d.add(unary("aten::neg", Values.normal().withNonFinite()));
        d.add(unary("aten::abs", Values.normal().withNonFinite()));
        d.add(unary("aten::exp", MODERATE).tolerance(Tolerance.DEFAULT.scaled(10)));
        d.add(OpDomain.of("aten::gelu", Gen.draw(x -> {
            DType t = x.dtype(Gen.FLOATS);
            return OpCase.of("aten::gelu", x.tensor(t, x.shape(0, 5), MODERATE)).kw("approximate", x.pick("none", "tanh"));
        })).dynamicBatch().tolerance(Tolerance.DEFAULT.scaled(10)));
        d.add(OpDomain.of("aten::leaky_relu", Gen.draw(x -> OpCase.of("aten::leaky_relu", x.tensor(x.dtype(Gen.FLOATS), x.shape(0, 5), N),
                x.real(-0.5, 0.5)))).dynamicBatch());
        d.add(OpDomain.of("aten::elu", Gen.draw(x -> OpCase.of("aten::elu", x.tensor(x.dtype(Gen.FLOATS), x.shape(0, 5), MODERATE),
                x.real(0.1, 2), x.real(0.5, 2), x.real(0.5, 2)))).dynamicBatch().tolerance(Tolerance.DEFAULT.scaled(10)));
        d.add(OpDomain.of("aten::clamp", Gen.draw(x -> {
            DType t = x.dtype(Gen.NUMERIC);
            boolean ints = !t.isFloatingPoint();
            Object lo = x.oneIn(4) ? null : ints ? (Object) x.longBetween(-10, 0) : (Object) x.real(-1, 0);
            Object hi = lo != null && x.oneIn(4) ? null : ints ? (Object) x.longBetween(0, 10) : (Object) x.real(0, 1);
            return OpCase.of("aten::clamp", x.tensor(t, x.shape(0, 5), N), lo, hi);
        })).dynamicBatch());
        for (String op : List.of("aten::clamp_min", "aten::clamp_max")) {
            d.add(OpDomain.of(op, Gen.draw(x -> OpCase.of(op, x.tensor(x.dtype(Gen.FLOATS), x.shape(0, 5), N), x.real(-1, 1))))
                    .dynamicBatch());
        }
        d.add(OpDomain.of("aten::hardtanh", Gen.draw(x -> {
            double lo = x.real(-2, 0);
            return OpCase.of("aten::hardtanh", x.tensor(x.dtype(Gen.FLOATS), x.shape(0, 5), N), lo, lo + x.real(0.1, 6));
        })).dynamicBatch());
        d.add(OpDomain.of("aten::clamp.Tensor", Gen.draw(x -> {
            DType t = x.dtype(Gen.FLOATS);
            long[] s = x.shape(0, 4);
            Object lo = x.tensor(t, x.broadcastWith(s), Values.normal());
            Object hi = x.oneIn(3) ? null : x.tensor(t, x.broadcastWith(s), Values.normal());
            if (hi == null || x.bool()) {
                return OpCase.of("aten::clamp.Tensor", x.tensor(t, s, N), lo, hi);
            }
            return OpCase.of("aten::clamp.Tensor", x.tensor(t, s, N), null, hi);
        })).dynamicBatch());
        Values positive = Values.uniform(0.05, 20).withSpecials();
        for (String op : List.of("aten::sqrt", "aten::rsqrt", "aten::log", "aten::reciprocal")) {
            d.add(unary(op, positive).tolerance(Tolerance.DEFAULT.scaled(op.equals("aten::log") ? 10 : 1)));
        }
        d.add(OpDomain.of("aten::bitwise_not", Gen.draw(x -> OpCase.of("aten::bitwise_not", x.tensor(DType.BOOL, x.shape(0, 5)))))
                .dynamicBatch().note("bool only: the converter declares just bool (integer bitwise not is not claimed)"));
        d.add(unary("aten::logical_not", N));
        for (String op : List.of("aten::erf", "aten::sin", "aten::cos", "aten::mish", "aten::log_sigmoid")) {
            d.add(unary(op, MODERATE).tolerance(Tolerance.DEFAULT.scaled(10))
                    .note("values ~N(0, 3): transcendental kernels are compared where their accuracy is specified, not at 1e6"));
        }
        // inverse trigonometric and hyperbolic functions inside their domains (NaN outside, where libtorch gives NaN too)
        Values unit = Values.uniform(-1, 1).withSpecials();
        for (String op : List.of("aten::asin", "aten::acos", "aten::atanh")) {
            d.add(unary(op, unit).tolerance(Tolerance.DEFAULT.scaled(10)));
        }
        d.add(unary("aten::acosh", Values.uniform(1, 50).withSpecials()).tolerance(Tolerance.DEFAULT.scaled(10)));
        for (String op : List.of("aten::atan", "aten::asinh")) {
            d.add(unary(op, MODERATE).tolerance(Tolerance.DEFAULT.scaled(10)));
        }
        // |x| <= 5: cosh and sinh stay far from f16's overflow at 11
        for (String op : List.of("aten::sinh", "aten::cosh")) {
            d.add(unary(op, Values.uniform(-5, 5).withSpecials()).tolerance(Tolerance.DEFAULT.scaled(10)));
        }
        for (String op : List.of("aten::floor", "aten::ceil", "aten::square", "aten::lift_fresh_copy")) {
            d.add(unary(op, Values.normal(3).withSpecials()));
        }
        d.add(OpDomain.of("aten::softplus", Gen.draw(x -> OpCase.of("aten::softplus", x.tensor(x.dtype(Gen.FLOATS), x.shape(0, 5), MODERATE),
                x.real(0.5, 3), x.pick(20.0, 5.0)))).dynamicBatch().tolerance(Tolerance.DEFAULT.scaled(10)));
        d.add(OpDomain.of("aten::prelu", Gen.draw(x -> {
            DType t = x.dtype(Gen.FLOATS);
            long[] s = x.shape(1, 4);
            long c = s.length >= 2 && x.bool() ? s[1] : 1;
            return OpCase.of("aten::prelu", x.tensor(t, s, N), new OpCase.Weight(x.tensor(t, new long[] {c}, Values.uniform(0, 1))));
        })).dynamicBatch());
        return d;
    }
}
