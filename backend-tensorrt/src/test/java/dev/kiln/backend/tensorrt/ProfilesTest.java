package dev.kiln.backend.tensorrt;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProfilesTest {
    @Test
    void smallSymbolRangesOptimizeForTheirMaximum() {
        List<Profiles.InputProfile> p = Profiles.compute(TestGraphs.dynamicReluAdd(64), List.of());
        assertThat(p).hasSize(1);
        assertThat(p.get(0).name()).isEqualTo("x0");
        assertThat(p.get(0).irName()).isEqualTo("x");
        assertThat(p.get(0).min()).containsExactly(1, 4);
        assertThat(p.get(0).opt()).containsExactly(64, 4);
        assertThat(p.get(0).max()).containsExactly(64, 4);
        assertThat(p.get(0).isDynamic()).isTrue();
    }

    @Test
    void largeRangesCapTheOptPoint() {
        Profiles.InputProfile p = Profiles.compute(TestGraphs.dynamicReluAdd(8192), List.of()).get(0);
        assertThat(p.opt()).containsExactly(Profiles.DEFAULT_OPT_CAP, 4);
        assertThat(p.max()).containsExactly(8192, 4);
    }

    @Test
    void expressionsAndSharedSymbolsAcrossInputs() {
        Graph g = new Graph("two");
        Symbol s = g.declare(new Symbol("s0", 2, 16));
        g.addInput("a", new TensorType(DType.FLOAT32, Shape.of(SymExpr.of(s), SymExpr.of(8))));
        g.addInput("b", new TensorType(DType.INT64, Shape.of(SymExpr.mul(SymExpr.of(s), SymExpr.of(2)))));
        g.addInput("c", new TensorType(DType.FLOAT32, Shape.of(3)));
        List<Profiles.InputProfile> p = Profiles.compute(g, List.of());
        assertThat(p).extracting(Profiles.InputProfile::name).containsExactly("x0", "x1", "x2");
        assertThat(p.get(1).min()).containsExactly(4);
        assertThat(p.get(1).opt()).containsExactly(32);
        assertThat(p.get(1).max()).containsExactly(32);
        assertThat(p.get(2).isDynamic()).isFalse();
        assertThat(p.get(2).opt()).containsExactly(3);
    }

    @Test
    void userSpecsWinByEngineOrIrName() {
        Graph g = TestGraphs.dynamicReluAdd(64);
        assertThat(Profiles.compute(g, List.of(InputSpec.parse("x0=1..4..8x4"))).get(0).spec().text())
                .isEqualTo("x0=1..4..8x4");
        assertThat(Profiles.compute(g, List.of(InputSpec.parse("x=2..16x4"))).get(0).spec().text())
                .isEqualTo("x0=2..16x4");
    }

    @Test
    void userSpecsAreChecked() {
        Graph g = TestGraphs.dynamicReluAdd(64);
        assertThatThrownBy(() -> Profiles.compute(g, List.of(InputSpec.parse("x0=1..8x5"))))
                .isInstanceOf(KilnException.class).hasMessageContaining("static size 4").hasMessageContaining("torch.export.Dim");
        assertThatThrownBy(() -> Profiles.compute(g, List.of(InputSpec.parse("x0=1..128x4"))))
                .isInstanceOf(KilnException.class).hasMessageContaining("1..128").hasMessageContaining("[1, 64]");
        assertThatThrownBy(() -> Profiles.compute(g, List.of(InputSpec.parse("x0=4"))))
                .isInstanceOf(KilnException.class).hasMessageContaining("rank 1");
        assertThatThrownBy(() -> Profiles.compute(g, List.of(InputSpec.parse("x9=4x4"))))
                .isInstanceOf(KilnException.class).hasMessageContaining("x0 (%x: tensor<f32, [s0, 4]>)");
        assertThatThrownBy(() -> Profiles.compute(g, List.of(InputSpec.parse("x0=4x4"), InputSpec.parse("x0=4x4"))))
                .isInstanceOf(KilnException.class).hasMessageContaining("twice");
    }

    @Test
    void unboundedSymbolsNeedASpec() {
        Graph g = TestGraphs.dynamicReluAdd(Symbol.UNBOUNDED);
        assertThatThrownBy(() -> Profiles.compute(g, List.of()))
                .isInstanceOf(KilnException.class).hasMessageContaining("no upper bound")
                .hasMessageContaining("--input x0=1..64x4");
        assertThat(Profiles.compute(g, List.of(InputSpec.parse("x0=1..1000x4"))).get(0).max()).containsExactly(1000, 4);
    }

    @Test
    void inputsWithoutShapesAreRefused() {
        Graph g = new Graph("u");
        g.addInput("x", TensorType.unknown());
        assertThatThrownBy(() -> Profiles.compute(g, List.of()))
                .isInstanceOf(KilnException.class).hasMessageContaining("propagate-shapes");
    }
}
