package dev.kiln.tck.builtin;

import dev.kiln.ir.DType;
import dev.kiln.tck.ConverterConformance;
import dev.kiln.tck.Gen;
import dev.kiln.tck.OpCase;
import dev.kiln.tck.OpDomain;
import dev.kiln.tck.Values;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The int8 quantization markers (symmetric: zero point 0, range [-128, 127]). Scales are powers of two, so that
 * {@code x / scale} and {@code x * (1 / scale)} are the same exact number in f32 and f16: TensorRT's quantize layer
 * and libtorch's kernel then see the same value to round, and the results must agree exactly, clamping and the
 * rounding of halves (libtorch: to even) included. The data is spread so that about one value in thirty clamps and,
 * in f16, many values sit exactly on a half.
 */
class QuantizeConformanceTest extends ConverterConformance {
    static final Set<DType> TYPES = EnumSet.of(DType.FLOAT32, DType.FLOAT16);
    static final String NOTE = "symmetric int8 only (zero point 0, [-128, 127]); power-of-two scales, so x / scale is exact"
            + " in both kernels and results must agree exactly";

    @Override
    protected List<OpDomain> domains() {
        List<OpDomain> d = new ArrayList<>();
        d.add(OpDomain.of("aten::fake_quantize_per_tensor_affine", Gen.draw(x -> {
            double scale = Math.scalb(1.0, x.between(-3, 2));
            return OpCase.of("aten::fake_quantize_per_tensor_affine", x.tensor(x.dtype(TYPES), x.shape(0, 4), Values.normal(60 * scale)),
                    scale, 0L, -128L, 127L);
        })).dynamicBatch().note(NOTE));
        d.add(OpDomain.of("aten::fake_quantize_per_channel_affine", Gen.draw(x -> {
            // the channel axis is never the batch axis, which the dynamic cases make symbolic
            long[] s = x.shape(2, 4);
            int axis = x.between(1, s.length - 1);
            long c = s[axis];
            return OpCase.of("aten::fake_quantize_per_channel_affine", x.tensor(x.dtype(TYPES), s, Values.normal(80)),
                    new OpCase.Weight(x.tensor(DType.FLOAT32, new long[] {c}, Values.ints(1, 3))),
                    new OpCase.Weight(x.tensor(DType.INT32, new long[] {c}, Values.ints(0, 1))), (long) axis, -128L, 127L);
        })).dynamicBatch().note(NOTE));
        return d;
    }
}
