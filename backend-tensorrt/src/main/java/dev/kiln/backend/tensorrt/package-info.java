/**
 * The TensorRT backend: the converter SPI ({@link dev.kiln.backend.tensorrt.OpConverter},
 * {@link dev.kiln.backend.tensorrt.ConversionContext}, {@link dev.kiln.backend.tensorrt.ConverterRegistry}),
 * strongly typed network building ({@link dev.kiln.backend.tensorrt.NetworkBuilder}), optimization
 * profiles from symbol ranges or user {@link dev.kiln.backend.tensorrt.InputSpec}s
 * ({@link dev.kiln.backend.tensorrt.Profiles}) and engine building
 * ({@link dev.kiln.backend.tensorrt.EngineBuilder}). Running engines is in the {@code runtime}
 * subpackage; the op converters are in {@code converters}.
 */
package dev.kiln.backend.tensorrt;
