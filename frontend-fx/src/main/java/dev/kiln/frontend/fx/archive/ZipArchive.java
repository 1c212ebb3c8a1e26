package dev.kiln.frontend.fx.archive;

import dev.kiln.ir.KilnException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A zip archive read from its central directory, with data served without heap copies: stored
 * entries are views of the memory-mapped file, deflated entries are inflated once into native
 * memory (once per entry). Zip64 is supported; encryption and multi-disk archives are refused. Every problem is a
 * {@link KilnException} naming the file, the entry and what is wrong.
 *
 * <pre>{@code
 * try (ZipArchive zip = ZipArchive.open(Path.of("model.pt2"), ZipLimits.DEFAULT)) {
 *     ByteBuffer w = zip.data(zip.require("model/data/weights/weight_0"));
 * }
 * }</pre>
 *
 * <p>Views stay valid after {@link #close()}: a mapping outlives the channel it was made from.
 */
public final class ZipArchive implements AutoCloseable {
    private static final int EOCD_SIG = 0x06054b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int CEN_SIG = 0x02014b50;
    private static final int LOC_SIG = 0x04034b50;
    private static final long U32 = 0xFFFFFFFFL;

    private static final AtomicInteger OPEN_FILES = new AtomicInteger();

    private final String label;
    private final ByteSource source;
    private final FileChannel channel;
    private final ZipLimits limits;
    private final AtomicLong inflated;
    private final Map<String, ZipEntry> entries;
    private final Map<String, ByteBuffer> inflatedCache = new java.util.HashMap<>();
    private boolean closed;

    private ZipArchive(String label, ByteSource source, FileChannel channel, ZipLimits limits, AtomicLong inflated) {
        this.label = label;
        this.source = source;
        this.channel = channel;
        this.limits = limits;
        this.inflated = inflated;
        this.entries = readCentralDirectory();
    }

    /** Opens {@code file}; the caller closes the archive. */
    public static ZipArchive open(Path file, ZipLimits limits) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            throw new KilnException(file + ": cannot open the file (" + e.getMessage() + ")", e);
        }
        OPEN_FILES.incrementAndGet();
        try {
            return new ZipArchive(file.toString(), new ByteSource.FileSource(ch), ch, limits, new AtomicLong());
        } catch (IOException e) {
            release(ch);
            throw new KilnException(file + ": cannot map the file (" + e.getMessage() + ")", e);
        } catch (RuntimeException | Error e) {
            release(ch);
            throw e;
        }
    }

    /** Reads an archive held in a buffer (direct or mapped), named {@code label} in messages. */
    public static ZipArchive of(String label, ByteBuffer bytes, ZipLimits limits) {
        return new ZipArchive(label, new ByteSource.BufferSource(bytes), null, limits, new AtomicLong());
    }

    /**
     * Opens a zip stored inside this one ({@code torch.save} payloads of older .pt2 files). A
     * stored inner zip is read in place; a compressed one is inflated once, counted against this
     * archive's limits.
     */
    public ZipArchive nested(ZipEntry e) {
        ByteSource inner;
        try {
            inner = e.isStored() ? source.slice(e.dataOffset(), e.size()) : new ByteSource.BufferSource(data(e));
        } catch (IOException ex) {
            throw problem(e, "cannot read the nested archive (" + ex.getMessage() + ")");
        }
        return new ZipArchive(label + " > " + e.name(), inner, null, limits, inflated);
    }

    /** How many files opened by this class are still open (tests assert nothing leaks). */
    public static int openFiles() {
        return OPEN_FILES.get();
    }

    /** The file name (and nested entry path) used in messages. */
    public String label() {
        return label;
    }

    /** Entries in central-directory order. */
    public List<ZipEntry> entries() {
        return Collections.unmodifiableList(new ArrayList<>(entries.values()));
    }

    public Optional<ZipEntry> entry(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /** The entry called {@code name}; a missing one is a {@link KilnException} naming it. */
    public ZipEntry require(String name) {
        ZipEntry e = entries.get(name);
        if (e == null) {
            throw new KilnException(label + ": entry '" + name + "' is missing; the archive is incomplete or not of the expected layout");
        }
        return e;
    }

    /**
     * The entry's uncompressed bytes as a read-only little-endian buffer: a view of the mapping
     * when stored, otherwise inflated once into native memory.
     */
    public ByteBuffer data(ZipEntry e) {
        try {
            if (e.isStored()) {
                return source.view(e.dataOffset(), e.size());
            }
            // storages shared by several tensors are inflated (and counted against the limits) once
            ByteBuffer b = inflatedCache.get(e.name());
            if (b == null) {
                b = inflate(e);
                inflatedCache.put(e.name(), b);
            }
            return ByteSource.le(b.duplicate());
        } catch (IOException ex) {
            throw problem(e, "cannot read the data (" + ex.getMessage() + ")");
        }
    }

    /** The entry's bytes on the heap, CRC-checked; for metadata, bounded by {@link ZipLimits#maxMetadataBytes()}. */
    public byte[] bytes(ZipEntry e) {
        if (e.size() > limits.maxMetadataBytes()) {
            throw problem(e, "is " + e.size() + " bytes, over the " + limits.maxMetadataBytes()
                    + " bytes allowed for metadata");
        }
        ByteBuffer b = data(e);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        CRC32 crc = new CRC32();
        crc.update(out);
        if ((int) crc.getValue() != e.crc()) {
            throw problem(e, "is corrupt: its CRC-32 is " + Integer.toHexString((int) crc.getValue())
                    + " but the directory says " + Integer.toHexString(e.crc()));
        }
        return out;
    }

    /** The entry as UTF-8 text (CRC-checked; malformed UTF-8 is refused). */
    public String text(ZipEntry e) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes(e))).toString();
        } catch (CharacterCodingException ex) {
            throw problem(e, "is not valid UTF-8 text");
        }
    }

    /** A {@link KilnException} for a problem with entry {@code e}: "file: entry 'name' problem". */
    public KilnException problem(ZipEntry e, String problem) {
        return problem(e.name(), problem);
    }

    /** A {@link KilnException} for a problem with the entry called {@code entryName}. */
    public KilnException problem(String entryName, String problem) {
        return new KilnException(label + ": entry '" + entryName + "' " + problem);
    }

    @Override
    public void close() {
        if (channel != null && !closed) {
            closed = true;
            release(channel);
        }
    }

    // --- reading ---

    private KilnException corrupt(String what) {
        return new KilnException(label + ": not a valid zip archive (" + what + "); the file is truncated or corrupt, re-export it");
    }

    private Map<String, ZipEntry> readCentralDirectory() {
        try {
            return readDirectory();
        } catch (IOException | IndexOutOfBoundsException | IllegalArgumentException | ArithmeticException e) {
            throw corrupt(String.valueOf(e.getMessage()));
        }
    }

    private Map<String, ZipEntry> readDirectory() throws IOException {
        long size = source.size();
        if (size < 22) {
            throw corrupt("only " + size + " bytes");
        }
        int tailLen = (int) Math.min(size, 22 + 0xFFFF);
        ByteBuffer tail = source.view(size - tailLen, tailLen);
        int eocd = -1;
        for (int i = tailLen - 22; i >= 0; i--) {
            if (tail.getInt(i) == EOCD_SIG && i + 22 + (tail.getShort(i + 20) & 0xFFFF) <= tailLen) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            throw corrupt("no end-of-central-directory record");
        }
        long eocdPos = size - tailLen + eocd;
        int disk = tail.getShort(eocd + 4) & 0xFFFF;
        int cdDisk = tail.getShort(eocd + 6) & 0xFFFF;
        long count = tail.getShort(eocd + 10) & 0xFFFF;
        long cdSize = tail.getInt(eocd + 12) & U32;
        long cdOffset = tail.getInt(eocd + 16) & U32;
        if (count == 0xFFFF || cdSize == U32 || cdOffset == U32) {
            if (eocdPos < 20) {
                throw corrupt("zip64 sizes without a zip64 locator");
            }
            ByteBuffer loc = source.view(eocdPos - 20, 20);
            if (loc.getInt(0) != ZIP64_LOCATOR_SIG) {
                throw corrupt("zip64 sizes without a zip64 locator");
            }
            long z64 = loc.getLong(8);
            if (z64 < 0 || z64 + 56 > eocdPos) {
                throw corrupt("zip64 end record out of range");
            }
            ByteBuffer r = source.view(z64, 56);
            if (r.getInt(0) != ZIP64_EOCD_SIG) {
                throw corrupt("bad zip64 end record signature");
            }
            disk = r.getInt(16);
            cdDisk = r.getInt(20);
            count = r.getLong(32);
            cdSize = r.getLong(40);
            cdOffset = r.getLong(48);
        }
        if (disk != 0 || cdDisk != 0) {
            throw corrupt("multi-disk archives are not supported");
        }
        if (count < 0 || count > limits.maxEntries()) {
            throw corrupt(count + " entries, over the limit of " + limits.maxEntries());
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > eocdPos || cdSize > Integer.MAX_VALUE) {
            throw corrupt("central directory out of range");
        }
        ByteBuffer cd = source.view(cdOffset, cdSize);
        Map<String, ZipEntry> out = new LinkedHashMap<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p + 46 > cd.limit() || cd.getInt(p) != CEN_SIG) {
                throw corrupt("central directory entry " + i + " is damaged");
            }
            int flags = cd.getShort(p + 8) & 0xFFFF;
            int method = cd.getShort(p + 10) & 0xFFFF;
            int crc = cd.getInt(p + 16);
            long csize = cd.getInt(p + 20) & U32;
            long usize = cd.getInt(p + 24) & U32;
            int nameLen = cd.getShort(p + 28) & 0xFFFF;
            int extraLen = cd.getShort(p + 30) & 0xFFFF;
            int commentLen = cd.getShort(p + 32) & 0xFFFF;
            long localOffset = cd.getInt(p + 42) & U32;
            if (p + 46 + nameLen + extraLen + commentLen > cd.limit()) {
                throw corrupt("central directory entry " + i + " runs past the directory");
            }
            String name = decodeName(cd, p + 46, nameLen, (flags & 0x800) != 0);
            // zip64 extra field: the 0xFFFFFFFF fields, in order usize, csize, offset
            int x = p + 46 + nameLen;
            int xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = cd.getShort(x) & 0xFFFF;
                int len = cd.getShort(x + 2) & 0xFFFF;
                int q = x + 4;
                if (q + len > xEnd) {
                    break;
                }
                if (id == 0x0001) {
                    if (usize == U32 && q + 8 <= x + 4 + len) {
                        usize = cd.getLong(q);
                        q += 8;
                    }
                    if (csize == U32 && q + 8 <= x + 4 + len) {
                        csize = cd.getLong(q);
                        q += 8;
                    }
                    if (localOffset == U32 && q + 8 <= x + 4 + len) {
                        localOffset = cd.getLong(q);
                    }
                }
                x += 4 + len;
            }
            p += 46 + nameLen + extraLen + commentLen;
            if ((flags & 1) != 0) {
                throw problem(name, "is encrypted; Kiln reads only unencrypted archives");
            }
            if (method != ZipEntry.STORED && method != ZipEntry.DEFLATED) {
                throw problem(name, "uses compression method " + method + "; only stored and deflated entries are supported");
            }
            if (usize < 0 || csize < 0 || localOffset < 0 || localOffset + 30 > cdOffset) {
                throw problem(name, "has sizes or an offset out of range (the archive is corrupt)");
            }
            if (method == ZipEntry.STORED && usize != csize) {
                throw problem(name, "is stored but its sizes differ (" + csize + " vs " + usize + "); the archive is corrupt");
            }
            ByteBuffer loc = source.view(localOffset, 30);
            if (loc.getInt(0) != LOC_SIG) {
                throw problem(name, "has no local header at offset " + localOffset + " (the archive is corrupt)");
            }
            long dataOffset = localOffset + 30 + (loc.getShort(26) & 0xFFFF) + (loc.getShort(28) & 0xFFFF);
            if (dataOffset + csize > cdOffset) {
                throw problem(name, "has data running past the end of the archive (truncated?)");
            }
            ZipEntry e = new ZipEntry(name, method, crc, csize, usize, dataOffset);
            if (out.put(name, e) != null) {
                throw problem(name, "appears twice in the archive; refusing an ambiguous archive");
            }
        }
        return out;
    }

    private String decodeName(ByteBuffer cd, int at, int len, boolean utf8) {
        byte[] b = new byte[len];
        cd.get(at, b);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException ex) {
            if (utf8) {
                throw corrupt("an entry name is not valid UTF-8");
            }
            return new String(b, StandardCharsets.ISO_8859_1);
        }
    }

    private ByteBuffer inflate(ZipEntry e) throws IOException {
        long usize = e.size();
        if (usize > Integer.MAX_VALUE) {
            throw problem(e, "inflates to " + usize + " bytes, over the 2 GiB one buffer can hold");
        }
        if (usize > ZipLimits.RATIO_FLOOR && usize > Math.max(1, e.compressedSize()) * limits.maxRatio()) {
            throw problem(e, "would inflate " + e.compressedSize() + " bytes to " + usize
                    + " (ratio over " + limits.maxRatio() + "): refusing a possible zip bomb");
        }
        if (inflated.addAndGet(usize) > limits.maxTotalInflated()) {
            throw problem(e, "would take the archive's inflated total over " + limits.maxTotalInflated()
                    + " bytes: refusing a possible zip bomb");
        }
        ByteBuffer in = source.view(e.dataOffset(), e.compressedSize());
        ByteBuffer out = ByteBuffer.allocateDirect((int) usize);
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(in);
            int stalls = 0;
            while (out.hasRemaining()) {
                int n = inf.inflate(out);
                if (n == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary() || ++stalls > 1000)) {
                    throw problem(e, "inflates to " + out.position() + " bytes but the directory says "
                            + usize + " (the archive is corrupt)");
                }
            }
            if (!inf.finished()) {
                // the stream must end exactly at the declared size
                ByteBuffer probe = ByteBuffer.allocate(1);
                if (inf.inflate(probe) > 0 || !inf.finished()) {
                    throw problem(e, "inflates to more than the " + usize + " bytes the directory says (the archive is corrupt)");
                }
            }
        } catch (DataFormatException ex) {
            throw problem(e, "has corrupt compressed data (" + ex.getMessage() + ")");
        } finally {
            inf.end();
        }
        out.flip();
        return ByteSource.le(out.asReadOnlyBuffer());
    }

    private static void release(FileChannel ch) {
        OPEN_FILES.decrementAndGet();
        closeQuietly(ch);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing more to do: the descriptor is released either way
        }
    }
}
