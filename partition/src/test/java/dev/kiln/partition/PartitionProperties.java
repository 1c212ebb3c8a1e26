package dev.kiln.partition;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.testing.RandomGraphs;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Partitioner invariants over random DAGs, random capabilities, block sizes and overrides. */
class PartitionProperties {
    @Property(tries = 150)
    void partitionsAreValidAcyclicAndDeterministic(@ForAll long seed, @ForAll @IntRange(min = 1, max = 60) int size,
            @ForAll @IntRange(min = 1, max = 8) int minBlock) {
        Random r = new Random(seed);
        Graph g = TestGraphs.randomDag(r, size);
        Capability cap = randomCapability(seed);
        PartitionSettings s = PartitionSettings.defaults().withMinBlockSize(minBlock);
        if (r.nextInt(3) == 0) {
            s = s.withTorchOps(List.of(TestGraphs.UNARY[r.nextInt(TestGraphs.UNARY.length)]));
        }
        if (r.nextInt(3) == 0) {
            s = s.withTorchNodes(List.of("n" + r.nextInt(size)));
        }
        Partition p = Partitioner.partition(g, cap, s);
        checkInvariants(g, cap, s, p);
        // deterministic: the same inputs, and a copy of the graph, give the same report
        assertThat(SupportReport.json(Partitioner.partition(g, cap, s))).isEqualTo(SupportReport.json(p));
        assertThat(SupportReport.json(Partitioner.partition(Graphs.copy(g), cap, s))).isEqualTo(SupportReport.json(p));
    }

    @Property(tries = 60)
    void randomVerifiedGraphsPartitionValidly(@ForAll long seed, @ForAll @IntRange(min = 1, max = 6) int minBlock) {
        Graph g = RandomGraphs.generate(seed);
        Capability cap = randomCapability(seed);
        PartitionSettings s = PartitionSettings.defaults().withMinBlockSize(minBlock);
        checkInvariants(g, cap, s, Partitioner.partition(g, cap, s));
    }

    /** Each op is supported or not by the seed's coin. */
    static Capability randomCapability(long seed) {
        Set<String> unsupported = new TreeSet<>();
        Random r = new Random(seed * 31 + 7);
        for (String op : TestGraphs.UNARY) {
            if (r.nextInt(3) == 0) {
                unsupported.add(op);
            }
        }
        if (r.nextInt(4) == 0) {
            unsupported.add("aten::add.Tensor");
        }
        return n -> unsupported.contains(n.op()) || n.name().hashCode() % 11 == 0
                ? Capability.Verdict.no("unsupported in this trial") : Capability.Verdict.yes();
    }

    static void checkInvariants(Graph g, Capability cap, PartitionSettings s, Partition p) {
        List<Node> nodes = List.copyOf(g.nodes());
        assertThat(p.placements()).extracting(Placement::node).containsExactlyElementsOf(nodes);
        Map<Node, Integer> seg = new IdentityHashMap<>();
        Map<Node, Integer> order = new IdentityHashMap<>();
        int k = 0;
        List<Node> all = new ArrayList<>();
        for (Segment sg : p.segments()) {
            assertThat(sg.nodes()).isNotEmpty();
            for (Node n : sg.nodes()) {
                assertThat(seg.put(n, sg.index())).as("node in one segment only").isNull();
                order.put(n, k++);
                all.add(n);
                assertThat(p.placement(n).segment()).isEqualTo(sg.index());
                assertThat(p.placement(n).target()).isEqualTo(sg.target());
            }
            if (sg.index() > 0) {
                assertThat(p.segments().get(sg.index() - 1).target()).as("segments are maximal runs").isNotEqualTo(sg.target());
            }
            if (sg.target() == Target.TENSORRT && !s.requireFullCompilation()) {
                assertThat(sg.nodes().size()).isGreaterThanOrEqualTo(s.minBlockSize());
                assertThat(sg.cost().savingMicros()).isPositive();
            }
        }
        assertThat(all).hasSameSizeAs(nodes);
        // acyclic: every edge goes to the same or a later segment, and forward in execution order
        for (Node n : nodes) {
            for (Value v : n.inputs()) {
                v.producer().ifPresent(src -> {
                    assertThat(seg.get(src)).as(src.name() + " -> " + n.name()).isLessThanOrEqualTo(seg.get(n));
                    assertThat(order.get(src)).isLessThan(order.get(n));
                });
            }
            Placement pl = p.placement(n);
            if (s.torchNodes().contains(n.name())) {
                assertThat(pl.why()).isEqualTo(Why.USER_NODE);
            } else if (s.torchOps().contains(n.op()) || s.torchOps().contains(Partitioner.baseOp(n.op()))) {
                assertThat(pl.why()).isEqualTo(Why.USER_OP);
            } else if (!cap.check(n).supported()) {
                assertThat(pl.why()).isEqualTo(Why.UNSUPPORTED);
            }
            if (pl.target() == Target.TENSORRT) {
                assertThat(cap.check(n).supported()).isTrue();
            }
            assertThat(pl.reason()).isNotBlank();
        }
    }
}
