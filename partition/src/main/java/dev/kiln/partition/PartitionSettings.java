package dev.kiln.partition;

import dev.kiln.ir.KilnException;

import java.util.Collection;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The user's say in partitioning: ops and node names forced to torch, the smallest TensorRT segment
 * worth an engine ({@code min_block_size}, default 5), whether everything must convert
 * ({@code require_full_compilation}: then an unsupported node is an error and no segment is demoted)
 * and the cost model.
 *
 * <pre>{@code PartitionSettings s = PartitionSettings.defaults().withTorchOps(List.of("aten::softmax")).withMinBlockSize(3);}</pre>
 *
 * @param minBlockSize           smallest TensorRT segment kept (1 keeps every convertible node)
 * @param torchOps               ops forced to torch: a qualified overload ({@code aten::add.Tensor}) or a
 *                               name without overload ({@code aten::add}) for every overload
 * @param torchNodes             node names forced to torch
 * @param requireFullCompilation every node must run in TensorRT
 * @param costModel              per-op and per-boundary estimates
 */
public record PartitionSettings(int minBlockSize, SortedSet<String> torchOps, SortedSet<String> torchNodes,
        boolean requireFullCompilation, CostModel costModel) {
    public static final int DEFAULT_MIN_BLOCK_SIZE = 5;

    public PartitionSettings {
        if (minBlockSize < 1) {
            throw new KilnException("min_block_size must be at least 1, not " + minBlockSize);
        }
        torchOps = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(torchOps));
        torchNodes = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(torchNodes));
        if (costModel == null) {
            throw new KilnException("partition settings need a cost model");
        }
    }

    public static PartitionSettings defaults() {
        return new PartitionSettings(DEFAULT_MIN_BLOCK_SIZE, new TreeSet<>(), new TreeSet<>(), false, CostModel.defaults());
    }

    public PartitionSettings withMinBlockSize(int n) {
        return new PartitionSettings(n, torchOps, torchNodes, requireFullCompilation, costModel);
    }

    public PartitionSettings withTorchOps(Collection<String> ops) {
        return new PartitionSettings(minBlockSize, new TreeSet<>(ops), torchNodes, requireFullCompilation, costModel);
    }

    public PartitionSettings withTorchNodes(Collection<String> names) {
        return new PartitionSettings(minBlockSize, torchOps, new TreeSet<>(names), requireFullCompilation, costModel);
    }

    public PartitionSettings withRequireFullCompilation(boolean b) {
        return new PartitionSettings(minBlockSize, torchOps, torchNodes, b, costModel);
    }

    public PartitionSettings withCostModel(CostModel m) {
        return new PartitionSettings(minBlockSize, torchOps, torchNodes, requireFullCompilation, m);
    }
}
