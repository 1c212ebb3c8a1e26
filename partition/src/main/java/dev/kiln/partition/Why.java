package dev.kiln.partition;

import java.util.Locale;

/** The kind of reason a node runs where it does; the sentence itself is in {@link Placement#reason()}. */
public enum Why {
    /** A converter accepts the node and its segment is worth an engine. */
    CONVERTER,
    /** No converter accepts the node (the converter's reason). */
    UNSUPPORTED,
    /** The user forced the node's op to torch. */
    USER_OP,
    /** The user forced the node (by name) to torch. */
    USER_NODE,
    /** Convertible, but its segment is smaller than {@code min_block_size}. */
    MIN_BLOCK_SIZE,
    /** Convertible, but its segment saves less than its boundaries cost. */
    COST,
    /**
     * Accepted by its converter, but moved to torch by the compiler: a non-tensor value it reads or computes
     * would cross an engine's edge, or TensorRT's builder found no way to build it.
     */
    MOVED;

    /** {@code converter}, {@code unsupported}, {@code user-op}, ... as reports print it. */
    public String text() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
