package dev.kiln.compiler.hybrid;

import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The runtime's bookkeeping that needs no native code: declared dtypes, program validation, stats. */
class HybridRuntimeTest {
    @Test
    void readsTheDtypeOfATypesText() {
        assertThat(HybridRuntime.declaredDtype("tensor<f32, [s0, 3]>")).isEqualTo(DType.FLOAT32);
        // the IR's spelling of an unranked tensor of known dtype (what a bare engine's slots say)
        assertThat(HybridRuntime.declaredDtype("tensor<i64, *>")).isEqualTo(DType.INT64);
        assertThat(new dev.kiln.ir.TensorType(DType.INT64, dev.kiln.ir.Shape.unranked()).text()).isEqualTo("tensor<i64, *>");
        // and the dtype-only spelling earlier Kilns wrote for a bare engine's slots
        assertThat(HybridRuntime.declaredDtype("tensor<i64>")).isEqualTo(DType.INT64);
        assertThat(HybridRuntime.declaredDtype("int")).isNull();
        assertThat(HybridRuntime.declaredDtype("tensor")).isNull();
    }

    @Test
    void programsThatReadUnwrittenSlotsAreRefused() {
        List<Program.Slot> slots = List.of(new Program.Slot("x", "tensor<f32>"), new Program.Slot("y", "tensor<f32>"));
        java.nio.ByteBuffer plan = java.nio.ByteBuffer.allocate(1);
        assertThatThrownBy(() -> new Program("p", slots, List.of(0), List.of(1), Map.of(), List.of()))
                .isInstanceOf(KilnException.class).hasMessageContaining("never written");
        assertThatThrownBy(() -> new Program("p", slots, List.of(0), List.of(1), Map.of(),
                List.of(new Program.EngineStage("s", List.of(1), List.of(1), plan, 1, ""))))
                .isInstanceOf(KilnException.class).hasMessageContaining("reads slot 1 before anything writes it");
        assertThatThrownBy(() -> new Program("p", slots, List.of(0), List.of(1), Map.of(),
                List.of(new Program.EngineStage("s", List.of(0), List.of(0), plan, 1, ""))))
                .isInstanceOf(KilnException.class).hasMessageContaining("already written");
        Program ok = new Program("p", slots, List.of(0), List.of(1), Map.of(),
                List.of(new Program.EngineStage("s", List.of(0), List.of(1), plan, 3, "")));
        assertThat(ok.needsGpu()).isTrue();
        assertThat(ok.describe()).isEqualTo("1 stage: s tensorrt (3 nodes)");
    }

    @Test
    void statsCountBoundaryCopiesPerForward() {
        ModuleStats s = new ModuleStats(4, 2, 4, 4, 1024);
        assertThat(s.boundaryCopiesPerForward()).isEqualTo(2.0);
        assertThat(new ModuleStats(0, 0, 0, 0, 0).boundaryCopiesPerForward()).isZero();
        assertThat(s.toString()).contains("boundary_copies=8").contains("2.0 per forward");
    }

    @Test
    void torchStagesRunOnTheCpuUnlessAskedOtherwise() {
        assertThat(TorchPlacement.device().isCuda()).isFalse();
    }
}
