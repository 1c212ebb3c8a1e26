package dev.kiln.frontend.fx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** Builds test archives: reads a fixture's entries, changes some, writes a valid zip again. */
public final class Archives {
    static final ObjectMapper JSON = new ObjectMapper();

    private Archives() {
    }

    /** The entries of a zip, in order. */
    public static Map<String, byte[]> entries(Path zip) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> en = z.entries();
            while (en.hasMoreElements()) {
                ZipEntry e = en.nextElement();
                out.put(e.getName(), z.getInputStream(e).readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** A zip of {@code entries}, stored (or deflated). */
    public static byte[] zip(Map<String, byte[]> entries, boolean deflate) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream zos = new ZipOutputStream(bos)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                if (!deflate) {
                    ze.setMethod(ZipEntry.STORED);
                    ze.setSize(e.getValue().length);
                    ze.setCompressedSize(e.getValue().length);
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    ze.setCrc(crc.getValue());
                } else {
                    ze.setMethod(ZipEntry.DEFLATED);
                }
                zos.putNextEntry(ze);
                zos.write(e.getValue());
                zos.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    public static Path write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fixture {@code name} with the JSON entry ending in {@code suffix} changed by {@code edit}. */
    public static Map<String, byte[]> editJson(String name, String suffix, UnaryOperator<JsonNode> edit) {
        Map<String, byte[]> e = entries(Fixtures.path(name));
        String key = e.keySet().stream().filter(k -> k.endsWith(suffix)).findFirst().orElseThrow();
        try {
            JsonNode j = JSON.readTree(e.get(key));
            e.put(key, JSON.writeValueAsBytes(edit.apply(j)));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return e;
    }
}
