package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;
import dev.kiln.passes.PassRegistry;
import dev.kiln.passes.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What Kiln.compile does without a GPU: clear errors, never a raw native exception. */
class KilnCpuTest {
    @TempDir
    Path dir;

    @Test
    void refusesMissingAndUnknownFiles() throws Exception {
        assertThatThrownBy(() -> Kiln.load(dir.resolve("nope.pt2"))).isInstanceOf(KilnException.class)
                .hasMessageContaining("no such model file");
        Path onnx = Files.writeString(dir.resolve("m.onnx"), "x");
        assertThatThrownBy(() -> Kiln.load(onnx)).isInstanceOf(KilnException.class).hasMessageContaining(".pt2");
    }

    @Test
    void compilingWithoutAGpuFailsWithOneClearKilnException() {
        Path model = Fixtures.copy("mlp.pt2", dir);
        // on this CI machine: either some node has no converter yet (listed, every one) or TensorRT is missing
        assertThatThrownBy(() -> Kiln.compile(model, CompileSettings.defaults()))
                .isInstanceOf(KilnException.class)
                .satisfies(e -> {
                    System.out.println("compile on CPU: " + e.getMessage());
                    assertThat(e.getMessage()).containsAnyOf("cannot be converted", "cannot load", "no usable NVIDIA GPU");
                });
    }

    @Test
    void torchScriptInputTypesComeFromTheSpecs() {
        Path traced = Fixtures.copy("mlp.traced.pt", dir);
        assertThatThrownBy(() -> Kiln.load(traced, List.of())).isInstanceOf(KilnException.class)
                .hasMessageContaining("does not record its input shapes").hasMessageContaining("--input x0=");
        dev.kiln.ir.Graph g = Kiln.load(traced, List.of(InputSpec.parse("x0=1..8x16")));
        assertThat(g.inputs().get(0).type().text()).isEqualTo("tensor<f32, [x0_0, 16]>");
        assertThat(g.symbol("x0_0")).contains(new dev.kiln.ir.Symbol("x0_0", 1, 8));
        assertThatThrownBy(() -> Kiln.load(traced, List.of(InputSpec.parse("x1=4x16")))).isInstanceOf(KilnException.class)
                .hasMessageContaining("skip a position");
        assertThatThrownBy(() -> Kiln.load(traced, List.of(InputSpec.parse("input=4x16")))).isInstanceOf(KilnException.class)
                .hasMessageContaining("by position");
    }

    @Test
    void pipelineIsTheDefaultWithShapesBeforePrecision() {
        PassRegistry r = PassRegistry.standard();
        String p = CompilePipeline.text(r, Precision.FP16);
        assertThat(p).contains("canonicalize").contains("propagate-shapes").contains("precision");
        assertThat(p.lastIndexOf("propagate-shapes")).isLessThan(p.indexOf("precision"));
        // every pass it names exists
        dev.kiln.passes.Pipeline.parse(p, r);
    }

    @Test
    void settingsCarryEverythingToTheEngineBuilder() {
        CompileSettings s = CompileSettings.defaults().withPrecision(Precision.BF16)
                .withInputs(List.of(InputSpec.parse("x0=1..8x16"))).withWorkspaceBytes(1 << 20).withOptimizationLevel(2)
                .withTimingCache(dir.resolve("c"));
        assertThat(s.engineOptions().precision()).isEqualTo(Precision.BF16);
        assertThat(s.engineOptions().inputs()).containsExactly(InputSpec.parse("x0=1..8x16"));
        assertThat(s.engineOptions().workspaceBytes()).isEqualTo(1 << 20);
        assertThat(s.engineOptions().optimizationLevel()).isEqualTo(2);
        assertThat(s.engineOptions().timingCache()).contains(dir.resolve("c"));
        assertThatThrownBy(() -> s.withOptimizationLevel(9).engineOptions()).isInstanceOf(KilnException.class);
    }

    @Test
    void tilesRowsForTheDynamicBatchTest() {
        ConstantTensor t = ConstantTensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4);
        ConstantTensor tiled = EndToEndGpuTest.tileRows(t, 2, 5);
        assertThat(tiled.sizes()).containsExactly(5, 2);
        assertThat(tiled.getDouble(8)).isEqualTo(1);
        assertThat(tiled.getDouble(7)).isEqualTo(4);
        assertThat(Fixtures.relL2(t, t)).isZero();
        ConstantTensor zeros = ConstantTensor.ofFloats(new long[] {2}, 0, 0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Fixtures.relL2(zeros, zeros))
                .isInstanceOf(AssertionError.class).hasMessageContaining("all zeros");
    }
}
