package dev.kiln.partition;

import dev.kiln.ir.Node;

/**
 * What an accelerator backend can run, asked node by node: the partitioner's only view of the
 * backend. A backend implements it over its own converter registry, so "can convert" and "did
 * convert" never disagree (backend-tensorrt's {@code RegistryCapability}). {@link #check} must be free
 * of side effects and deterministic.
 *
 * <pre>{@code Capability c = node -> node.op().equals("aten::relu") ? Verdict.yes() : Verdict.no("only relu");}</pre>
 */
@FunctionalInterface
public interface Capability {
    /** Whether the backend can run {@code node} as it stands, or a sentence saying why not. */
    Verdict check(Node node);

    /** The backend's name in reports ({@code tensorrt}). */
    default String backend() {
        return "tensorrt";
    }

    /**
     * A backend's answer for one node: supported (optionally saying how), or the reason it is not;
     * {@code moved} marks a node the compiler itself keeps out of the backend though a converter accepts it
     * (reported as {@link Why#MOVED}).
     */
    record Verdict(boolean supported, String reason, boolean moved) {
        public Verdict {
            if (reason == null || (!supported && reason.isBlank())) {
                throw new IllegalArgumentException("an unsupported verdict needs a reason");
            }
            if (supported && moved) {
                throw new IllegalArgumentException("a moved node is not supported");
            }
        }

        public Verdict(boolean supported, String reason) {
            this(supported, reason, false);
        }

        /** Accepted by its converter, but kept out of the backend by the compiler, for {@code reason}. */
        public static Verdict moved(String reason) {
            return new Verdict(false, reason, true);
        }

        public static Verdict yes() {
            return new Verdict(true, "");
        }

        /** Supported, with a note for the report (which converter takes the node). */
        public static Verdict yes(String detail) {
            return new Verdict(true, detail);
        }

        public static Verdict no(String reason) {
            return new Verdict(false, reason);
        }
    }
}
