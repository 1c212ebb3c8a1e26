package dev.kiln.frontend.torchscript;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** Writes damaged copies of archives for bad-input tests. */
final class Archives {
    private Archives() {
    }

    /** Copies {@code src} to {@code dst}, replacing {@code from} by {@code to} in entries ending with {@code suffix}. */
    static Path replaceInEntry(Path src, Path dst, String suffix, String from, String to) {
        try (ZipFile in = new ZipFile(src.toFile()); OutputStream os = Files.newOutputStream(dst);
             ZipOutputStream out = new ZipOutputStream(os)) {
            boolean replaced = false;
            Enumeration<? extends ZipEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                byte[] data;
                try (InputStream is = in.getInputStream(e)) {
                    data = is.readAllBytes();
                }
                if (e.getName().endsWith(suffix)) {
                    String text = new String(data, StandardCharsets.ISO_8859_1);
                    String changed = text.replace(from, to);
                    replaced |= !changed.equals(text);
                    data = changed.getBytes(StandardCharsets.ISO_8859_1);
                }
                ZipEntry ne = new ZipEntry(e.getName());
                ne.setMethod(ZipEntry.STORED);
                ne.setSize(data.length);
                CRC32 crc = new CRC32();
                crc.update(data);
                ne.setCrc(crc.getValue());
                out.putNextEntry(ne);
                out.write(data);
                out.closeEntry();
            }
            if (!replaced) {
                throw new IllegalStateException("no entry *" + suffix + " contains " + from);
            }
            return dst;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first {@code fraction} of {@code src}'s bytes. */
    static Path truncate(Path src, Path dst, double fraction) {
        try {
            byte[] all = Files.readAllBytes(src);
            Files.write(dst, java.util.Arrays.copyOf(all, (int) (all.length * fraction)));
            return dst;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
