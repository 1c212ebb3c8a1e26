package dev.kiln.ir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The check every file Kiln reads for a user starts with: it is there, and it is a file, not a folder. */
public final class InputFiles {
    private InputFiles() {
    }

    /**
     * Returns {@code file} when it is a regular file; otherwise a {@link KilnException}: "FILE: no such WHAT", or, for a
     * folder, "FILE: is a folder, not a WHAT; name the file inside it".
     */
    public static Path require(Path file, String what) {
        if (Files.isRegularFile(file)) {
            return file;
        }
        if (Files.isDirectory(file)) {
            throw new KilnException(file + ": is a folder, not " + ("aeiou".indexOf(what.charAt(0)) >= 0 ? "an " : "a ") + what
                    + "; name the file inside it");
        }
        throw new KilnException(file + ": no such " + what);
    }

    /**
     * The whole of {@code file} in native memory (little-endian, position 0), read through a channel with no copy on
     * the Java heap: engine plans, weights and timing caches, which TensorRT and the IR take from native memory anyway.
     * A file over 2 GiB (the most one buffer holds) or one that cannot be read is a {@link KilnException} naming it.
     */
    public static ByteBuffer readDirect(Path file, String what) {
        require(file, what);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new KilnException(file + ": the " + what + " holds " + size + " bytes, over the 2 GiB one Kiln buffer holds");
            }
            ByteBuffer b = ByteBuffer.allocateDirect((int) size).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read to the end
            }
            if (b.hasRemaining()) {
                throw new KilnException(file + ": the " + what + " ended after " + b.position() + " of its " + size + " bytes");
            }
            return b.flip();
        } catch (IOException e) {
            throw new KilnException(file + ": cannot read the " + what + ": " + AtomicFile.reason(e), e);
        }
    }
}
