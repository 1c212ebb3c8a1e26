package dev.kiln.passes;

/**
 * Named pipelines. {@link #DEFAULT} is what {@code kiln compile} runs: canonicalize, fold constants
 * to a fixed point, fold batch norms, decompose what the backend cannot convert, clean up again,
 * then decide precision (from the context) and tidy the casts.
 *
 * <pre>{@code passManager.run(graph, Pipelines.DEFAULT, ctx);}</pre>
 */
public final class Pipelines {
    /** The compile pipeline (shape propagation joins it from the {@code shapes} package). */
    public static final String DEFAULT = "canonicalize,fixpoint(fold-constants,cse,dce),fold-batch-norm,decompose,"
            + "fixpoint(canonicalize,fold-constants,cse,dce),precision,cse,dce";

    /** The shape and dtype propagation pass (package {@code dev.kiln.passes.shapes}). */
    public static final String PROPAGATE_SHAPES = "propagate-shapes";

    /** Just the clean-up passes. */
    public static final String CLEANUP = "fixpoint(canonicalize,cse,dce)";

    private Pipelines() {
    }

    /**
     * {@link #DEFAULT} with shape propagation first and again before {@code precision} (which needs
     * dtypes), when {@code registry} has the {@value #PROPAGATE_SHAPES} pass; {@link #DEFAULT} otherwise.
     */
    public static String defaultFor(PassRegistry registry) {
        if (registry.find(PROPAGATE_SHAPES).isEmpty()) {
            return DEFAULT;
        }
        return PROPAGATE_SHAPES + "," + DEFAULT.replace(",precision,", "," + PROPAGATE_SHAPES + ",precision,");
    }
}
