package dev.kiln.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A constant tensor (a weight, a folded value): dtype, static sizes and C-contiguous little-endian
 * bytes held off the Java heap, in a direct or memory-mapped {@link ByteBuffer}. A 500 MB model's
 * weights stay in the file's mapping or in native memory; the heap holds only this small object.
 *
 * <pre>{@code ConstantTensor w = ConstantTensor.ofFloats(new long[] {2, 2}, 1f, 2f, 3f, 4f);}</pre>
 */
public final class ConstantTensor {
    private final DType dtype;
    private final long[] sizes;
    private final ByteBuffer data;
    private volatile String digest;

    /**
     * Wraps {@code data} without copying when it is direct (or mapped); a heap buffer is copied once
     * into native memory. The buffer must hold exactly {@code numel * elementSize} bytes from its
     * position to its limit.
     */
    public ConstantTensor(DType dtype, long[] sizes, ByteBuffer data) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.sizes = sizes.clone();
        for (long s : sizes) {
            if (s < 0) {
                throw new KilnException("constant tensor has a negative size: " + Arrays.toString(sizes));
            }
        }
        long bytes = Math.multiplyExact(numel(), (long) dtype.byteSize());
        if (data.remaining() != bytes) {
            throw new KilnException("constant tensor of " + dtype + Arrays.toString(sizes) + " needs " + bytes
                    + " bytes but was given " + data.remaining());
        }
        ByteBuffer d = data.slice();
        if (!d.isDirect()) {
            ByteBuffer copy = ByteBuffer.allocateDirect(d.remaining());
            copy.put(d.duplicate());
            copy.flip();
            d = copy;
        }
        this.data = d.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A zero-filled tensor in fresh native memory, with its buffer to fill (write before sharing). */
    public static ByteBuffer allocate(DType dtype, long... sizes) {
        long n = 1;
        for (long s : sizes) {
            n = Math.multiplyExact(n, s);
        }
        long bytes = Math.multiplyExact(n, (long) dtype.byteSize());
        if (bytes > Integer.MAX_VALUE) {
            throw new KilnException("constant tensor of " + bytes + " bytes is over the 2 GiB a single buffer can hold");
        }
        return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static ConstantTensor ofFloats(long[] sizes, float... values) {
        ByteBuffer b = allocate(DType.FLOAT32, sizes);
        b.asFloatBuffer().put(values);
        return new ConstantTensor(DType.FLOAT32, sizes, b);
    }

    public static ConstantTensor ofLongs(long[] sizes, long... values) {
        ByteBuffer b = allocate(DType.INT64, sizes);
        b.asLongBuffer().put(values);
        return new ConstantTensor(DType.INT64, sizes, b);
    }

    /** A 0-d tensor holding one value, converted to {@code dtype}. */
    public static ConstantTensor scalar(DType dtype, double value) {
        ByteBuffer b = allocate(dtype);
        ElementCodec.put(dtype, b, 0, value);
        return new ConstantTensor(dtype, new long[0], b);
    }

    public DType dtype() {
        return dtype;
    }

    public long[] sizes() {
        return sizes.clone();
    }

    public int rank() {
        return sizes.length;
    }

    public long numel() {
        long n = 1;
        for (long s : sizes) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    public long byteSize() {
        return data.capacity();
    }

    /** The bytes, read-only and little-endian, positioned at 0 (a fresh view on each call). */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The IR type of a value holding this constant. */
    public TensorType type() {
        return new TensorType(dtype, Shape.of(sizes));
    }

    /** Element {@code i} (C order) as a double; integers and bools convert exactly up to 2^53. */
    public double getDouble(long i) {
        return ElementCodec.get(dtype, data, i);
    }

    /** Element {@code i} (C order) as a long; floating-point values are truncated. */
    public long getLong(long i) {
        if (dtype == DType.INT64) {
            return data.getLong(Math.toIntExact(i * 8));
        }
        return (long) ElementCodec.get(dtype, data, i);
    }

    /** SHA-256 of dtype, sizes and bytes: a content key for caches and CSE. */
    public String digest() {
        String d = digest;
        if (d == null) {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                md.update((dtype.text() + Arrays.toString(sizes)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(data());
                d = HexFormat.of().formatHex(md.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            digest = d;
        }
        return d;
    }

    /** True when dtype, sizes and bytes are equal. */
    public boolean contentEquals(ConstantTensor o) {
        return dtype == o.dtype && Arrays.equals(sizes, o.sizes) && data().equals(o.data());
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(sizes);
    }
}
