package dev.kiln.ir;

import java.util.Optional;

/**
 * Element types of tensors, covering ATen's scalar types. Each knows its text name (used by the IR
 * text form), its size, its c10 {@code ScalarType} code, its code in the torch.export schema and its
 * NumPy type string where NumPy has one.
 *
 * <pre>{@code DType.parse("f16").byteSize() == 2}</pre>
 */
public enum DType {
    //        text      bytes c10  export numpy  float  signed
    BOOL("bool", 1, 11, 12, "|b1", false, false),
    UINT8("u8", 1, 0, 1, "|u1", false, false),
    INT8("i8", 1, 1, 2, "|i1", false, true),
    INT16("i16", 2, 2, 3, "<i2", false, true),
    INT32("i32", 4, 3, 4, "<i4", false, true),
    INT64("i64", 8, 4, 5, "<i8", false, true),
    UINT16("u16", 2, 27, 28, "<u2", false, false),
    UINT32("u32", 4, 28, -1, "<u4", false, false),
    UINT64("u64", 8, 29, -1, "<u8", false, false),
    FLOAT16("f16", 2, 5, 6, "<f2", true, true),
    BFLOAT16("bf16", 2, 15, 13, null, true, true),
    FLOAT32("f32", 4, 6, 7, "<f4", true, true),
    FLOAT64("f64", 8, 7, 8, "<f8", true, true),
    FLOAT8_E4M3FN("f8e4m3fn", 1, 24, 29, null, true, true),
    FLOAT8_E5M2("f8e5m2", 1, 23, 30, null, true, true),
    COMPLEX64("c64", 8, 9, 10, "<c8", false, true),
    COMPLEX128("c128", 16, 10, 11, "<c16", false, true);

    private final String text;
    private final int byteSize;
    private final int c10Code;
    private final int exportCode;
    private final String numpy;
    private final boolean floatingPoint;
    private final boolean signed;

    DType(String text, int byteSize, int c10Code, int exportCode, String numpy, boolean floatingPoint, boolean signed) {
        this.text = text;
        this.byteSize = byteSize;
        this.c10Code = c10Code;
        this.exportCode = exportCode;
        this.numpy = numpy;
        this.floatingPoint = floatingPoint;
        this.signed = signed;
    }

    /** The name in the IR text form: {@code f32}, {@code bf16}, {@code i64}, {@code bool}, ... */
    public String text() {
        return text;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The code of this type in c10's {@code ScalarType} enum (libtorch). */
    public int c10Code() {
        return c10Code;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    public boolean isComplex() {
        return this == COMPLEX64 || this == COMPLEX128;
    }

    public boolean isIntegral() {
        return !floatingPoint && !isComplex() && this != BOOL;
    }

    public boolean isSigned() {
        return signed;
    }

    /** The NumPy dtype string ({@code <f4}), absent for types NumPy lacks (bf16, fp8). */
    public Optional<String> numpyDescr() {
        return Optional.ofNullable(numpy);
    }

    @Override
    public String toString() {
        return text;
    }

    public static DType parse(String text) {
        for (DType t : values()) {
            if (t.text.equals(text)) {
                return t;
            }
        }
        throw new KilnException("unknown dtype '" + text + "'; expected one of bool, u8, i8, i16, i32, i64, f16, bf16, f32, f64, f8e4m3fn, f8e5m2");
    }

    /** The type with the given c10 {@code ScalarType} code. */
    public static Optional<DType> fromC10(int code) {
        for (DType t : values()) {
            if (t.c10Code == code) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** The type with the given code of the torch.export serialization schema (not c10's numbering). */
    public static Optional<DType> fromExportCode(int code) {
        for (DType t : values()) {
            if (t.exportCode == code) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** The type with the given name as ATen spells it in schemas and Python ({@code float}, {@code half}, {@code long}, {@code bfloat16}). */
    public static Optional<DType> fromTorchName(String name) {
        return Optional.ofNullable(switch (name) {
            case "bool" -> BOOL;
            case "uint8" -> UINT8;
            case "int8" -> INT8;
            case "int16", "short" -> INT16;
            case "int32", "int" -> INT32;
            case "int64", "long" -> INT64;
            case "uint16" -> UINT16;
            case "uint32" -> UINT32;
            case "uint64" -> UINT64;
            case "float16", "half" -> FLOAT16;
            case "bfloat16" -> BFLOAT16;
            case "float32", "float" -> FLOAT32;
            case "float64", "double" -> FLOAT64;
            case "float8_e4m3fn" -> FLOAT8_E4M3FN;
            case "float8_e5m2" -> FLOAT8_E5M2;
            case "complex64", "cfloat" -> COMPLEX64;
            case "complex128", "cdouble" -> COMPLEX128;
            default -> null;
        });
    }
}
