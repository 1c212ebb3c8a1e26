package dev.kiln.passes;

import dev.kiln.ir.Graph;

/**
 * Checks a graph's invariants; throws a {@code KilnException} naming the first broken one. The pass
 * manager runs one after every pass.
 *
 * <pre>{@code PassManager.builder().verifier(Verifier::verify)}</pre>
 */
@FunctionalInterface
public interface GraphVerifier {
    void verify(Graph graph);
}
