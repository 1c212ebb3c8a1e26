/**
 * The TensorRT backend: the converter SPI and built-in converters, strongly typed network building, engines and their runtime.
 */
package dev.kiln.backend.tensorrt;
