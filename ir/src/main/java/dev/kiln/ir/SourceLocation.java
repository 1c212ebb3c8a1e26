package dev.kiln.ir;

import java.util.Objects;

/**
 * Where a node came from in the user's Python source: a file and line, and optionally the code on
 * that line. Error messages quote it so users can find the op in their model.
 *
 * <pre>{@code new SourceLocation("model.py", 42, "x = self.conv(x)")}</pre>
 */
public record SourceLocation(String file, int line, String code) {
    public SourceLocation {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(code, "code");
    }

    public SourceLocation(String file, int line) {
        this(file, line, "");
    }

    @Override
    public String toString() {
        return file + ":" + line;
    }
}
