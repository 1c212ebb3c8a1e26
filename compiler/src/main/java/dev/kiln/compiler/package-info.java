/**
 * The compile pipeline: {@link dev.kiln.compiler.Kiln#compile} (load, passes, converters, TensorRT
 * engine), {@link dev.kiln.compiler.CompiledModule} (forward on host or device tensors, save, load)
 * and {@link dev.kiln.compiler.CompileSettings}. Models enter through
 * {@link dev.kiln.compiler.Models#load}, which picks the frontend from the file's contents
 * ({@link dev.kiln.compiler.ModelFormat}).
 */
package dev.kiln.compiler;
