package dev.kiln.ir;

import java.nio.ByteBuffer;

/**
 * Reads and writes single elements of every {@link DType} in little-endian buffers, converting
 * through double: fp16, bf16 and fp8 by their bit layouts.
 */
public final class ElementCodec {
    private ElementCodec() {
    }

    public static double get(DType t, ByteBuffer b, long index) {
        int o = Math.toIntExact(index * t.byteSize());
        return switch (t) {
            case BOOL -> b.get(o) != 0 ? 1 : 0;
            case UINT8 -> b.get(o) & 0xff;
            case INT8 -> b.get(o);
            case INT16 -> b.getShort(o);
            case INT32 -> b.getInt(o);
            case INT64 -> b.getLong(o);
            case UINT16 -> b.getShort(o) & 0xffff;
            case UINT32 -> b.getInt(o) & 0xffffffffL;
            case UINT64 -> unsignedToDouble(b.getLong(o));
            case FLOAT16 -> halfToFloat(b.getShort(o));
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort(o) & 0xffff) << 16);
            case FLOAT32 -> b.getFloat(o);
            case FLOAT64 -> b.getDouble(o);
            case FLOAT8_E4M3FN -> e4m3ToFloat(b.get(o));
            case FLOAT8_E5M2 -> halfToFloat((short) ((b.get(o) & 0xff) << 8));
            case COMPLEX64 -> b.getFloat(o);
            case COMPLEX128 -> b.getDouble(o);
        };
    }

    public static void put(DType t, ByteBuffer b, long index, double v) {
        int o = Math.toIntExact(index * t.byteSize());
        switch (t) {
            case BOOL -> b.put(o, (byte) (v != 0 ? 1 : 0));
            case UINT8, INT8 -> b.put(o, (byte) (long) v);
            case INT16, UINT16 -> b.putShort(o, (short) (long) v);
            case INT32, UINT32 -> b.putInt(o, (int) (long) v);
            case INT64, UINT64 -> b.putLong(o, (long) v);
            case FLOAT16 -> b.putShort(o, floatToHalf((float) v));
            case BFLOAT16 -> b.putShort(o, floatToBf16((float) v));
            case FLOAT32 -> b.putFloat(o, (float) v);
            case FLOAT64 -> b.putDouble(o, v);
            case FLOAT8_E4M3FN -> b.put(o, floatToE4m3((float) v));
            case FLOAT8_E5M2 -> b.put(o, (byte) (floatToHalf((float) v) >> 8));
            case COMPLEX64 -> {
                b.putFloat(o, (float) v);
                b.putFloat(o + 4, 0f);
            }
            case COMPLEX128 -> {
                b.putDouble(o, v);
                b.putDouble(o + 8, 0d);
            }
        }
    }

    private static double unsignedToDouble(long v) {
        double d = (double) (v >>> 1) * 2.0;
        return d + (v & 1);
    }

    /** IEEE half to float, exact. */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int man = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (man << 13));
        }
        if (exp == 0) {
            float v = man * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (man << 13));
    }

    /** Float to IEEE half, round to nearest even. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int man = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (man != 0 ? 0x200 | (man >>> 13) : 0));
        }
        float a = Math.abs(f);
        if (a >= 65520f) {
            return (short) (sign | 0x7c00);
        }
        if (a < 0x1p-14f) {
            // subnormal half: value / 2^-24, rounded to nearest even
            return (short) (sign | (int) Math.rint(a * 0x1p24f));
        }
        int e = exp - 112;
        int m = man >>> 13;
        int rest = man & 0x1fff;
        int h = (e << 10) | m;
        if (rest > 0x1000 || (rest == 0x1000 && (m & 1) == 1)) {
            h++;
        }
        return (short) (sign | h);
    }

    /** Float to bfloat16, round to nearest even (NaN stays NaN). */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** fp8 e4m3fn (no infinities, 0x7f/0xff are NaN, bias 7) to float. */
    public static float e4m3ToFloat(byte v) {
        int b = v & 0xff;
        int sign = b >>> 7;
        int exp = (b >>> 3) & 0xf;
        int man = b & 0x7;
        float r;
        if (exp == 0xf && man == 0x7) {
            r = Float.NaN;
        } else if (exp == 0) {
            r = man / 8f * (float) Math.pow(2, -6);
        } else {
            r = (1 + man / 8f) * (float) Math.pow(2, exp - 7);
        }
        return sign == 1 ? -r : r;
    }

    /** Float to fp8 e4m3fn, round to nearest even, saturating to ±448. */
    public static byte floatToE4m3(float f) {
        if (Float.isNaN(f)) {
            return 0x7f;
        }
        int best = 0;
        float bestErr = Float.MAX_VALUE;
        for (int b = 0; b < 0x7f; b++) { // non-negative codes except NaN, ascending
            float err = Math.abs(e4m3ToFloat((byte) b) - Math.abs(f));
            if (err < bestErr || (err == bestErr && (b & 1) == 0)) {
                best = b;
                bestErr = err;
            }
        }
        return (byte) (f < 0 || (f == 0 && 1 / f < 0) ? best | 0x80 : best);
    }
}
