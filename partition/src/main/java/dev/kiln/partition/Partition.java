package dev.kiln.partition;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of partitioning a graph: segments in execution order and, for every node in graph
 * order, where it runs and why. Immutable; the graph must not change while it is in use.
 *
 * <pre>{@code Partition p = Partitioner.partition(graph, capability, PartitionSettings.defaults());
 * System.out.print(SupportReport.text(p));}</pre>
 */
public final class Partition {
    private final Graph graph;
    private final String backend;
    private final PartitionSettings settings;
    private final List<Segment> segments;
    private final List<Placement> placements;
    private final Map<Node, Placement> byNode = new IdentityHashMap<>();

    Partition(Graph graph, String backend, PartitionSettings settings, List<Segment> segments, List<Placement> placements) {
        this.graph = graph;
        this.backend = backend;
        this.settings = settings;
        this.segments = List.copyOf(segments);
        this.placements = List.copyOf(placements);
        for (Placement p : placements) {
            byNode.put(p.node(), p);
        }
    }

    public Graph graph() {
        return graph;
    }

    /** The accelerator backend's name ({@link Capability#backend()}). */
    public String backend() {
        return backend;
    }

    public PartitionSettings settings() {
        return settings;
    }

    /**
     * The same segments and placements, reported under {@code s}: for a caller that partitioned with
     * settings derived from the user's (a graph that converts whole is one engine whatever its size)
     * and reports the settings the user gave.
     */
    public Partition withSettings(PartitionSettings s) {
        return new Partition(graph, backend, s, segments, placements);
    }

    /** Segments in execution order. */
    public List<Segment> segments() {
        return segments;
    }

    /** One placement per node, in graph order. */
    public List<Placement> placements() {
        return placements;
    }

    public Placement placement(Node n) {
        Placement p = byNode.get(n);
        if (p == null) {
            throw KilnException.at(n, "is not part of the partitioned graph " + graph.name());
        }
        return p;
    }

    /** How many nodes run in TensorRT. */
    public int tensorrtNodeCount() {
        return (int) placements.stream().filter(p -> p.target() == Target.TENSORRT).count();
    }

    /** Whether every node runs in TensorRT. */
    public boolean isFullyCompiled() {
        return tensorrtNodeCount() == placements.size();
    }
}
