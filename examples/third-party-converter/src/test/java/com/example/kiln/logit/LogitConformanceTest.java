package com.example.kiln.logit;

import dev.kiln.ir.DType;
import dev.kiln.tck.ConverterConformance;
import dev.kiln.tck.Gen;
import dev.kiln.tck.OpCase;
import dev.kiln.tck.OpDomain;
import dev.kiln.tck.Tolerance;
import dev.kiln.tck.Values;

import java.util.List;

/**
 * The logit converter proven with the conformance kit: without {@code eps} on probabilities inside
 * (0, 1) — the ends included as special values, where logit is ±inf — and with {@code eps} on values
 * spilling outside [0, 1], which the clamp brings back; ranks 0-5, f32/f16/bf16, symbolic batch.
 */
class LogitConformanceTest extends ConverterConformance {
    @Override
    protected List<OpDomain> domains() {
        return List.of(OpDomain.of("aten::logit", Gen.draw(x -> {
            DType t = x.dtype(Gen.FLOATS);
            long[] s = x.shape(0, 5);
            if (x.bool()) {
                return OpCase.of("aten::logit", x.tensor(t, s, Values.uniform(0.0, 1.0).withSpecials()), null);
            }
            return OpCase.of("aten::logit", x.tensor(t, s, Values.uniform(-0.25, 1.25).withSpecials()), x.pick(1e-6, 1e-3, 0.1));
        })).dynamicBatch()
                // a log of a ratio: the f16/bf16 roundings of x and 1 - x are magnified near 0 and 1
                .tolerance(Tolerance.DEFAULT.scaled(10)));
    }
}
