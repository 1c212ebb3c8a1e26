/**
 * The TensorRT backend: the converter SPI ({@link dev.kiln.backend.tensorrt.OpConverter},
 * {@link dev.kiln.backend.tensorrt.ConversionContext}, {@link dev.kiln.backend.tensorrt.ConverterRegistry}),
 * strongly typed network building, engines and their runtime.
 */
package dev.kiln.backend.tensorrt;
