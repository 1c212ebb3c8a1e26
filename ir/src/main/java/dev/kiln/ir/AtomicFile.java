package dev.kiln.ir;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writing a file the way every file Kiln writes for a user is written: into a temp file in the same folder, then
 * renamed over the target in one step. A write that fails (a full disk, a refused value half-way, a crash) leaves
 * the target as it was and no temp file behind; a reader never sees half a file. Missing folders are created.
 *
 * <pre>{@code AtomicFile.write(Path.of("out.npz"), "the .npz archive", out -> out.write(bytes));}</pre>
 */
public final class AtomicFile {
    /** What goes into the file. */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFile() {
    }

    /**
     * Writes {@code file} with {@code body}; {@code what} names the file's kind in errors ("the .npz archive").
     * Any failure is a {@link KilnException} naming the file and saying why in plain words.
     */
    public static void write(Path file, String what, Body body) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = null;
        try {
            if (Files.isDirectory(target)) {
                throw new KilnException(file + ": is a folder; name a file to write " + what + " to");
            }
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                body.write(out);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new KilnException(file + ": cannot write " + what + ": " + reason(e), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temp file is litter at worst; the target was not touched
                }
            }
        }
    }

    /** Writes {@code data} (position to limit, not consumed) to {@code out} without copying it whole onto the heap. */
    public static void put(OutputStream out, ByteBuffer data) throws IOException {
        WritableByteChannel ch = Channels.newChannel(out);
        ByteBuffer b = data.duplicate();
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Why an I/O operation failed, in words a user can act on (Java's messages are often just the path). */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException f) {
            return "no such file or folder (" + f.getFile() + ")";
        }
        if (e instanceof AccessDeniedException f) {
            return "permission denied (" + f.getFile() + ")";
        }
        if (e instanceof NotDirectoryException f) {
            return "a file stands where a folder is needed (" + f.getFile() + ")";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason() + (f.getFile() != null ? " (" + f.getFile() + ")" : "");
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
