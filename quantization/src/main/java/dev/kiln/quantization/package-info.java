/**
 * Int8 post-training quantization, explicit: {@link dev.kiln.quantization.Calibrator} measures the operands of
 * convolutions, linear layers and matrix products on calibration data (libtorch, CPU), {@link
 * dev.kiln.quantization.RangeHistogram} turns each distribution into an {@code amax} (max, percentile, entropy),
 * {@link dev.kiln.quantization.CalibrationTable} keeps them as JSON, and the pass {@link
 * dev.kiln.quantization.QuantizeInt8} ({@code quantize-int8}) marks those operands with {@code fake_quantize}
 * nodes, which backend-tensorrt converts to int8 quantize and dequantize layers. See the module's README.
 */
package dev.kiln.quantization;
