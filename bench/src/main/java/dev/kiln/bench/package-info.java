/**
 * Benchmarks Kiln against PyTorch eager, torch.compile and ONNX→TensorRT.
 */
package dev.kiln.bench;
