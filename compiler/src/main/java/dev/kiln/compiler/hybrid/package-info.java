/**
 * The hybrid runtime: a compiled model as a {@link dev.kiln.compiler.hybrid.Program} of TensorRT
 * engines and libtorch segments over numbered value slots, made by
 * {@link dev.kiln.compiler.hybrid.HybridCompiler} (partition, segment extraction, engines, the
 * {@link dev.kiln.compiler.hybrid.EngineCache}), run by {@link dev.kiln.compiler.hybrid.HybridRuntime}
 * (pooled per-caller contexts, one CUDA stream per call, counted copies at CPU-libtorch boundaries,
 * {@link dev.kiln.compiler.hybrid.TorchPlacement}) and stored by
 * {@link dev.kiln.compiler.hybrid.KilnArchive} (the {@code .kiln} file). See {@code docs/hybrid.md}.
 */
package dev.kiln.compiler.hybrid;
