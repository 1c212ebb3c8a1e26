package dev.kiln.ir.npy;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes NumPy {@code .npz} archives: a zip of {@code .npy} arrays, stored ({@code savez})
 * or deflated ({@code savez_compressed}). Arrays come back in archive order, keyed by entry name
 * without {@code .npy}. Writing stores entries uncompressed with a fixed timestamp, so equal
 * contents give equal files.
 *
 * <pre>{@code Map<String, ConstantTensor> io = Npz.read(Path.of("mlp.npz")); ConstantTensor x0 = io.get("x0");}</pre>
 */
public final class Npz {
    private static final LocalDateTime EPOCH = LocalDateTime.of(1980, 1, 1, 0, 0);

    private Npz() {
    }

    /** Reads every array of {@code file}, in archive order. */
    public static Map<String, ConstantTensor> read(Path file) {
        Map<String, ConstantTensor> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                try (InputStream in = new BufferedInputStream(zip.getInputStream(e))) {
                    put(out, e.getName(), Npy.read(in, origin(file.toString(), e.getName())), file.toString());
                }
            }
        } catch (ZipException e) {
            throw new KilnException(file + ": not a valid .npz (zip) archive: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new KilnException(file + ": cannot read the .npz archive: " + e.getMessage(), e);
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Reads every array from a stream holding an .npz archive (a classpath resource, say);
     * {@code origin} names it in errors. Does not close the stream.
     */
    public static Map<String, ConstantTensor> read(InputStream stream, String origin) {
        Map<String, ConstantTensor> out = new LinkedHashMap<>();
        try {
            ZipInputStream zin = new ZipInputStream(new BufferedInputStream(stream));
            ZipEntry e;
            boolean any = false;
            while ((e = zin.getNextEntry()) != null) {
                any = true;
                if (!e.isDirectory()) {
                    put(out, e.getName(), Npy.read(zin, origin(origin, e.getName())), origin);
                }
                zin.closeEntry();
            }
            if (!any) {
                throw new KilnException(origin + ": not a .npz archive (no zip entries found)");
            }
        } catch (IOException e) {
            throw new KilnException(origin + ": cannot read the .npz archive: " + e.getMessage(), e);
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Writes {@code arrays} to {@code file} (replacing it atomically: a failed write leaves an existing file as it
     * was), each as entry {@code <name>.npy}, stored.
     */
    public static void write(Path file, Map<String, ConstantTensor> arrays) {
        // refuse unsupported dtypes before touching the file
        arrays.forEach((name, t) -> Npy.header(t, origin(file.toString(), name + ".npy")));
        dev.kiln.ir.AtomicFile.write(file, "the .npz archive", out -> write(out, arrays, file.toString()));
    }

    /** Writes an .npz archive of {@code arrays} to {@code out}, which is finished but not closed. */
    public static void write(OutputStream out, Map<String, ConstantTensor> arrays, String origin) throws IOException {
        ZipOutputStream zout = new ZipOutputStream(out);
        for (Map.Entry<String, ConstantTensor> a : arrays.entrySet()) {
            String entryName = a.getKey() + ".npy";
            String where = origin(origin, entryName);
            byte[] header = Npy.header(a.getValue(), where);
            // STORED entries need their size and CRC before the data: checksum the off-heap bytes in place
            CRC32 crc = new CRC32();
            crc.update(header);
            ByteBuffer data = a.getValue().data();
            crc.update(data);
            ZipEntry e = new ZipEntry(entryName);
            e.setMethod(ZipEntry.STORED);
            e.setSize(header.length + a.getValue().byteSize());
            e.setCompressedSize(header.length + a.getValue().byteSize());
            e.setCrc(crc.getValue());
            e.setTimeLocal(EPOCH);
            zout.putNextEntry(e);
            Npy.write(zout, a.getValue(), where);
            zout.closeEntry();
        }
        zout.finish();
    }

    /**
     * The arrays {@code <prefix>0, <prefix>1, ...} of {@code arrays} in index order: a model's inputs
     * ({@code "x"}) or outputs ({@code "y"}). Throws naming {@code origin} when the numbering has a gap.
     */
    public static List<ConstantTensor> series(Map<String, ConstantTensor> arrays, String prefix, String origin) {
        List<ConstantTensor> out = new ArrayList<>();
        while (arrays.containsKey(prefix + out.size())) {
            out.add(arrays.get(prefix + out.size()));
        }
        for (String k : arrays.keySet()) {
            String index = k.startsWith(prefix) ? k.substring(prefix.length()) : "";
            boolean numbered = !index.isEmpty() && index.chars().allMatch(c -> c >= '0' && c <= '9');
            // every numbered array must belong to the contiguous run <prefix>0 .. <prefix>(n-1) found above
            if (numbered && (index.length() > 9 || !k.equals(prefix + Integer.parseInt(index)) || Integer.parseInt(index) >= out.size())) {
                throw new KilnException(origin + ": array '" + k + "' has no '" + prefix + out.size()
                        + "' before it; number the arrays " + prefix + "0, " + prefix + "1, ... without gaps");
            }
        }
        return out;
    }

    /** The archive layout Kiln uses for a model run: inputs as {@code x0, x1, ...}, then outputs as {@code y0, y1, ...}. */
    public static Map<String, ConstantTensor> io(List<ConstantTensor> inputs, List<ConstantTensor> outputs) {
        Map<String, ConstantTensor> m = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            m.put("x" + i, inputs.get(i));
        }
        for (int i = 0; i < outputs.size(); i++) {
            m.put("y" + i, outputs.get(i));
        }
        return m;
    }

    private static void put(Map<String, ConstantTensor> out, String entry, ConstantTensor t, String origin) {
        String key = entry.endsWith(".npy") ? entry.substring(0, entry.length() - 4) : entry;
        if (out.put(key, t) != null) {
            throw new KilnException(origin + ": the archive holds array '" + key + "' twice");
        }
    }

    private static String origin(String file, String entry) {
        return file + ": entry '" + entry + "'";
    }
}
