package dev.kiln.tck;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A generated tensor, described rather than materialized: dtype, sizes, how its elements are drawn
 * and the seed that draws them, and which axes become symbolic in a dynamic-shape case. The same spec
 * materializes the same data (at any sizes, so a dynamic case can be fed at every point of its
 * profile), which keeps cases small to print, cheap to shrink and exactly reproducible.
 *
 * <pre>{@code TensorSpec x = TensorSpec.of(DType.FLOAT32, 2, 3).with(Values.normal().withSpecials());}</pre>
 */
public record TensorSpec(DType dtype, long[] sizes, Values values, long seed, int[] dynamicAxes) {

    public TensorSpec {
        sizes = sizes.clone();
        dynamicAxes = dynamicAxes.clone();
    }

    public static TensorSpec of(DType dtype, long... sizes) {
        return new TensorSpec(dtype, sizes, Values.defaultFor(dtype), 1, new int[0]);
    }

    public TensorSpec with(Values v) {
        return new TensorSpec(dtype, sizes, v, seed, dynamicAxes);
    }

    public TensorSpec withSeed(long s) {
        return new TensorSpec(dtype, sizes, values, s, dynamicAxes);
    }

    /** The same tensor with {@code axes} symbolic in dynamic cases. */
    public TensorSpec dynamic(int... axes) {
        return new TensorSpec(dtype, sizes, values, seed, axes);
    }

    public int rank() {
        return sizes.length;
    }

    @Override
    public long[] sizes() {
        return sizes.clone();
    }

    @Override
    public int[] dynamicAxes() {
        return dynamicAxes.clone();
    }

    public long numel() {
        long n = 1;
        for (long s : sizes) {
            n *= s;
        }
        return n;
    }

    /** The data at the nominal sizes. */
    public ConstantTensor materialize() {
        return materialize(sizes);
    }

    /** The data at {@code at} sizes (same rank): the same seed, so the same stream of values. */
    public ConstantTensor materialize(long[] at) {
        long n = 1;
        for (long s : at) {
            n *= s;
        }
        ByteBuffer b = ConstantTensor.allocate(dtype, at);
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + 17);
        List<Double> specials = values.specialsFor(dtype);
        for (long i = 0; i < n; i++) {
            double v = values.draw(r, specials);
            if (!dtype.isFloatingPoint()) {
                v = dtype == DType.BOOL ? (v != 0 ? 1 : 0) : Math.rint(v);
            }
            ElementCodec.put(dtype, b, i, v);
        }
        return new ConstantTensor(dtype, at, b);
    }

    /** {@code f32[2, 3] normal+specials}. */
    public String text() {
        StringBuilder sb = new StringBuilder(dtype.text()).append(Arrays.toString(sizes));
        if (dynamicAxes.length > 0) {
            sb.append(" dyn").append(Arrays.toString(dynamicAxes));
        }
        return sb.append(' ').append(values.text()).append(" seed=").append(seed).toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.dtype == dtype && Arrays.equals(t.sizes, sizes) && t.values.equals(values)
                && t.seed == seed && Arrays.equals(t.dynamicAxes, dynamicAxes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sizes) * 31 + dtype.hashCode() + Long.hashCode(seed);
    }

    @Override
    public String toString() {
        return text();
    }
}
