package dev.kiln.frontend.fx.importer;

import dev.kiln.ir.SourceLocation;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks the user's source line out of a node's {@code stack_trace} metadata: the last frame that is
 * not inside torch itself, with the code on that line. Nodes torch made itself (only torch frames,
 * such as {@code torch/fx/passes/runtime_assert.py}) get no location rather than a misleading one.
 *
 * <pre>{@code StackTraces.userFrame("File \"m.py\", line 3, in forward\n    return self.fc(x)")  // m.py:3}</pre>
 */
public final class StackTraces {
    private static final Pattern FRAME = Pattern.compile("File \"([^\"\\n]+)\", line (\\d{1,9})(?:, in [^\\n]*)?(?:\\n([^\\n]*))?");

    private StackTraces() {
    }

    /** The last user frame of {@code trace}, empty when no frame can be read. */
    public static Optional<SourceLocation> userFrame(String trace) {
        Matcher m = FRAME.matcher(trace);
        SourceLocation lastUser = null;
        while (m.find()) {
            String file = m.group(1);
            int line = Integer.parseInt(m.group(2));
            String code = m.group(3) == null ? "" : m.group(3).strip();
            if (code.startsWith("File \"")) {
                code = "";
            }
            if (!isTorch(file)) {
                lastUser = new SourceLocation(file, line, code);
            }
        }
        return Optional.ofNullable(lastUser);
    }

    private static boolean isTorch(String file) {
        String f = file.replace('\\', '/');
        return f.contains("/site-packages/torch/") || f.contains("/dist-packages/torch/") || f.startsWith("torch/")
                || f.startsWith("<");
    }
}
