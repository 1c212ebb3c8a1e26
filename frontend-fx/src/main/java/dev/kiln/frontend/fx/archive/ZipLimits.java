package dev.kiln.frontend.fx.archive;

/**
 * Bounds that keep a hostile archive from exhausting memory: the number of entries, the total
 * size of everything inflated, the compression ratio of one entry (zip bombs), and the size of one
 * metadata entry (JSON, pickles) that is read onto the heap.
 *
 * <pre>{@code ZipArchive.open(path, ZipLimits.DEFAULT)}</pre>
 *
 * @param maxEntries        most entries in one archive
 * @param maxTotalInflated  most bytes inflated from compressed entries of one archive, nested ones included
 * @param maxRatio          largest uncompressed/compressed ratio of an entry over {@link #RATIO_FLOOR} bytes
 * @param maxMetadataBytes  largest entry read onto the heap (JSON, pickle programs)
 */
public record ZipLimits(int maxEntries, long maxTotalInflated, long maxRatio, int maxMetadataBytes) {
    /** Entries smaller than this are never refused for their ratio. */
    public static final long RATIO_FLOOR = 1 << 20;

    /** 1M entries, 8 GiB inflated, ratio 200, 512 MiB of JSON. */
    public static final ZipLimits DEFAULT = new ZipLimits(1 << 20, 8L << 30, 200, 512 << 20);
}
