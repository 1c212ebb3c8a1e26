/**
 * Kiln's built-in TensorRT converters, one {@link dev.kiln.backend.tensorrt.OpConverter} per exact
 * ATen overload (training-IR and core-ATen forms), registered with {@code @AutoService} and grouped
 * by family in holder classes ({@code ElementwiseConverters.AddTensor}, {@code ConvolutionConverters.Conv2d}, ...).
 * Each converter's {@code check} is side-effect free and refuses with a reason naming the node;
 * the shared layer-building blocks beyond {@link dev.kiln.backend.tensorrt.ConversionContext} live
 * in {@link dev.kiln.backend.tensorrt.converters.Layers}, the common checks in
 * {@link dev.kiln.backend.tensorrt.converters.AtenConverter}.
 *
 * <p>Strongly typed networks: every PyTorch type promotion is an explicit cast, indices from top-k
 * are cast to i64, comparisons produce bool.
 */
package dev.kiln.backend.tensorrt.converters;
