package dev.kiln.ir;

import java.nio.file.Files;
import java.nio.file.Path;

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
            throw new KilnException(file + ": is a folder, not a " + what + "; name the file inside it");
        }
        throw new KilnException(file + ": no such " + what);
    }
}
