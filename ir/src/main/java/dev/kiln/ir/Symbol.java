package dev.kiln.ir;

import java.util.Objects;

/**
 * A named symbolic size (a dynamic dimension such as the batch) with an inclusive range.
 * {@code max == Long.MAX_VALUE} means unbounded above.
 *
 * <pre>{@code Symbol batch = new Symbol("s0", 1, 64);}</pre>
 */
public record Symbol(String name, long min, long max) {
    public static final long UNBOUNDED = Long.MAX_VALUE;

    public Symbol {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new KilnException("symbol name '" + name + "' must be an identifier");
        }
        if (min > max) {
            throw new KilnException("symbol " + name + " has an empty range [" + min + ", " + max + "]");
        }
    }

    public boolean bounded() {
        return max != UNBOUNDED;
    }

    /** {@code s0 in [1, 64]} or {@code s0 in [2, inf]}. */
    public String declaration() {
        return name + " in [" + min + ", " + (bounded() ? Long.toString(max) : "inf") + "]";
    }

    @Override
    public String toString() {
        return name;
    }
}
