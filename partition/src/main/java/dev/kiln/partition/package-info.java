/**
 * Cost-based partitioning of a graph between TensorRT and libtorch.
 * {@link dev.kiln.partition.Partitioner} asks a backend's {@link dev.kiln.partition.Capability}
 * (implemented over the converter registry, so "can convert" and "did convert" agree), applies the
 * user's {@link dev.kiln.partition.PartitionSettings} and the {@link dev.kiln.partition.CostModel},
 * and returns an acyclic, deterministic {@link dev.kiln.partition.Partition};
 * {@link dev.kiln.partition.SupportReport} explains it as text, JSON or HTML.
 */
package dev.kiln.partition;
