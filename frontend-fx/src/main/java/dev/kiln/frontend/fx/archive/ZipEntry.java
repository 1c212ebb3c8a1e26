package dev.kiln.frontend.fx.archive;

/**
 * One entry of a {@link ZipArchive}: its name, how it is stored, its sizes and where its data starts.
 *
 * <pre>{@code ZipEntry e = archive.entry("m/models/model.json").orElseThrow();}</pre>
 *
 * @param name           the entry's path inside the archive
 * @param method         0 stored, 8 deflated
 * @param crc            CRC-32 of the uncompressed data
 * @param compressedSize bytes in the archive
 * @param size           bytes once uncompressed
 * @param dataOffset     where the (compressed) data starts in the archive
 */
public record ZipEntry(String name, int method, int crc, long compressedSize, long size, long dataOffset) {
    /** Stored without compression (the data can be mapped in place). */
    public static final int STORED = 0;
    /** Deflate-compressed. */
    public static final int DEFLATED = 8;

    public boolean isStored() {
        return method == STORED;
    }

    public boolean isDirectory() {
        return name.endsWith("/");
    }
}
