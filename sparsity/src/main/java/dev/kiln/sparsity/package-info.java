/**
 * 2:4 structured sparsity for TensorRT's sparse tensor cores: {@link dev.kiln.sparsity.TwoFour} checks and prunes the
 * pattern, {@link dev.kiln.sparsity.SparseSites} finds the weights it applies to, and the passes {@code check-2to4}
 * (a report) and {@code prune-2to4} (magnitude pruning, for measurement) work on the IR. The build flag that lets
 * TensorRT pick sparse kernels is {@code CompileSettings.withSparseWeights} ({@code kiln compile --sparse-weights}).
 */
package dev.kiln.sparsity;
