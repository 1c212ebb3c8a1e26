package dev.kiln.partition;

import dev.kiln.ir.Node;
import dev.kiln.ir.Value;

import java.util.List;

/**
 * A maximal run of nodes that execute on one target, in execution order. Segments are executed in
 * index order; every value a segment reads comes from a graph input, a constant or an earlier
 * segment, so the segment graph is acyclic.
 *
 * <pre>{@code for (Segment s : partition.segments()) System.out.println(s.index() + " " + s.target() + " " + s.nodes().size());}</pre>
 *
 * @param index   position in execution order
 * @param target  where the nodes run
 * @param nodes   the nodes, in an order valid for execution
 * @param inputs  non-constant values the segment reads from outside, by first use
 * @param outputs values it produces that later segments or the graph's outputs read, in node order
 * @param cost    the cost model's estimate for the segment
 */
public record Segment(int index, Target target, List<Node> nodes, List<Value> inputs, List<Value> outputs,
        CostModel.SegmentCost cost) {
    public Segment {
        nodes = List.copyOf(nodes);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }
}
