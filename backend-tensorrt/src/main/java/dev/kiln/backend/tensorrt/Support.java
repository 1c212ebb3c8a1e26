package dev.kiln.backend.tensorrt;

import java.util.Objects;

/**
 * A converter's answer to "can you convert this node?": supported, or a reason a user can act on
 * ({@code "dilation > 1 is not supported for transposed convolution; the node will run in libtorch"}).
 *
 * <pre>{@code return node.boolArg("ceil_mode") ? Support.no("ceil_mode=True is not supported") : Support.yes();}</pre>
 */
public sealed interface Support permits Support.Supported, Support.Unsupported {

    record Supported() implements Support {
    }

    record Unsupported(String reason) implements Support {
        public Unsupported {
            Objects.requireNonNull(reason, "reason");
            if (reason.isBlank()) {
                throw new IllegalArgumentException("an unsupported verdict needs a reason a user can act on");
            }
        }
    }

    Supported YES = new Supported();

    static Support yes() {
        return YES;
    }

    static Support no(String reason) {
        return new Unsupported(reason);
    }

    default boolean isSupported() {
        return this instanceof Supported;
    }

    /** The reason, empty when supported. */
    default String reason() {
        return this instanceof Unsupported u ? u.reason() : "";
    }
}
