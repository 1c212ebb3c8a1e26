package dev.kiln.partition;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PartitionerTest {
    /** x -> relu -> sigmoid -> tanh -> neg -> exp -> sin -> relu -> neg; sin has no converter. */
    static Graph chain() {
        Graph g = new Graph("chain");
        Value v = g.addInput("x", TestGraphs.T);
        String[] ops = {"aten::relu", "aten::sigmoid", "aten::tanh", "aten::neg", "aten::exp", "aten::sin", "aten::relu", "aten::neg"};
        for (int i = 0; i < ops.length; i++) {
            v = TestGraphs.unary(g, ops[i], v, "op" + i).output();
        }
        g.setOutputs(List.of(v));
        return g;
    }

    static final Capability NO_SIN = TestGraphs.allBut(Set.of("aten::sin"));

    @Test
    void unsupportedNodeSplitsAndShortTailStaysInTorch() {
        Partition p = Partitioner.partition(chain(), NO_SIN, PartitionSettings.defaults());
        assertThat(p.segments()).extracting(Segment::target).containsExactly(Target.TENSORRT, Target.TORCH);
        assertThat(p.segments().get(0).nodes()).extracting(Node::name).containsExactly("op0", "op1", "op2", "op3", "op4");
        assertThat(p.placements()).extracting(Placement::why).containsExactly(Why.CONVERTER, Why.CONVERTER, Why.CONVERTER,
                Why.CONVERTER, Why.CONVERTER, Why.UNSUPPORTED, Why.MIN_BLOCK_SIZE, Why.MIN_BLOCK_SIZE);
        assertThat(p.placements().get(5).reason()).isEqualTo("no TensorRT converter for aten::sin");
        assertThat(p.placements().get(6).reason()).contains("smaller than min_block_size 5");
        assertThat(p.segments().get(0).inputs()).extracting(Value::name).containsExactly("x");
        assertThat(p.segments().get(0).outputs()).extracting(Value::name).containsExactly(p.placements().get(4).node().output().name());
        assertThat(p.tensorrtNodeCount()).isEqualTo(5);
    }

    @Test
    void withSettingsKeepsThePlacementsAndReportsTheGivenSettings() {
        Partition p = Partitioner.partition(chain(), NO_SIN, PartitionSettings.defaults().withMinBlockSize(1));
        PartitionSettings user = PartitionSettings.defaults().withTorchOps(List.of("aten::cos"));
        Partition q = p.withSettings(user);
        assertThat(q.settings()).isEqualTo(user);
        assertThat(q.segments()).isEqualTo(p.segments());
        assertThat(q.placements()).isEqualTo(p.placements());
        assertThat(SupportReport.text(q)).contains("min_block_size=5").contains("torch_ops=[aten::cos]");
    }

    @Test
    void minBlockSizeOneKeepsEveryConvertibleNode() {
        CostModel freeBoundaries = new CostModel(8, 5e6, 2e7, 1e6, 0, 0);
        Partition p = Partitioner.partition(chain(), NO_SIN, PartitionSettings.defaults().withMinBlockSize(1).withCostModel(freeBoundaries));
        assertThat(p.segments()).extracting(Segment::target).containsExactly(Target.TENSORRT, Target.TORCH, Target.TENSORRT);
        assertThat(p.tensorrtNodeCount()).isEqualTo(7);
        // with the default cost model the two-node tail saves less than an engine boundary costs
        Partition q = Partitioner.partition(chain(), NO_SIN, PartitionSettings.defaults().withMinBlockSize(1));
        assertThat(q.tensorrtNodeCount()).isEqualTo(5);
        assertThat(q.placements().get(7).why()).isEqualTo(Why.COST);
    }

    @Test
    void userOverridesByOpAndNodeName() {
        PartitionSettings s = PartitionSettings.defaults().withMinBlockSize(1)
                .withTorchOps(List.of("aten::tanh")).withTorchNodes(List.of("op7"));
        Partition p = Partitioner.partition(chain(), NO_SIN, s);
        assertThat(p.placements().get(2).why()).isEqualTo(Why.USER_OP);
        assertThat(p.placements().get(2).reason()).contains("aten::tanh").contains("forced to torch");
        assertThat(p.placements().get(7).why()).isEqualTo(Why.USER_NODE);
        assertThat(p.placements().get(7).target()).isEqualTo(Target.TORCH);
        // an overload name also matches: aten::add forces aten::add.Tensor
        Graph g = new Graph("g");
        Value x = g.addInput("x", TestGraphs.T);
        Node a = TestGraphs.add(g, x, x, "a");
        g.setOutputs(List.of(a.output()));
        Partition q = Partitioner.partition(g, NO_SIN, PartitionSettings.defaults().withTorchOps(List.of("aten::add")).withMinBlockSize(1));
        assertThat(q.placement(a).why()).isEqualTo(Why.USER_OP);
    }

    @Test
    void requireFullCompilationListsEveryNodeThatCannotConvert() {
        PartitionSettings s = PartitionSettings.defaults().withRequireFullCompilation(true).withTorchNodes(List.of("op1"));
        assertThatThrownBy(() -> Partitioner.partition(chain(), NO_SIN, s)).isInstanceOf(KilnException.class)
                .hasMessageContaining("require_full_compilation")
                .hasMessageContaining("2 of 8 nodes")
                .hasMessageContaining("node op1 (aten::sigmoid)")
                .hasMessageContaining("node op5 (aten::sin)")
                .hasMessageContaining("no TensorRT converter for aten::sin");
        Partition p = Partitioner.partition(chain(), TestGraphs.allBut(Set.of()), PartitionSettings.defaults()
                .withRequireFullCompilation(true).withMinBlockSize(100));
        assertThat(p.isFullyCompiled()).isTrue();
        assertThat(p.segments()).hasSize(1);
    }

    @Test
    void segmentNotWorthItsBoundaryStaysInTorch() {
        CostModel dear = new CostModel(8.0, 5.0e6, 2.0e7, 1.0e6, 1.0e6, 2.0);
        Partition p = Partitioner.partition(chain(), NO_SIN, PartitionSettings.defaults().withCostModel(dear));
        assertThat(p.tensorrtNodeCount()).isZero();
        assertThat(p.placements().get(0).why()).isEqualTo(Why.COST);
        assertThat(p.placements().get(0).reason()).contains("saves").contains("boundary");
        assertThat(p.segments()).hasSize(1);
    }

    @Test
    void mergingNeverRoutesThroughATorchNode() {
        // a -> b(torch) -> c, and a -> c directly: a and c must not share an engine
        Graph g = new Graph("diamond");
        Value x = g.addInput("x", TestGraphs.T);
        Node a = TestGraphs.unary(g, "aten::relu", x, "a");
        Node b = TestGraphs.unary(g, "aten::sin", a.output(), "b");
        Node c = TestGraphs.add(g, a.output(), b.output(), "c");
        g.setOutputs(List.of(c.output()));
        Partition p = Partitioner.partition(g, NO_SIN, PartitionSettings.defaults().withMinBlockSize(1)
                .withCostModel(new CostModel(8, 5e6, 2e7, 1e6, 0, 0)));
        assertThat(p.placement(a).segment()).isNotEqualTo(p.placement(c).segment());
        assertThat(p.segments()).extracting(Segment::target).containsExactly(Target.TENSORRT, Target.TORCH, Target.TENSORRT);
    }

    @Test
    void independentBranchesShareAnEngine() {
        // two convertible branches around an unsupported node on a third: the branches merge
        Graph g = new Graph("branches");
        Value x = g.addInput("x", TestGraphs.T);
        Value l = x;
        Value r = x;
        for (int i = 0; i < 3; i++) {
            l = TestGraphs.unary(g, "aten::relu", l, "l" + i).output();
            r = TestGraphs.unary(g, "aten::neg", r, "r" + i).output();
        }
        Node s = TestGraphs.unary(g, "aten::sin", x, "s");
        g.setOutputs(List.of(l, r, s.output()));
        Partition p = Partitioner.partition(g, NO_SIN, PartitionSettings.defaults());
        assertThat(p.segments()).extracting(Segment::target).containsExactly(Target.TENSORRT, Target.TORCH);
        assertThat(p.segments().get(0).nodes()).hasSize(6);
        assertThat(p.segments().get(0).outputs()).extracting(Value::name).containsExactlyInAnyOrder(l.name(), r.name());
    }

    @Test
    void failingCapabilityCheckBecomesAReason() {
        Capability broken = n -> {
            throw new IllegalStateException("boom");
        };
        Partition p = Partitioner.partition(chain(), broken, PartitionSettings.defaults());
        assertThat(p.placements()).allSatisfy(pl -> assertThat(pl.reason()).contains("capability check failed: boom"));
        assertThat(p.tensorrtNodeCount()).isZero();
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> PartitionSettings.defaults().withMinBlockSize(0)).isInstanceOf(KilnException.class);
        assertThat(Partitioner.baseOp("aten::add.Tensor")).isEqualTo("aten::add");
        assertThat(Partitioner.baseOp("aten::relu")).isEqualTo("aten::relu");
    }

    @Test
    void emptyGraph() {
        Graph g = new Graph("empty");
        Value x = g.addInput("x", TestGraphs.T);
        g.setOutputs(List.of(x));
        Partition p = Partitioner.partition(g, NO_SIN, PartitionSettings.defaults());
        assertThat(p.segments()).isEmpty();
        assertThat(SupportReport.json(p)).contains("\"segments\": []");
    }
}
