/**
 * Cost-based partitioning of a graph between TensorRT and libtorch, asking the converter registry what converts.
 */
package dev.kiln.partition;
