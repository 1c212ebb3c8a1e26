/**
 * Int8 post-training quantization, explicit: {@link dev.kiln.quantization.Calibrator} measures the operands of
 * convolutions, linear layers and matrix products on calibration data (libtorch, CPU), {@link
 * dev.kiln.quantization.RangeHistogram} turns each distribution into an {@code amax} (max, percentile, entropy),
 * {@link dev.kiln.quantization.CalibrationTable} keeps them as JSON, and the pass {@link
 * dev.kiln.quantization.QuantizeInt8} ({@code quantize-int8}) marks those operands with {@code fake_quantize}
 * nodes. See the module's README for what is still to come (the TensorRT converter of the markers).
 */
package dev.kiln.quantization;
