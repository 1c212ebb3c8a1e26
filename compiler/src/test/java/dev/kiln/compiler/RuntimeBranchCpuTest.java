package dev.kiln.compiler;

import dev.kiln.frontend.torchscript.TorchScriptModels;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.compiler.hybrid.HybridCompiler;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.ControlFlow;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.partition.Partition;
import dev.kiln.partition.PartitionSettings;
import dev.kiln.partition.Target;
import dev.kiln.passes.Precision;
import dev.kiln.passes.eval.GraphEvaluator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The premise of {@link RuntimeBranchGpuTest}, on the CPU: after the compile's passes the model is TensorRT, then
 * libtorch for the branch, then TensorRT; in FP16 the branch stays an FP32 island (its operands cast up, its nested
 * graphs untouched); and the compiled graph computes libtorch's results down either branch.
 */
class RuntimeBranchCpuTest {
    @TempDir
    Path dir;

    @Test
    void theBranchIsALibtorchSegmentBetweenTwoEnginesAndComputesTheSame() {
        Path file = TorchScriptModels.save(RuntimeBranchGpuTest.MODEL, dir, "branchy.pt");
        Graph original = Kiln.load(file, List.of(InputSpec.parse("x0=4x64")));
        List<ConstantTensor> inputs = List.of(RuntimeBranchGpuTest.input(0.1f), RuntimeBranchGpuTest.input(2f));
        // the two inputs take the two branches: the comparison the condition reads is false, then true
        dev.kiln.ir.Value pred = (dev.kiln.ir.Value) original.nodesOf(ControlFlow.COND).get(0).arg(0);
        dev.kiln.ir.Value compared = (dev.kiln.ir.Value) pred.producer().orElseThrow().arg(0);
        List<Double> taken = new java.util.ArrayList<>();
        for (ConstantTensor x : inputs) {
            GraphEvaluator.run(original, List.of(x), Set.of(compared), (v, t) -> taken.add(t.getDouble(0)));
        }
        assertThat(taken).containsExactly(0.0, 1.0);
        for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
            Graph g = Graphs.copy(original);
            var capability = Fixtures.runPipeline(g, p);
            assertThat(Verifier.check(g)).as(p + " verifies").isEmpty();
            Node cond = g.nodesOf(ControlFlow.COND).get(0);
            // an FP32 island: every floating operand and output f32, whatever the precision
            for (dev.kiln.ir.Value v : ControlFlow.operands(cond)) {
                assertThat(((TensorType) v.type()).dtype()).as(p + " operand " + v).contains(dev.kiln.ir.DType.FLOAT32);
            }
            // h *= 3.0 in the else branch writes h in place: h comes back as a second output
            assertThat(cond.outputs()).hasSize(2);
            for (dev.kiln.ir.Value v : cond.outputs()) {
                assertThat(((TensorType) v.type()).dtype()).as(p + " output " + v).contains(dev.kiln.ir.DType.FLOAT32);
            }
            Partition part = HybridCompiler.partition(g, capability, PartitionSettings.defaults().withMinBlockSize(1));
            assertThat(part.segments()).extracting(s -> s.target()).containsExactly(Target.TENSORRT, Target.TORCH, Target.TENSORRT);
            // each segment cut out on its own (what the engines are built from and the libtorch stage runs), run one
            // after the other by libtorch, computes the whole model: the branch's nested graphs travel with it
            for (ConstantTensor x : inputs) {
                ConstantTensor got = Fixtures.segmentBySegment(g, part, List.of(x), sub -> {
                    assertThat(Verifier.check(sub)).as(p + " segment " + sub.name()).isEmpty();
                    String text = dev.kiln.ir.text.IrPrinter.print(sub);
                    assertThat(dev.kiln.ir.text.IrPrinter.print(dev.kiln.ir.text.IrParser.parse(text, "seg",
                            dev.kiln.ir.schema.SchemaRegistry.standard()))).isEqualTo(text);
                }).get(0);
                double e = Fixtures.relL2(got, RuntimeBranchGpuTest.libtorch(file, x));
                assertThat(e).as(p + " segment by segment against libtorch").isLessThanOrEqualTo(p == Precision.FP32 ? 1e-6 : 1e-2);
            }
            for (ConstantTensor x : inputs) {
                double e = Fixtures.relL2(GraphEvaluator.run(g, List.of(x)).get(0), RuntimeBranchGpuTest.libtorch(file, x));
                assertThat(e).as(p + " against libtorch").isLessThanOrEqualTo(p == Precision.FP32 ? 1e-6 : 1e-2);
            }
        }
    }

    @Test
    void aCompiledProgramWithTheBranchRunsOnTheCpuAndSurvivesSaveAndLoad() {
        Path file = TorchScriptModels.save(RuntimeBranchGpuTest.MODEL, dir, "branchy.pt");
        Graph g = Kiln.load(file, List.of(InputSpec.parse("x0=4x64")));
        Path saved = dir.resolve("branchy.kiln");
        List<ConstantTensor> inputs = List.of(RuntimeBranchGpuTest.input(0.1f), RuntimeBranchGpuTest.input(2f));
        // every node in libtorch (no GPU here): the program, the runtime's stage interpreters and the archive
        try (CompiledModule m = Kiln.compile(g, HybridCpuTest.allTorch(g))) {
            assertThat(m.program().needsGpu()).isFalse();
            for (ConstantTensor x : inputs) {
                double e = Fixtures.relL2(m.forward(List.of(x)).get(0), RuntimeBranchGpuTest.libtorch(file, x));
                assertThat(e).isLessThanOrEqualTo(1e-6);
            }
            m.save(saved);
        }
        try (CompiledModule back = Kiln.loadCompiled(saved)) {
            for (ConstantTensor x : inputs) {
                double e = Fixtures.relL2(back.forward(List.of(x)).get(0), RuntimeBranchGpuTest.libtorch(file, x));
                assertThat(e).isLessThanOrEqualTo(1e-6);
            }
        }
    }

    static final String LOOP_MODEL = ""
            + "def forward(self, x):\n"
            + "    h = torch.relu(x * 2.0 + 1.0)\n"
            + "    acc = torch.zeros_like(h[0])\n"
            + "    for i in range(h.size(0)):\n"
            + "        acc = acc + h[i] * float(i + 1)\n"
            + "    return torch.sigmoid(acc) * 2.0\n";

    @Test
    void aLoopOverADynamicBatchIsTypedPlacedAndRunAsLibtorchRunsIt() {
        Path file = TorchScriptModels.save(LOOP_MODEL, dir, "loopy.pt");
        Graph g = Kiln.load(file, List.of(InputSpec.parse("x0=1..8x16")));
        // typed through the loop: the accumulator keeps its [16]
        Graph typed = Graphs.copy(g);
        var capability = Fixtures.runPipeline(typed, Precision.FP32);
        Node loop = typed.nodesOf(ControlFlow.LOOP).get(0);
        assertThat(loop.output(0).type().toString()).isEqualTo("tensor<f32, [16]>");
        Partition part = HybridCompiler.partition(typed, capability, PartitionSettings.defaults().withMinBlockSize(1));
        assertThat(part.placements()).filteredOn(pl -> pl.node() == loop).singleElement()
                .matches(pl -> pl.target() == Target.TORCH);
        assertThat(part.segments()).anyMatch(seg -> seg.target() == Target.TENSORRT);
        try (CompiledModule m = Kiln.compile(g, HybridCpuTest.allTorch(g))) {
            for (int batch : new int[] {1, 3, 8}) {
                ConstantTensor x = RuntimeLoopInputs.batch(batch);
                double e = Fixtures.relL2(m.forward(List.of(x)).get(0), RuntimeBranchGpuTest.libtorch(file, x));
                assertThat(e).as("batch " + batch).isLessThanOrEqualTo(1e-6);
            }
        }
    }

    /** An RNN over a dynamic sequence: every step's state appended to a list, stacked and concatenated after the loop. */
    static final String SCAN_MODEL = ""
            + "def forward(self, x):\n"
            + "    h = torch.zeros_like(x[0])\n"
            + "    outs = []\n"
            + "    for i in range(x.size(0)):\n"
            + "        h = torch.tanh(x[i] * 0.5 + h * 0.9)\n"
            + "        outs.append(h)\n"
            + "    y = torch.stack(outs, 1)\n"
            + "    return torch.relu(y * 2.0 - 0.5), torch.cat(outs, 0) + 1.0\n";

    @Test
    void aListBuiltByAppendsInTheLoopIsStackedTypedAndReadByAnEngine() {
        Path file = TorchScriptModels.save(SCAN_MODEL, dir, "scan.pt");
        Graph g = Kiln.load(file, List.of(InputSpec.parse("x0=1..8x16")));
        for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
            Graph typed = Graphs.copy(g);
            var capability = Fixtures.runPipeline(typed, p);
            assertThat(Verifier.check(typed)).isEmpty();
            // the loop's scan output: one [16] row per trip, as many trips as the batch
            Node loop = typed.nodesOf(ControlFlow.LOOP).get(0);
            Value stacked = loop.outputs().get(loop.outputs().size() - 1);
            assertThat(stacked.type().toString()).isEqualTo("tensor<f32, [" + g.inputs().get(0).type().asTensor().shape().dim(0) + ", 16]>");
            Partition part = HybridCompiler.partition(typed, capability, PartitionSettings.defaults().withMinBlockSize(1));
            // what reads the stacked rows (the stack's permute, the concatenation's reshape) runs in an engine
            assertThat(part.placements()).filteredOn(pl -> pl.node().inputs().contains(stacked) || pl.node().args().stream()
                    .anyMatch(a -> a instanceof dev.kiln.ir.Arg.ListArg l && l.elements().contains(stacked)))
                    .isNotEmpty().allMatch(pl -> pl.target() == Target.TENSORRT);
            for (int batch : new int[] {1, 3, 8}) {
                ConstantTensor x = RuntimeLoopInputs.batch(batch);
                List<ConstantTensor> want = TorchScriptModels.libtorch(file, List.of(x));
                List<ConstantTensor> got = Fixtures.segmentBySegment(typed, part, List.of(x), sub -> { });
                for (int k = 0; k < want.size(); k++) {
                    assertThat(got.get(k).sizes()).containsExactly(want.get(k).sizes());
                    assertThat(Fixtures.relL2(got.get(k), want.get(k))).as(p + " batch " + batch + " output " + k)
                            .isLessThanOrEqualTo(p == Precision.FP32 ? 1e-6 : 2e-3);
                }
            }
        }
        Path saved = dir.resolve("scan.kiln");
        try (CompiledModule m = Kiln.compile(g, HybridCpuTest.allTorch(g))) {
            m.save(saved);
        }
        try (CompiledModule back = Kiln.loadCompiled(saved)) {
            for (int batch : new int[] {1, 5}) {
                ConstantTensor x = RuntimeLoopInputs.batch(batch);
                List<ConstantTensor> want = TorchScriptModels.libtorch(file, List.of(x));
                List<ConstantTensor> got = back.forward(List.of(x));
                for (int k = 0; k < want.size(); k++) {
                    assertThat(Fixtures.relL2(got.get(k), want.get(k))).as("saved, batch " + batch + " output " + k).isLessThanOrEqualTo(1e-6);
                }
            }
        }
    }

    @Test
    void aScanOfARangeThatMayBeEmptyIsTypedNeverNegative() {
        // range(x.size(0) - 2) runs no trip for a batch of 1 or 2: the scan's rows are max(0, s - 2), never negative
        Path file = TorchScriptModels.save("def forward(self, x):\n    outs = [x[0]]\n    for i in range(x.size(0) - 2):\n"
                + "        outs.append(torch.tanh(x[i + 2] + outs[-1]))\n    return torch.stack(outs) * 2.0\n", dir, "short.pt");
        Graph g = Kiln.load(file, List.of(InputSpec.parse("x0=1..8x16")));
        var capability = Fixtures.runPipeline(g, Precision.FP32);
        Node loop = g.nodesOf(ControlFlow.LOOP).get(0);
        String symbol = g.inputs().get(0).type().asTensor().shape().dim(0).toString();
        assertThat(loop.outputs().get(loop.outputs().size() - 1).type().toString())
                .isEqualTo("tensor<f32, [max(0, " + symbol + " - 2), 16]>");
        Partition part = HybridCompiler.partition(g, capability, PartitionSettings.defaults().withMinBlockSize(1));
        for (int batch : new int[] {1, 2, 5}) {
            ConstantTensor x = RuntimeLoopInputs.batch(batch);
            ConstantTensor want = TorchScriptModels.libtorch(file, List.of(x)).get(0);
            ConstantTensor got = Fixtures.segmentBySegment(g, part, List.of(x), sub -> { }).get(0);
            assertThat(got.sizes()).as("batch " + batch).containsExactly(want.sizes());
            assertThat(Fixtures.relL2(got, want)).as("batch " + batch).isLessThanOrEqualTo(1e-6);
        }
    }

    /** Inputs of the loop model: [batch, 16], seeded by the batch. */
    static final class RuntimeLoopInputs {
        static ConstantTensor batch(int n) {
            float[] v = new float[n * 16];
            java.util.Random rnd = new java.util.Random(n);
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rnd.nextGaussian();
            }
            return ConstantTensor.ofFloats(new long[] {n, 16}, v);
        }
    }
}
