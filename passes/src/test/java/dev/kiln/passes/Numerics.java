package dev.kiln.passes;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Test helpers: random inputs for a graph and closeness checks between constant tensors. */
public final class Numerics {
    private Numerics() {
    }

    /** Random normal inputs for every (static-shaped, floating) graph input. */
    public static List<ConstantTensor> randomInputs(Graph g, long seed) {
        Random r = new Random(seed);
        List<ConstantTensor> out = new ArrayList<>();
        for (Value in : g.inputs()) {
            TensorType t = in.tensorType();
            long[] sizes = t.shape().staticSizes().orElseThrow();
            DType dt = t.elementType();
            ByteBuffer b = ConstantTensor.allocate(dt, sizes);
            long n = Arrays.stream(sizes).reduce(1, (a, c) -> a * c);
            for (long i = 0; i < n; i++) {
                ElementCodec.put(dt, b, i, r.nextGaussian());
            }
            out.add(new ConstantTensor(dt, sizes, b));
        }
        return out;
    }

    /** Asserts equal sizes and |a - b| <= atol + rtol * |b| elementwise. */
    public static void assertClose(ConstantTensor actual, ConstantTensor expected, double rtol, double atol, String what) {
        assertThat(actual.sizes()).as(what + " sizes").containsExactly(expected.sizes());
        double worst = 0;
        long worstAt = -1;
        for (long i = 0; i < expected.numel(); i++) {
            double a = actual.getDouble(i);
            double e = expected.getDouble(i);
            double excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
            if (Double.isNaN(a) != Double.isNaN(e) || excess > worst) {
                worst = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
                worstAt = i;
            }
        }
        assertThat(worstAt).as(what + ": element " + worstAt + " is "
                + (worstAt < 0 ? "" : actual.getDouble(worstAt) + " but expected " + expected.getDouble(worstAt))
                + " (rtol " + rtol + ", atol " + atol + ")").isEqualTo(-1);
    }

    public static void assertAllClose(List<ConstantTensor> actual, List<ConstantTensor> expected, double rtol, double atol,
                                      String what) {
        assertThat(actual).as(what + " output count").hasSameSizeAs(expected);
        for (int i = 0; i < actual.size(); i++) {
            assertClose(actual.get(i), expected.get(i), rtol, atol, what + " output " + i);
        }
    }
}
