package dev.kiln.backend.tensorrt;

import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import org.bytedeco.tensorrt.global.nvinfer.DataType;

import java.util.Optional;

/**
 * The mapping between Kiln's {@link DType}s and TensorRT's {@code DataType}s. TensorRT has no
 * f64, i16, unsigned 16/32/64-bit or complex types; {@link #toTrt} refuses them with a reason and
 * {@link #constantType} names the type a constant of such a dtype is converted to.
 *
 * <pre>{@code DataType t = TrtTypes.toTrt(DType.FLOAT16); // kHALF}</pre>
 */
public final class TrtTypes {
    private TrtTypes() {
    }

    /** TensorRT's type for {@code t}, or empty when TensorRT has none. */
    public static Optional<DataType> find(DType t) {
        switch (t) {
            case FLOAT32:
                return Optional.of(DataType.kFLOAT);
            case FLOAT16:
                return Optional.of(DataType.kHALF);
            case BFLOAT16:
                return Optional.of(DataType.kBF16);
            case INT8:
                return Optional.of(DataType.kINT8);
            case INT32:
                return Optional.of(DataType.kINT32);
            case INT64:
                return Optional.of(DataType.kINT64);
            case BOOL:
                return Optional.of(DataType.kBOOL);
            case UINT8:
                return Optional.of(DataType.kUINT8);
            case FLOAT8_E4M3FN:
                return Optional.of(DataType.kFP8);
            default:
                return Optional.empty();
        }
    }

    /** TensorRT's type for {@code t}; a {@link KilnException} saying what to do when there is none. */
    public static DataType toTrt(DType t) {
        return find(t).orElseThrow(() -> new KilnException("TensorRT has no " + t.text() + " tensors"
                + " (it supports f32, f16, bf16, i8, i32, i64, bool, u8 and f8e4m3fn); cast the tensor"
                + " to a supported type before the TensorRT part of the model"));
    }

    /** Kiln's dtype for a TensorRT type ({@code kINT4} and unknown codes are refused). */
    public static DType fromTrt(DataType t) {
        switch (t.intern()) {
            case kFLOAT:
                return DType.FLOAT32;
            case kHALF:
                return DType.FLOAT16;
            case kBF16:
                return DType.BFLOAT16;
            case kINT8:
                return DType.INT8;
            case kINT32:
                return DType.INT32;
            case kINT64:
                return DType.INT64;
            case kBOOL:
                return DType.BOOL;
            case kUINT8:
                return DType.UINT8;
            case kFP8:
                return DType.FLOAT8_E4M3FN;
            default:
                throw new KilnException("TensorRT type " + t + " has no Kiln dtype (Kiln does not handle it)");
        }
    }

    /** Kiln's dtype for a TensorRT type code as returned by calls typed {@code int}. */
    public static DType fromTrt(int code) {
        for (DataType t : DataType.values()) {
            if (t.value == code) {
                return fromTrt(t);
            }
        }
        throw new KilnException("unknown TensorRT type code " + code);
    }

    /**
     * The dtype a constant of {@code t} becomes in a TensorRT network: itself when TensorRT has it,
     * otherwise the nearest supported type (f64 to f32, i16/u16 to i32, u32/u64 to i64). Such
     * constants are converted once on the host; all others are handed to TensorRT without a copy.
     */
    public static DType constantType(DType t) {
        if (find(t).isPresent()) {
            return t;
        }
        switch (t) {
            case FLOAT64:
                return DType.FLOAT32;
            case INT16:
            case UINT16:
                return DType.INT32;
            case UINT32:
            case UINT64:
                return DType.INT64;
            default:
                throw new KilnException("TensorRT has no " + t.text() + " constants and Kiln cannot convert them");
        }
    }
}
