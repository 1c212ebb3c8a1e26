/**
 * Runs IR nodes and graphs with libtorch: the fallback runtime and the reference interpreter.
 * {@link dev.kiln.backend.torch.Interpreter} runs a graph on a {@link dev.kiln.backend.torch.TorchDevice}
 * (CPU, or CUDA with libtorch's GPU build), {@link dev.kiln.backend.torch.NodeExecutor} one node, and
 * {@link dev.kiln.backend.torch.TorchTensors} wraps Kiln tensors and device pointers without copies.
 * Every native object has an owner ({@link dev.kiln.backend.torch.TorchTensor}, the interpreter).
 */
package dev.kiln.backend.torch;
