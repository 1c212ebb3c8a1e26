package dev.kiln.frontend.fx.importer;

import dev.kiln.ir.SourceLocation;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks the user's source line out of a node's {@code stack_trace} metadata: the last frame that is
 * not inside torch itself (falling back to the last frame), with the code on that line.
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
        SourceLocation last = null;
        SourceLocation lastUser = null;
        while (m.find()) {
            String file = m.group(1);
            int line = Integer.parseInt(m.group(2));
            String code = m.group(3) == null ? "" : m.group(3).strip();
            if (code.startsWith("File \"")) {
                code = "";
            }
            SourceLocation loc = new SourceLocation(file, line, code);
            last = loc;
            if (!isTorch(file)) {
                lastUser = loc;
            }
        }
        return Optional.ofNullable(lastUser != null ? lastUser : last);
    }

    private static boolean isTorch(String file) {
        String f = file.replace('\\', '/');
        return f.contains("/site-packages/torch/") || f.contains("/dist-packages/torch/") || f.startsWith("<");
    }
}
