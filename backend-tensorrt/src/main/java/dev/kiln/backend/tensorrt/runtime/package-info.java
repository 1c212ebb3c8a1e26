/**
 * Running TensorRT engines: loading the native libraries (with a remembered, library-naming first
 * failure), owned native objects, CUDA streams and device buffers,
 * {@link dev.kiln.backend.tensorrt.runtime.Engine} and
 * {@link dev.kiln.backend.tensorrt.runtime.ExecutionSession}.
 */
package dev.kiln.backend.tensorrt.runtime;
