package dev.kiln.passes.shapes;

import dev.kiln.ir.DType;

import java.util.List;
import java.util.Optional;

/**
 * PyTorch's type promotion ({@code torch.result_type}): operands are ranked by kind (tensors with
 * dimensions over 0-d tensors over Python numbers) and by category (bool < integer < floating <
 * complex); a lower kind only wins when it brings a higher category. Python floats count as the
 * default dtype (f32), Python ints as i64.
 *
 * <pre>{@code TypePromotion.resultType(List.of(Operand.tensor(DType.INT32, 2), Operand.number(DType.FLOAT64))) // f32}</pre>
 */
public final class TypePromotion {
    private TypePromotion() {
    }

    /** How an operand takes part in promotion. */
    public enum Kind {
        /** A tensor with at least one dimension. */
        DIMENSIONED,
        /** A 0-d tensor. */
        ZERO_DIM,
        /** A Python number (a "wrapped number" in ATen). */
        NUMBER
    }

    /** One operand of a promoting op. */
    public record Operand(DType dtype, Kind kind) {
        /** A tensor operand of the given rank. */
        public static Operand tensor(DType dtype, int rank) {
            return new Operand(dtype, rank > 0 ? Kind.DIMENSIONED : Kind.ZERO_DIM);
        }

        /** A Python number: {@code BOOL}, {@code INT64} for ints, any float type for floats. */
        public static Operand number(DType dtype) {
            return new Operand(dtype, Kind.NUMBER);
        }
    }

    /** The default floating-point dtype ({@code torch.get_default_dtype()}). */
    public static final DType DEFAULT_FLOAT = DType.FLOAT32;

    /** The result dtype of an op over {@code operands}; empty when PyTorch refuses the combination. */
    public static Optional<DType> resultType(List<Operand> operands) {
        DType dim = null;
        DType zero = null;
        DType wrapped = null;
        try {
            for (Operand o : operands) {
                DType t = o.dtype();
                switch (o.kind()) {
                    case DIMENSIONED -> dim = promoteSkipNull(dim, t);
                    case ZERO_DIM -> zero = promoteSkipNull(zero, t);
                    case NUMBER -> {
                        if (t.isComplex()) {
                            t = DType.COMPLEX64;
                        } else if (t.isFloatingPoint()) {
                            t = DEFAULT_FLOAT;
                        }
                        wrapped = promoteSkipNull(wrapped, t);
                    }
                }
            }
            DType r = combine(dim, combine(zero, wrapped));
            return Optional.ofNullable(r);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** {@code torch.promote_types(a, b)}; throws {@link IllegalArgumentException} where PyTorch refuses. */
    public static DType promote(DType a, DType b) {
        if (a == b) {
            return a;
        }
        if (a == DType.BOOL) {
            return b;
        }
        if (b == DType.BOOL) {
            return a;
        }
        if (isShellType(a) || isShellType(b)) {
            throw new IllegalArgumentException("PyTorch does not promote " + a + " with " + b);
        }
        if (a.isComplex() || b.isComplex()) {
            if (a == DType.COMPLEX128 || b == DType.COMPLEX128 || a == DType.FLOAT64 || b == DType.FLOAT64) {
                return DType.COMPLEX128;
            }
            return DType.COMPLEX64;
        }
        if (a.isFloatingPoint() && b.isFloatingPoint()) {
            if (a == DType.FLOAT64 || b == DType.FLOAT64) {
                return DType.FLOAT64;
            }
            return DType.FLOAT32; // f16 with bf16, or either with f32
        }
        if (a.isFloatingPoint()) {
            return a;
        }
        if (b.isFloatingPoint()) {
            return b;
        }
        // both integers, among u8 i8 i16 i32 i64
        if (a == DType.UINT8 || b == DType.UINT8) {
            DType other = a == DType.UINT8 ? b : a;
            return other == DType.INT8 ? DType.INT16 : other;
        }
        return a.byteSize() >= b.byteSize() ? a : b;
    }

    /** Types PyTorch does not promote with others (fp8, the unsigned "shell" types beyond u8). */
    private static boolean isShellType(DType t) {
        return t == DType.UINT16 || t == DType.UINT32 || t == DType.UINT64
                || t == DType.FLOAT8_E4M3FN || t == DType.FLOAT8_E5M2;
    }

    private static DType promoteSkipNull(DType a, DType b) {
        return a == null ? b : promote(a, b);
    }

    /** c10's combine_categories: the higher kind wins unless the lower one brings a higher category. */
    private static DType combine(DType higher, DType lower) {
        if (higher == null) {
            return lower;
        }
        if (lower == null) {
            return higher;
        }
        if (higher.isComplex()) {
            return higher;
        }
        if (lower.isComplex()) {
            if (higher.isFloatingPoint()) {
                if (higher == DType.FLOAT64) {
                    return DType.COMPLEX128;
                }
                if (higher == DType.FLOAT32) {
                    return DType.COMPLEX64;
                }
                throw new IllegalArgumentException("no complex type for " + higher + " in Kiln");
            }
            return lower;
        }
        if (higher.isFloatingPoint()) {
            return higher;
        }
        if (higher == DType.BOOL || lower.isFloatingPoint()) {
            return promote(higher, lower);
        }
        return higher;
    }

    /** The dtype an "int to float" op (sqrt, exp, true division, ...) produces from {@code t}. */
    public static DType toFloating(DType t) {
        return t.isFloatingPoint() || t.isComplex() ? t : DEFAULT_FLOAT;
    }
}
