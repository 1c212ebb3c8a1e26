/**
 * The compile pipeline: {@link dev.kiln.compiler.Kiln#compile} (load, passes, partition between
 * TensorRT and libtorch, engines), {@link dev.kiln.compiler.CompiledModule} (thread-safe forward on
 * host or device tensors, save to a {@code .kiln} archive, load) and
 * {@link dev.kiln.compiler.CompileSettings}; the hybrid runtime itself is in
 * {@code dev.kiln.compiler.hybrid}. Models enter through
 * {@link dev.kiln.compiler.Models#load}, which picks the frontend from the file's contents
 * ({@link dev.kiln.compiler.ModelFormat}).
 */
package dev.kiln.compiler;
