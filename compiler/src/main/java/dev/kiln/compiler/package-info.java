/**
 * The compile pipeline: {@link dev.kiln.compiler.Kiln#compile} (load, passes, converters, TensorRT
 * engine), {@link dev.kiln.compiler.CompiledModule} (forward on host or device tensors, save, load)
 * and {@link dev.kiln.compiler.CompileSettings}.
 */
package dev.kiln.compiler;
