package dev.kiln.passes;

import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;

/**
 * The precision a compile targets. TensorRT networks are strongly typed, so the precision pass
 * alone decides each tensor's type. FP32 keeps TF32 off unless {@link #TF32} is asked for.
 */
public enum Precision {
    FP32(DType.FLOAT32), TF32(DType.FLOAT32), FP16(DType.FLOAT16), BF16(DType.BFLOAT16);

    private final DType computeType;

    Precision(DType computeType) {
        this.computeType = computeType;
    }

    /** The floating-point type activations and weights use outside FP32 islands. */
    public DType computeType() {
        return computeType;
    }

    public static Precision parse(String s) {
        for (Precision p : values()) {
            if (p.name().equalsIgnoreCase(s)) {
                return p;
            }
        }
        throw new KilnException("unknown precision '" + s + "'; use fp32, tf32, fp16 or bf16");
    }
}
