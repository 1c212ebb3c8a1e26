/**
 * Decompositions: the {@link dev.kiln.passes.decompose.Decomposition} SPI (op to graph of simpler
 * ops), the {@link dev.kiln.passes.decompose.DecompositionTable}, the {@code decompose} pass and the
 * decompositions Kiln ships.
 */
package dev.kiln.passes.decompose;
