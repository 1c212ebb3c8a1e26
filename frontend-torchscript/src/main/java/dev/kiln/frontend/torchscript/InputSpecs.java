package dev.kiln.frontend.torchscript;

import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Input types for TorchScript graphs, read from the example inputs {@code x0, x1, ...} of an
 * {@code .npz} (only the array headers are read: dtype and shape). TorchScript archives carry no
 * shapes, so this is how a graph gets typed inputs.
 *
 * <pre>{@code List<TensorType> types = InputSpecs.fromNpz(Path.of("cnn.npz")); // [tensor<f32, [2, 3, 16, 16]>]}</pre>
 */
public final class InputSpecs {
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*True");

    private InputSpecs() {
    }

    /** The types of {@code x0, x1, ...} in {@code npz}, in order; fails when there is no {@code x0}. */
    public static List<TensorType> fromNpz(Path npz) {
        List<TensorType> out = new ArrayList<>();
        try (ZipFile zip = new ZipFile(npz.toFile())) {
            for (int i = 0; ; i++) {
                ZipEntry e = zip.getEntry("x" + i + ".npy");
                if (e == null) {
                    break;
                }
                try (InputStream in = zip.getInputStream(e)) {
                    out.add(readHeader(in, npz + ": x" + i));
                }
            }
        } catch (IOException e) {
            throw new KilnException(npz + ": cannot read the .npz of example inputs: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new KilnException(npz + ": holds no input arrays x0, x1, ...; save example inputs with numpy.savez(path, x0=..., x1=...)");
        }
        return out;
    }

    static TensorType readHeader(InputStream in, String what) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || (magic[0] & 0xff) != 0x93 || magic[1] != 'N' || magic[2] != 'U') {
            throw new KilnException(what + ": not a .npy array");
        }
        int major = magic[6];
        byte[] lenBytes = in.readNBytes(major == 1 ? 2 : 4);
        long len = 0;
        for (int i = lenBytes.length - 1; i >= 0; i--) {
            len = (len << 8) | (lenBytes[i] & 0xff);
        }
        String header = new String(in.readNBytes((int) len), StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !s.find()) {
            throw new KilnException(what + ": malformed .npy header: " + header.strip());
        }
        if (FORTRAN.matcher(header).find()) {
            throw new KilnException(what + ": Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray");
        }
        DType dtype = null;
        for (DType t : DType.values()) {
            if (t.numpyDescr().map(x -> x.equals(d.group(1)) || x.substring(1).equals(d.group(1).substring(1))
                    && d.group(1).charAt(0) == '=').orElse(false)) {
                dtype = t;
            }
        }
        if (dtype == null) {
            throw new KilnException(what + ": numpy dtype '" + d.group(1) + "' has no Kiln dtype");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            if (!part.isBlank()) {
                dims.add(Long.parseLong(part.strip().replace("L", "")));
            }
        }
        return new TensorType(dtype, Shape.of(dims.stream().mapToLong(Long::longValue).toArray()));
    }
}
