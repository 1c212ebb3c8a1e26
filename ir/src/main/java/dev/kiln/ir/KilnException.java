package dev.kiln.ir;

/**
 * The one exception type Kiln lets users see. Its message names what went wrong (the file, the
 * node with its source location when known, or the op) and says what to do about it.
 *
 * <pre>{@code throw new KilnException("model.pt2: entry 'm/models/model.json': unknown dtype 99; re-export with torch >= 2.6");}</pre>
 */
public class KilnException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KilnException(String message) {
        super(message);
    }

    public KilnException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A message about {@code node}, prefixed with its name, op and source location. */
    public static KilnException at(Node node, String message) {
        return new KilnException(node.describe() + ": " + message);
    }
}
