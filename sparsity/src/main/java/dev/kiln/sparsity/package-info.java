/**
 * 2:4 structured sparsity for TensorRT's sparse tensor cores.
 */
package dev.kiln.sparsity;
