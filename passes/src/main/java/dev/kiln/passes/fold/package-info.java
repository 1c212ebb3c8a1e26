/**
 * Folding passes: {@code fold-constants} (libtorch evaluation of all-constant subgraphs, with a
 * size cap) and {@code fold-batch-norm} (inference batch norm into the preceding layer).
 */
package dev.kiln.passes.fold;
