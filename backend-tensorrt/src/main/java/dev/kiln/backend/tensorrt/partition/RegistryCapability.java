package dev.kiln.backend.tensorrt.partition;

import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.ir.Node;
import dev.kiln.partition.Capability;

/**
 * The partitioner's {@link Capability} over a {@link ConverterRegistry}: a node runs in TensorRT
 * exactly when {@link ConverterRegistry#lookup} finds a converter whose {@code check} passes, and a
 * refusal carries the converters' reasons. One source of truth for "can convert" and "did convert".
 *
 * <pre>{@code Partition p = Partitioner.partition(g, RegistryCapability.standard(settings), PartitionSettings.defaults());}</pre>
 */
public final class RegistryCapability implements Capability {
    private final ConverterRegistry registry;
    private final ConverterSettings settings;

    public RegistryCapability(ConverterRegistry registry, ConverterSettings settings) {
        this.registry = registry;
        this.settings = settings;
    }

    /** Over {@link ConverterRegistry#standard()}. */
    public static RegistryCapability standard(ConverterSettings settings) {
        return new RegistryCapability(ConverterRegistry.standard(), settings);
    }

    @Override
    public Verdict check(Node node) {
        ConverterRegistry.Lookup l = registry.lookup(node, settings);
        if (l.supported()) {
            return Verdict.yes("converted by " + l.converter().orElseThrow().getClass().getSimpleName());
        }
        return Verdict.no(l.reason());
    }

    @Override
    public String backend() {
        return "tensorrt";
    }
}
