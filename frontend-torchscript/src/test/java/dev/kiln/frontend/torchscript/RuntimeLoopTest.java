package dev.kiln.frontend.torchscript;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.ControlFlow;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.passes.eval.GraphEvaluator;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static dev.kiln.frontend.torchscript.TorchScriptModels.libtorch;
import static dev.kiln.frontend.torchscript.RuntimeBranchTest.save;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TorchScript loops whose trip count or condition the model computes become {@code kiln::loop} nodes with a closed
 * body; the converted graph computes what libtorch's TorchScript interpreter computes on the saved module, for inputs
 * of several sizes (the trip count follows the batch).
 */
class RuntimeLoopTest {
    static final String FOR_OVER_BATCH = ""
            + "def forward(self, x):\n"
            + "    y = x\n"
            + "    for i in range(x.size(0)):\n"
            + "        y = y * 0.5 + x[i] * float(i)\n"
            + "    return y\n";

    static final String WHILE_ON_A_TENSOR = ""
            + "def forward(self, x):\n"
            + "    y = x\n"
            + "    n = 0\n"
            + "    while bool(y.abs().max() > 1.0):\n"
            + "        y = y * 0.5\n"
            + "        n += 1\n"
            + "    return y * float(n + 1)\n";

    static final String ACCUMULATE_CARRIED = ""
            + "def forward(self, x):\n"
            + "    acc = torch.zeros_like(x[0])\n"
            + "    for i in range(x.size(0)):\n"
            + "        acc += x[i]\n"
            + "    return acc\n";

    static final String ACCUMULATE_CAPTURED = ""
            + "def forward(self, x):\n"
            + "    acc = torch.zeros_like(x[0])\n"
            + "    for i in range(x.size(0)):\n"
            + "        acc.add_(x[i] * 2.0)\n"
            + "    return acc, x\n";

    static final String BRANCH_IN_LOOP = ""
            + "def forward(self, x):\n"
            + "    y = x\n"
            + "    for i in range(x.size(0)):\n"
            + "        if bool(y.sum() > 0):\n"
            + "            y = y - 1.0\n"
            + "        else:\n"
            + "            y = y + 0.5\n"
            + "    return y\n";

    @TempDir
    Path dir;

    static ConstantTensor batch(int n, float scale) {
        float[] v = new float[n * 3];
        java.util.Random r = new java.util.Random(n);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return ConstantTensor.ofFloats(new long[] {n, 3}, v);
    }

    static final String WRITE_ROWS = ""
            + "def forward(self, x):\n"
            + "    y = x + 0.0\n"
            + "    for i in range(x.size(0)):\n"
            + "        y[i] += float(i)\n"
            + "    return y\n";

    @ParameterizedTest
    @ValueSource(strings = {FOR_OVER_BATCH, WHILE_ON_A_TENSOR, ACCUMULATE_CARRIED, ACCUMULATE_CAPTURED, BRANCH_IN_LOOP, WRITE_ROWS})
    void theLoopComputesWhatLibtorchComputes(String source) {
        Path file = save(source, dir);
        // no input types: every size is a run-time value, and so is the trip count
        Graph g = TorchScriptFrontend.load(file, TorchScriptOptions.defaults());
        assertThat(g.nodesOf(ControlFlow.LOOP)).hasSize(1);
        assertThat(Verifier.check(g)).isEmpty();
        String text = IrPrinter.print(g);
        assertThat(IrPrinter.print(IrParser.parse(text, "m.kir", SchemaRegistry.standard()))).isEqualTo(text);
        for (ConstantTensor x : List.of(batch(1, 3f), batch(4, 3f), batch(7, 0.2f))) {
            List<ConstantTensor> want = libtorch(file, List.of(x));
            List<ConstantTensor> got = GraphEvaluator.run(g, List.of(x));
            assertThat(got).hasSameSizeAs(want);
            for (int k = 0; k < want.size(); k++) {
                assertThat(got.get(k).sizes()).containsExactly(want.get(k).sizes());
                for (long i = 0; i < want.get(k).numel(); i++) {
                    assertThat(got.get(k).getDouble(i)).as("batch " + x.sizes()[0] + " output " + k + " element " + i)
                            .isCloseTo(want.get(k).getDouble(i), org.assertj.core.data.Offset.offset(1e-5));
                }
            }
        }
    }

    @Test
    void aKnownRangeTooLongToUnrollRunsAsARuntimeLoop() {
        // 100000 trips (12500 of eight copies after TorchScript's own unrolling): more than Kiln unrolls (it used to
        // refuse); and appends in a run-time branch of a known range (kept a loop by TorchScript's compiler for its
        // break), which unrolled trips cannot share: both taken back and converted as run-time loops
        Path file = save("def forward(self, x):\n    acc = x * 0.0\n    for i in range(100000):\n        acc = acc + x * 0.00001\n"
                + "    outs = [x]\n    for t in range(4):\n        if bool(acc.sum() > 0.0):\n            outs.append(outs[-1] * 0.5)\n"
                + "        else:\n            outs.append(outs[-1] + 1.0)\n        acc = acc - 1.0\n        if bool(acc.sum() > 1000.0):\n"
                + "            break\n    return acc, torch.stack(outs)\n", dir);
        Graph g = TorchScriptFrontend.load(file, TorchScriptOptions.defaults());
        assertThat(g.nodesOf(ControlFlow.LOOP)).hasSize(2);
        for (ConstantTensor x : List.of(batch(1, 3f), batch(4, -3f))) {
            TorchScriptModels.assertComputesWhatLibtorchComputes(file, g, List.of(x), 1e-4, "batch " + x.sizes()[0]);
        }
    }

    @Test
    void theBodyIsClosedAndCarriesWhatItReadsThrough() {
        Graph g = TorchScriptFrontend.load(save(ACCUMULATE_CAPTURED, dir), TorchScriptOptions.defaults());
        Node loop = g.nodesOf(ControlFlow.LOOP).get(0);
        Graph body = ControlFlow.body(loop);
        // no carried value of its own; it reads x, acc and the constant `true` of a for loop: (i, x, acc, true) in,
        // (cond, x, acc, true) out, x passed through as it came, acc as add_ left it
        assertThat(body.inputs()).extracting(v -> v.name()).containsExactly("i", "x", "acc.1", "loop_cond");
        assertThat(body.outputs()).hasSize(4);
        assertThat(body.outputs().get(1)).isSameAs(body.inputs().get(1));
        assertThat(ControlFlow.carried(loop)).hasSize(3);
        // after the loop the model reads the accumulator the loop wrote, and its own input x
        assertThat(g.outputs().get(0)).isSameAs(loop.output(1));
        assertThat(g.outputs().get(1)).isSameAs(g.inputs().get(0));
    }

    @Test
    void aLoopWritingIntoAnotherViewOfAnOuterTensorIsRefused() {
        JitModule m = new JitModule(new QualifiedName("M"));
        m.define("def forward(self, x):\n"
                + "    y = x + 0.0\n"
                + "    for i in range(x.size(0)):\n"
                + "        y.t()[0] += 1.0\n"
                + "    return y\n");
        assertThatThrownBy(() -> TorchScriptFrontend.convert(m, "m.pt", TorchScriptOptions.defaults()))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining("(prim::Loop)")
                .hasMessageContaining("writes in place into a view of %");
    }
}
