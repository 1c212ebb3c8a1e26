package dev.kiln.frontend.fx.archive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * The bytes a zip archive is read from: a region of a file (memory-mapped) or a direct buffer
 * (an inflated nested archive). Views are read-only, little-endian and never copies on the heap.
 */
abstract class ByteSource {

    /** Number of bytes. */
    abstract long size();

    /** A read-only little-endian view of {@code len} bytes at {@code pos}; the caller checked the bounds. */
    abstract ByteBuffer view(long pos, long len) throws IOException;

    /** A sub-range of this source, as its own source (a stored zip inside a zip). */
    ByteSource slice(long pos, long len) throws IOException {
        return new BufferSource(view(pos, len));
    }

    static ByteBuffer le(ByteBuffer b) {
        return b.order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A file, mapped once when it fits one buffer, otherwise mapped region by region. */
    static final class FileSource extends ByteSource {
        private final FileChannel channel;
        private final long size;
        private final ByteBuffer whole;

        FileSource(FileChannel channel) throws IOException {
            this.channel = channel;
            this.size = channel.size();
            this.whole = size <= Integer.MAX_VALUE
                    ? le(channel.map(FileChannel.MapMode.READ_ONLY, 0, size).asReadOnlyBuffer()) : null;
        }

        @Override
        long size() {
            return size;
        }

        @Override
        ByteBuffer view(long pos, long len) throws IOException {
            if (len > Integer.MAX_VALUE) {
                throw new IOException("a region of " + len + " bytes is over the 2 GiB one buffer can hold");
            }
            if (whole != null) {
                return le(whole.slice((int) pos, (int) len));
            }
            return le(channel.map(FileChannel.MapMode.READ_ONLY, pos, len).asReadOnlyBuffer());
        }
    }

    /** A direct or mapped buffer. */
    static final class BufferSource extends ByteSource {
        private final ByteBuffer buffer;

        BufferSource(ByteBuffer buffer) {
            this.buffer = le(buffer.slice());
        }

        @Override
        long size() {
            return buffer.capacity();
        }

        @Override
        ByteBuffer view(long pos, long len) {
            return le(buffer.slice((int) pos, (int) len));
        }
    }
}
