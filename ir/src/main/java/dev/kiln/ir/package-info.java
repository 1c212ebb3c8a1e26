/**
 * Kiln's ATen-level graph IR: {@link dev.kiln.ir.Graph}, {@link dev.kiln.ir.Node} and
 * {@link dev.kiln.ir.Value} with typed values (tensors with dtype and symbolic shape, scalars, lists,
 * optionals), off-heap constants, and the one user-facing exception, {@link dev.kiln.ir.KilnException}.
 */
package dev.kiln.ir;
