package dev.kiln.ir.npy;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes one array in NumPy's {@code .npy} format (header versions 1.0, 2.0 and 3.0) as a
 * {@link ConstantTensor}. The data goes straight into native memory through a small transient
 * buffer; Fortran-ordered arrays are transposed to C order and big-endian ones byte-swapped.
 * Writing uses version 1.0 (2.0 when the header is too long), C order, little endian.
 *
 * <pre>{@code ConstantTensor x = Npy.read(Path.of("x0.npy"));}</pre>
 */
public final class Npy {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int CHUNK = 1 << 16;

    private Npy() {
    }

    /** Reads the array stored in {@code file}. */
    public static ConstantTensor read(Path file) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new KilnException(file + ": cannot read the .npy file: " + e.getMessage(), e);
        }
    }

    /**
     * Reads one array from {@code in}; {@code origin} names it in errors ({@code "io.npz: entry 'x0.npy'"}).
     * Reads exactly the array's bytes and does not close the stream.
     */
    public static ConstantTensor read(InputStream in, String origin) {
        try {
            Header h = readHeader(in, origin);
            ByteBuffer raw;
            try {
                raw = ConstantTensor.allocate(h.dtype, h.sizes);
            } catch (KilnException | ArithmeticException e) {
                throw new KilnException(origin + ": cannot hold the " + h.dtype + Arrays.toString(h.sizes)
                        + " array: " + e.getMessage(), e);
            }
            readFully(in, raw, origin);
            raw.flip();
            if (h.bigEndian) {
                swapBytes(raw, h.dtype);
            }
            if (h.fortranOrder && h.sizes.length > 1) {
                raw = fortranToC(raw, h.dtype.byteSize(), h.sizes);
            }
            return new ConstantTensor(h.dtype, h.sizes, raw);
        } catch (IOException e) {
            throw new KilnException(origin + ": cannot read the array: " + e.getMessage(), e);
        }
    }

    /** Writes {@code tensor} to {@code file}, replacing it. */
    public static void write(Path file, ConstantTensor tensor) {
        header(tensor, file.toString()); // refuse unsupported dtypes before touching the file
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            write(out, tensor, file.toString());
        } catch (IOException e) {
            throw new KilnException(file + ": cannot write the .npy file: " + e.getMessage(), e);
        }
    }

    /** Writes {@code tensor} in .npy format to {@code out} (not closed); {@code origin} names it in errors. */
    public static void write(OutputStream out, ConstantTensor tensor, String origin) throws IOException {
        out.write(header(tensor, origin));
        ByteBuffer data = tensor.data();
        byte[] chunk = new byte[(int) Math.min(CHUNK, Math.max(1, data.remaining()))];
        while (data.hasRemaining()) {
            int n = Math.min(chunk.length, data.remaining());
            data.get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }

    /** The complete .npy header (magic, version, length, dict, padding) for {@code tensor}. */
    static byte[] header(ConstantTensor tensor, String origin) {
        String descr = tensor.dtype().numpyDescr().orElseThrow(() -> new KilnException(origin
                + ": NumPy has no " + tensor.dtype() + " type; cast the tensor to f32 (or f16) before saving it"));
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        long[] sizes = tensor.sizes();
        for (int i = 0; i < sizes.length; i++) {
            dict.append(i == 0 ? "" : ", ").append(sizes[i]);
        }
        dict.append(sizes.length == 1 ? ",), }" : "), }");
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        int prefix = 10; // magic, version, u16 length
        int major = 1;
        if (prefix + text.length + 1 > 0xffff) {
            prefix = 12;
            major = 2;
        }
        // pad with spaces and end with '\n' so that the data starts 64-byte aligned, as NumPy does
        int total = (prefix + text.length + 1 + 63) / 64 * 64;
        int headerLen = total - prefix;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) headerLen);
        } else {
            b.putInt(headerLen);
        }
        b.put(text);
        while (b.position() < total - 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    // --- header ---

    private record Header(DType dtype, long[] sizes, boolean fortranOrder, boolean bigEndian) {
    }

    private static Header readHeader(InputStream in, String origin) throws IOException {
        byte[] pre = new byte[8];
        readFully(in, pre, origin);
        for (int i = 0; i < MAGIC.length; i++) {
            if (pre[i] != MAGIC[i]) {
                throw new KilnException(origin + ": not a .npy array (the file does not start with \\x93NUMPY)");
            }
        }
        int major = pre[6] & 0xff;
        int len;
        if (major == 1) {
            byte[] l = new byte[2];
            readFully(in, l, origin);
            len = (l[0] & 0xff) | (l[1] & 0xff) << 8;
        } else if (major == 2 || major == 3) {
            byte[] l = new byte[4];
            readFully(in, l, origin);
            len = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (len < 0 || len > (1 << 24)) {
                throw new KilnException(origin + ": .npy header length " + Integer.toUnsignedString(len) + " is not plausible");
            }
        } else {
            throw new KilnException(origin + ": unsupported .npy format version " + major + "." + (pre[7] & 0xff)
                    + "; Kiln reads versions 1.0, 2.0 and 3.0");
        }
        byte[] text = new byte[len];
        readFully(in, text, origin);
        String dict = new String(text, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> d = new HeaderParser(dict, origin).parseDict();
        Object descr = d.get("descr");
        Object fortran = d.get("fortran_order");
        Object shape = d.get("shape");
        if (!(descr instanceof String) || !(fortran instanceof Boolean) || !(shape instanceof List)) {
            throw new KilnException(origin + ": the .npy header " + dict.trim()
                    + " lacks 'descr' (a string), 'fortran_order' or 'shape'; structured arrays are not supported");
        }
        String ds = (String) descr;
        List<?> shapeList = (List<?>) shape;
        long[] sizes = new long[shapeList.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = (Long) shapeList.get(i);
        }
        char order = ds.isEmpty() ? '|' : ds.charAt(0);
        String code = "<>|=".indexOf(order) >= 0 ? ds.substring(1) : ds;
        DType dtype = dtypeOf(code, ds, origin);
        boolean big = order == '>' && dtype.byteSize() > 1;
        return new Header(dtype, sizes, (Boolean) fortran, big);
    }

    private static DType dtypeOf(String code, String descr, String origin) {
        switch (code) {
            case "b1": case "?": return DType.BOOL;
            case "u1": case "B": return DType.UINT8;
            case "i1": case "b": return DType.INT8;
            case "i2": return DType.INT16;
            case "i4": return DType.INT32;
            case "i8": return DType.INT64;
            case "u2": return DType.UINT16;
            case "u4": return DType.UINT32;
            case "u8": return DType.UINT64;
            case "f2": case "e": return DType.FLOAT16;
            case "f4": case "f": return DType.FLOAT32;
            case "f8": case "d": return DType.FLOAT64;
            case "c8": case "F": return DType.COMPLEX64;
            case "c16": case "D": return DType.COMPLEX128;
            default:
                String hint = code.startsWith("V") || code.contains("bfloat16") || code.contains("float8")
                        ? " (bf16 and fp8 have no NumPy type; cast the array to float32 before saving it)"
                        : " (Kiln reads bool, u8-u64, i8-i64, f2, f4, f8, c8 and c16; cast the array to one of them)";
                throw new KilnException(origin + ": unsupported NumPy dtype '" + descr + "'" + hint);
        }
    }

    /** The tiny subset of Python literal syntax .npy headers use: a dict of str, bool and int tuples. */
    private static final class HeaderParser {
        private final String s;
        private final String origin;
        private int i;

        HeaderParser(String s, String origin) {
            this.s = s;
            this.origin = origin;
        }

        Map<String, Object> parseDict() {
            Map<String, Object> out = new LinkedHashMap<>();
            expect('{');
            while (true) {
                skip();
                if (peek() == '}') {
                    i++;
                    return out;
                }
                Object k = value();
                if (!(k instanceof String)) {
                    throw error("a string key");
                }
                expect(':');
                out.put((String) k, value());
                skip();
                if (peek() == ',') {
                    i++;
                } else if (peek() != '}') {
                    throw error("',' or '}'");
                }
            }
        }

        private Object value() {
            skip();
            char c = peek();
            if (c == '\'' || c == '"') {
                int end = s.indexOf(c, i + 1);
                if (end < 0) {
                    throw error("a closing quote");
                }
                String v = s.substring(i + 1, end);
                i = end + 1;
                return v;
            }
            if (c == '(' || c == '[') {
                char close = c == '(' ? ')' : ']';
                i++;
                List<Object> items = new ArrayList<>();
                while (true) {
                    skip();
                    if (peek() == close) {
                        i++;
                        return items;
                    }
                    items.add(value());
                    skip();
                    if (peek() == ',') {
                        i++;
                    } else if (peek() != close) {
                        throw error("',' or '" + close + "'");
                    }
                }
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == 'L')) {
                i++;
            }
            if (start == i) {
                throw error("a value");
            }
            return Long.parseLong(s.substring(start, i).replace("L", ""));
        }

        private void expect(char c) {
            skip();
            if (peek() != c) {
                throw error("'" + c + "'");
            }
            i++;
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private KilnException error(String expected) {
            return new KilnException(origin + ": malformed .npy header at character " + i + " (expected " + expected
                    + "): " + s.trim());
        }
    }

    // --- data ---

    private static void readFully(InputStream in, byte[] b, String origin) throws IOException {
        int off = 0;
        while (off < b.length) {
            int n = in.read(b, off, b.length - off);
            if (n < 0) {
                throw new EOFException("the .npy header ends early");
            }
            off += n;
        }
    }

    private static void readFully(InputStream in, ByteBuffer dst, String origin) throws IOException {
        byte[] chunk = new byte[Math.min(CHUNK, Math.max(1, dst.remaining()))];
        while (dst.hasRemaining()) {
            int n = in.read(chunk, 0, Math.min(chunk.length, dst.remaining()));
            if (n < 0) {
                throw new KilnException(origin + ": the array data ends early: " + dst.remaining()
                        + " of " + dst.capacity() + " bytes are missing");
            }
            dst.put(chunk, 0, n);
        }
    }

    /** Converts big-endian elements in place; complex numbers swap each of their two parts. */
    private static void swapBytes(ByteBuffer b, DType dtype) {
        int w = dtype.isComplex() ? dtype.byteSize() / 2 : dtype.byteSize();
        for (int base = 0; base + w <= b.limit(); base += w) {
            for (int lo = base, hi = base + w - 1; lo < hi; lo++, hi--) {
                byte t = b.get(lo);
                b.put(lo, b.get(hi));
                b.put(hi, t);
            }
        }
    }

    /** Fortran order of {@code sizes} is C order of the reversed sizes; transposes it into a fresh buffer. */
    private static ByteBuffer fortranToC(ByteBuffer src, int elem, long[] sizes) {
        int rank = sizes.length;
        ByteBuffer dst = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        long numel = src.remaining() / elem;
        long[] fStride = new long[rank];
        long s = 1;
        for (int d = 0; d < rank; d++) {
            fStride[d] = s;
            s *= sizes[d];
        }
        long[] idx = new long[rank];
        for (long c = 0; c < numel; c++) {
            long f = 0;
            for (int d = 0; d < rank; d++) {
                f += idx[d] * fStride[d];
            }
            int from = Math.toIntExact(f * elem);
            int to = Math.toIntExact(c * elem);
            for (int k = 0; k < elem; k++) {
                dst.put(to + k, src.get(from + k));
            }
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < sizes[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return dst;
    }
}
