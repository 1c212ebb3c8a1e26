/**
 * The partitioner's view of the TensorRT backend: {@link dev.kiln.backend.tensorrt.partition.RegistryCapability}
 * answers {@link dev.kiln.partition.Capability} from the converter registry.
 */
package dev.kiln.backend.tensorrt.partition;
