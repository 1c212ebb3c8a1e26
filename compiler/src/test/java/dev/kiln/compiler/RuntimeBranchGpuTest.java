package dev.kiln.compiler;

import dev.kiln.frontend.torchscript.TorchScriptModels;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.partition.Target;
import dev.kiln.passes.Precision;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A TorchScript model with an {@code if} on a value it computes compiles to TensorRT engines before and after the
 * branch, the branch itself running in libtorch ({@code kiln::cond}); down either branch the outputs match what
 * libtorch's TorchScript interpreter gives on the saved module, in FP32 and FP16, and again after save and load. A
 * loop over a dynamic batch ({@code kiln::loop}) likewise, for three batch sizes of one engine profile. Prints
 * {@code GPU-SUMMARY runtime_branch ...} and {@code GPU-SUMMARY runtime_loop ...} lines.
 */
@Tag("gpu")
class RuntimeBranchGpuTest {
    static final String MODEL = ""
            + "def forward(self, x):\n"
            + "    h = torch.relu(x * 2.0 + 1.0)\n"
            + "    h = h * torch.sigmoid(h) - 0.25\n"
            + "    if bool(h.mean() > 2.0):\n"
            + "        h = h / h.amax()\n"
            + "    else:\n"
            + "        h *= 3.0\n"
            + "    y = torch.sigmoid(h * 1.5 + 0.25)\n"
            + "    y = torch.tanh(y * 2.0) - 0.5\n"
            + "    return y * y + torch.relu(y)\n";

    @TempDir
    Path dir;

    static ConstantTensor libtorch(Path file, ConstantTensor x) {
        return TorchScriptModels.libtorch(file, x).get(0);
    }

    static ConstantTensor input(float scale) {
        float[] v = new float[4 * 64];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * scale + scale);
        }
        return ConstantTensor.ofFloats(new long[] {4, 64}, v);
    }

    @Test
    void enginesAroundALibtorchBranchMatchLibtorchDownEitherBranch() {
        Path file = TorchScriptModels.save(MODEL, dir, "branchy.pt");
        List<ConstantTensor> inputs = List.of(input(0.1f), input(2f)); // mean of h below 2, then above
        for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
            CompileSettings s = CompileSettings.defaults().withPrecision(p).withInputs(List.of(InputSpec.parse("x0=4x64")))
                    .withPartition(dev.kiln.partition.PartitionSettings.defaults().withMinBlockSize(1));
            Path saved = dir.resolve("branchy-" + p.name().toLowerCase(Locale.ROOT) + ".kiln");
            try (CompiledModule m = Kiln.compile(file, s)) {
                long engines = m.partition().map(pt -> pt.segments().stream().filter(seg -> seg.target() == Target.TENSORRT).count())
                        .orElse(-1L);
                assertThat(engines).as(p + ": TensorRT segments before and after the branch").isEqualTo(2);
                for (ConstantTensor x : inputs) {
                    ConstantTensor want = libtorch(file, x);
                    double e = Fixtures.relL2(m.forward(List.of(x)).get(0), want);
                    double tol = p == Precision.FP32 ? 1e-4 : 2e-2;
                    System.out.printf(Locale.ROOT, "GPU-SUMMARY runtime_branch precision=%s engines=%d relL2=%.1e status=%s%n",
                            p.name().toLowerCase(Locale.ROOT), engines, e, e <= tol ? "ok" : "FAIL");
                    assertThat(e).as(p + " relative L2 against libtorch").isLessThanOrEqualTo(tol);
                }
                m.save(saved);
            }
            try (CompiledModule back = Kiln.loadCompiled(saved)) {
                for (ConstantTensor x : inputs) {
                    double e = Fixtures.relL2(back.forward(List.of(x)).get(0), libtorch(file, x));
                    assertThat(e).as(p + " after save and load").isLessThanOrEqualTo(p == Precision.FP32 ? 1e-4 : 2e-2);
                }
            }
        }
    }

    @Test
    void aLoopOverADynamicBatchRunsInLibtorchBetweenEngines() {
        Path file = TorchScriptModels.save(RuntimeBranchCpuTest.LOOP_MODEL, dir, "loopy.pt");
        CompileSettings s = CompileSettings.defaults().withPrecision(Precision.FP32)
                .withInputs(List.of(InputSpec.parse("x0=1..4..8x16")))
                .withPartition(dev.kiln.partition.PartitionSettings.defaults().withMinBlockSize(1));
        try (CompiledModule m = Kiln.compile(file, s)) {
            long engines = m.partition().map(pt -> pt.segments().stream().filter(seg -> seg.target() == Target.TENSORRT).count())
                    .orElse(-1L);
            assertThat(engines).as("TensorRT segments around the loop").isPositive();
            for (int batch : new int[] {1, 3, 8}) {
                ConstantTensor x = RuntimeBranchCpuTest.RuntimeLoopInputs.batch(batch);
                double e = Fixtures.relL2(m.forward(List.of(x)).get(0), libtorch(file, x));
                System.out.printf(Locale.ROOT, "GPU-SUMMARY runtime_loop batch=%d engines=%d relL2=%.1e status=%s%n",
                        batch, engines, e, e <= 1e-4 ? "ok" : "FAIL");
                assertThat(e).as("batch " + batch).isLessThanOrEqualTo(1e-4);
            }
        }
    }

    @Test
    void aListBuiltByAppendsInALoopIsStackedAndReadByAnEngine() {
        Path file = TorchScriptModels.save(RuntimeBranchCpuTest.SCAN_MODEL, dir, "scan.pt");
        for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
            CompileSettings s = CompileSettings.defaults().withPrecision(p)
                    .withInputs(List.of(InputSpec.parse("x0=1..4..8x16")))
                    .withPartition(dev.kiln.partition.PartitionSettings.defaults().withMinBlockSize(1));
            try (CompiledModule m = Kiln.compile(file, s)) {
                long engines = m.partition().map(pt -> pt.segments().stream().filter(seg -> seg.target() == Target.TENSORRT).count())
                        .orElse(-1L);
                assertThat(engines).as("TensorRT segments reading the stacked list").isPositive();
                double bound = p == Precision.FP32 ? 1e-4 : 3e-3;
                for (int batch : new int[] {1, 3, 8}) {
                    ConstantTensor x = RuntimeBranchCpuTest.RuntimeLoopInputs.batch(batch);
                    List<ConstantTensor> want = TorchScriptModels.libtorch(file, List.of(x));
                    List<ConstantTensor> got = m.forward(List.of(x));
                    double e = Math.max(Fixtures.relL2(got.get(0), want.get(0)), Fixtures.relL2(got.get(1), want.get(1)));
                    System.out.printf(Locale.ROOT, "GPU-SUMMARY loop_append %s batch=%d engines=%d relL2=%.1e status=%s%n",
                            p, batch, engines, e, e <= bound ? "ok" : "FAIL");
                    assertThat(got.get(0).sizes()).containsExactly(want.get(0).sizes());
                    assertThat(e).as(p + " batch " + batch).isLessThanOrEqualTo(bound);
                }
            }
        }
    }
}
