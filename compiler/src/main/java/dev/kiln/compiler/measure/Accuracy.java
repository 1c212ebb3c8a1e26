package dev.kiln.compiler.measure;

import dev.kiln.ir.ConstantTensor;

/**
 * Accuracy of an output against the eager FP32 reference: the relative L2 error
 * {@code ||got - want|| / ||want||} in double precision ({@code NaN} when the element counts differ or
 * any element is not finite, so a broken result never passes as accurate).
 *
 * <pre>{@code double e = Accuracy.relL2(kilnOutput, referenceY0);}</pre>
 */
public final class Accuracy {
    private Accuracy() {
    }

    public static double relL2(ConstantTensor got, ConstantTensor want) {
        if (got.numel() != want.numel()) {
            return Double.NaN;
        }
        double num = 0;
        double den = 0;
        for (long i = 0; i < got.numel(); i++) {
            double g = got.getDouble(i);
            double w = want.getDouble(i);
            if (!Double.isFinite(g)) {
                return Double.NaN;
            }
            num += (g - w) * (g - w);
            den += w * w;
        }
        return den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
    }
}
