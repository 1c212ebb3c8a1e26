/**
 * The pass manager and the passes every compile runs: DCE, CSE, canonicalization, decompositions, constant and batch-norm folding, shape propagation, precision.
 */
package dev.kiln.passes;
