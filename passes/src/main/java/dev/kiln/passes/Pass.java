package dev.kiln.passes;

import dev.kiln.ir.Graph;

import java.util.List;

/**
 * A graph transformation with a stable kebab-case name (its CLI id). Passes are small and
 * stateless: per-compile state travels in the {@link PassContext}; options are typed fields described
 * by {@link #options()}. The {@link PassManager} does timing, verification and IR dumps.
 * Third-party passes register with {@code @AutoService(Pass.class)}.
 *
 * <pre>{@code
 * @AutoService(Pass.class)
 * public final class DeadCodeElimination implements Pass {
 *     public String name() { return "dce"; }
 *     public boolean run(Graph g, PassContext ctx) { ... }
 * }
 * }</pre>
 */
public interface Pass {

    /** The kebab-case id used in pipelines and on the command line: {@code fold-constants}. */
    String name();

    /** One line saying what the pass does (shown by {@code kiln opt --list}). */
    String description();

    /** Runs the pass; returns whether it changed the graph. */
    boolean run(Graph graph, PassContext context);

    /** The options this pass reads from {@link PassContext#options()}, with help text. */
    default List<PassOption<?>> options() {
        return List.of();
    }
}
