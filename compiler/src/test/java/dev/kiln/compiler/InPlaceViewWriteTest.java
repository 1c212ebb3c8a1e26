package dev.kiln.compiler;

import dev.kiln.frontend.torchscript.TorchScriptModels;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.backend.tensorrt.partition.RegistryCapability;
import dev.kiln.compiler.hybrid.HybridCompiler;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.partition.Partition;
import dev.kiln.partition.PartitionSettings;
import dev.kiln.partition.Target;
import dev.kiln.passes.Precision;
import dev.kiln.passes.eval.GraphEvaluator;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static dev.kiln.frontend.torchscript.TorchScriptModels.libtorch;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * TorchScript writes into slices and selects in place ({@code x[:, 0] += 1}, {@code x[0] = t}); the compile rewrites
 * each as the functional op and a scatter back into the tensor, so the write is seen by what reads the tensor later
 * even when TensorRT computes it; other writes into shared tensors keep the whole model in libtorch, in order. Before, the view ran in an engine (a copy), the write in libtorch went into the copy,
 * and later readers in TensorRT saw the tensor unwritten. Checked against libtorch's TorchScript interpreter.
 */
class InPlaceViewWriteTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {
        "    a = x * 2.0\n    c = a[0:1]\n    c += 1.0\n    return torch.relu(a) * 3.0 + 1.0\n",
        "    a = x * 2.0\n    a[:, 1] *= 0.5\n    return torch.tanh(a) + 1.0\n",
        "    a = x + 0.0\n    a[1] = x[0] * 3.0\n    return torch.sigmoid(a) * 2.0\n",
        "    a = x * 1.0\n    b = a[0:1]\n    b.add_(1.0)\n    return a * 2.0, b - 1.0\n",
        "    a = x * 1.0\n    a[0:2, 1:3] -= 4.0\n    d = a[2]\n    a[1] += d * 0.5\n    return a * 0.5\n",
        // a clone protects the tensor it copies: the write reaches y, not x
        "    y = x.clone()\n    y[0] += 1.0\n    return x * 2.0, y * 1.0\n",
        "    y = x.contiguous()\n    z = y.clone()\n    z[:, 1] *= 3.0\n    return y + 1.0, z - 1.0\n"})
    void writesIntoSlicesAreSeenByEveryLaterReader(String body) {
        Path file = TorchScriptModels.save("def forward(self, x):\n" + body, dir, "viewy.pt");
        Graph g = compiled(file);
        ConverterRegistry r = ConverterRegistry.standard();
        var cs = EngineBuilder.settingsFor(g, Precision.FP32);
        // no in-place op is left, and everything converts: one engine
        assertThat(g.nodes()).as(body).noneMatch(n -> n.schema().mutates());
        Partition part = HybridCompiler.partition(g, new RegistryCapability(r, cs), PartitionSettings.defaults().withMinBlockSize(1));
        assertThat(part.segments()).as(body).allMatch(s -> s.target() == Target.TENSORRT);
        ConstantTensor x = input();
        List<ConstantTensor> want = libtorch(file, x);
        List<ConstantTensor> got = GraphEvaluator.run(g, List.of(x));
        assertThat(got).hasSameSizeAs(want);
        for (int k = 0; k < want.size(); k++) {
            assertThat(Fixtures.relL2(got.get(k), want.get(k))).as(body + " output " + k).isLessThanOrEqualTo(1e-6);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "    a = x * 2.0\n    b = a.t()\n    b[0] += 1.0\n    return torch.relu(a) * 3.0 + 1.0\n",
        "    a = torch.tanh(x)\n    b = a.view(12)\n    b.mul_(2.0)\n    c = torch.sigmoid(a) + a\n    return c * 2.0 + 1.0\n",
        // overlapping source and target: PyTorch reads the source while it writes
        "    c = x - 0.5\n    c[1:3, 1:3] += c[0:2, 0:2]\n    return c * 1.0\n"})
    void writesIntoOtherViewsKeepTheWholeModelInLibtorch(String body) {
        Path file = TorchScriptModels.save("def forward(self, x):\n" + body, dir, "viewy.pt");
        Graph g = compiled(file);
        ConverterRegistry r = ConverterRegistry.standard();
        var cs = EngineBuilder.settingsFor(g, Precision.FP32);
        assertThat(g.nodes()).as(body).anyMatch(n -> n.schema().mutates());
        // even with free boundaries (every convertible node would go to TensorRT) the whole model stays in libtorch,
        // in order, and says why
        Partition part = HybridCompiler.partition(g, new RegistryCapability(r, cs), PartitionSettings.defaults().withMinBlockSize(1)
                .withCostModel(HybridCpuTest.FREE_BOUNDARIES));
        assertThat(part.segments()).as(body).singleElement().matches(s -> s.target() == Target.TORCH);
        assertThat(dev.kiln.partition.SupportReport.text(part)).contains("the model writes in place where a view shares the tensor");
        // run segment by segment, each on copies of what it reads (as engines do): the write must still be seen
        ConstantTensor x = input();
        ConstantTensor got = Fixtures.segmentBySegment(g, part, List.of(x), sub -> { }).get(0);
        double e = Fixtures.relL2(got, libtorch(file, x).get(0));
        assertThat(e).as(body + "\n" + dev.kiln.partition.SupportReport.text(part)).isLessThanOrEqualTo(1e-6);
    }

    /** The model after the compile's passes (FP32), as partitioning sees it. */
    static Graph compiled(Path file) {
        Graph g = Kiln.load(file, List.of(InputSpec.parse("x0=3x4")));
        Fixtures.runPipeline(g, Precision.FP32);
        return g;
    }

    static ConstantTensor input() {
        float[] v = new float[12];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 5) - 1.5f;
        }
        return ConstantTensor.ofFloats(new long[] {3, 4}, v);
    }
}
