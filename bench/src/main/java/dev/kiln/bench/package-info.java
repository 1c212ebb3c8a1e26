/**
 * Benchmarks Kiln against PyTorch eager, torch.compile and ONNX→TensorRT. {@code bench/run.sh} runs
 * {@code bench/export_and_time.py} (exports and PyTorch peers) and then {@link dev.kiln.bench.Main}
 * ({@link dev.kiln.bench.GpuRunner}: Kiln and ONNX→TensorRT engines timed by the same
 * {@link dev.kiln.bench.EngineRun} code), and merges everything into {@code results.json} and
 * {@code results.md} ({@link dev.kiln.bench.Results}, {@link dev.kiln.bench.Report}).
 */
package dev.kiln.bench;
