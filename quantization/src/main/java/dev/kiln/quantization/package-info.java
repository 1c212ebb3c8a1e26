/**
 * Calibration and Q/DQ insertion for INT8/FP8.
 */
package dev.kiln.quantization;
