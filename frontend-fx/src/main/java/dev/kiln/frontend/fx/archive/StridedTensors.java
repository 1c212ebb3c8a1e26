package dev.kiln.frontend.fx.archive;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Rebuilds a tensor from the raw bytes of its storage, as torch does with {@code as_strided}: dtype,
 * sizes, strides and storage offset (in elements). A contiguous view of the storage is returned
 * without copying (a slice of the mapping); any other layout is gathered once into native memory.
 *
 * <pre>{@code ConstantTensor w = StridedTensors.rebuild(storage, DType.FLOAT32, new long[] {32, 16}, new long[] {16, 1}, 0, "fc1.weight");}</pre>
 */
public final class StridedTensors {
    private StridedTensors() {
    }

    /**
     * The tensor viewed from {@code storage}; {@code where} names the tensor and the entry in messages.
     * Throws a {@link KilnException} when the view does not fit the storage.
     */
    public static ConstantTensor rebuild(ByteBuffer storage, DType dtype, long[] sizes, long[] strides, long offset,
                                         String where) {
        if (sizes.length != strides.length) {
            throw new KilnException(where + ": has " + sizes.length + " sizes but " + strides.length + " strides");
        }
        long es = dtype.byteSize();
        long numel = 1;
        long maxIndex = offset;
        boolean contiguous = true;
        long expect = 1;
        try {
            for (int d = sizes.length - 1; d >= 0; d--) {
                if (sizes[d] < 0) {
                    throw new KilnException(where + ": has a negative size " + Arrays.toString(sizes));
                }
                if (strides[d] < 0) {
                    throw new KilnException(where + ": has a negative stride " + Arrays.toString(strides));
                }
                if (sizes[d] != 1 && strides[d] != expect) {
                    contiguous = false;
                }
                expect = Math.multiplyExact(expect, sizes[d]);
                numel = Math.multiplyExact(numel, sizes[d]);
                if (sizes[d] > 0) {
                    maxIndex = Math.addExact(maxIndex, Math.multiplyExact(sizes[d] - 1, strides[d]));
                }
            }
            if (offset < 0) {
                throw new KilnException(where + ": has a negative storage offset " + offset);
            }
            long bytes = Math.multiplyExact(numel, es);
            if (bytes > Integer.MAX_VALUE) {
                throw new KilnException(where + ": is " + bytes + " bytes, over the 2 GiB one constant can hold");
            }
            if (numel == 0) {
                return new ConstantTensor(dtype, sizes, ByteBuffer.allocateDirect(0));
            }
            long needed = Math.multiplyExact(Math.addExact(maxIndex, 1), es);
            if (needed > storage.remaining()) {
                throw new KilnException(where + ": needs " + needed + " bytes of storage (sizes "
                        + Arrays.toString(sizes) + ", strides " + Arrays.toString(strides) + ", offset " + offset
                        + ", " + dtype + ") but the storage has only " + storage.remaining());
            }
            ByteBuffer src = storage.slice().order(ByteOrder.LITTLE_ENDIAN);
            if (contiguous) {
                return new ConstantTensor(dtype, sizes, src.slice((int) (offset * es), (int) bytes));
            }
            ByteBuffer out = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
            gather(src, out, sizes, strides, offset, (int) es);
            out.flip();
            return new ConstantTensor(dtype, sizes, out);
        } catch (ArithmeticException e) {
            throw new KilnException(where + ": sizes " + Arrays.toString(sizes) + " and strides "
                    + Arrays.toString(strides) + " overflow 64-bit arithmetic");
        }
    }

    /** Copies the strided view element by element in C order (runs of stride 1 in one go). */
    private static void gather(ByteBuffer src, ByteBuffer out, long[] sizes, long[] strides, long offset, int es) {
        int rank = sizes.length;
        if (rank == 0) {
            out.put(src.slice((int) (offset * es), es));
            return;
        }
        long[] idx = new long[rank];
        long inner = sizes[rank - 1];
        boolean innerRun = strides[rank - 1] == 1;
        while (true) {
            long base = offset;
            for (int d = 0; d < rank - 1; d++) {
                base += idx[d] * strides[d];
            }
            if (innerRun) {
                out.put(src.slice((int) (base * es), (int) (inner * es)));
            } else {
                for (long i = 0; i < inner; i++) {
                    out.put(src.slice((int) ((base + i * strides[rank - 1]) * es), es));
                }
            }
            int d = rank - 2;
            while (d >= 0) {
                if (++idx[d] < sizes[d]) {
                    break;
                }
                idx[d] = 0;
                d--;
            }
            if (d < 0) {
                return;
            }
        }
    }
}
