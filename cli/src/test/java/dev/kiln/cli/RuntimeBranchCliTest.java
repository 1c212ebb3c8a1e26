package dev.kiln.cli;

import dev.kiln.frontend.torchscript.TorchScriptModels;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.npy.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static dev.kiln.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A TorchScript model with an {@code if} on a value it computes: {@code kiln run --device cpu} gives libtorch's own
 * results down either branch, and the dry run places the branch in libtorch with TensorRT on both sides of it.
 */
class RuntimeBranchCliTest {
    static final String MODEL = ""
            + "def forward(self, x):\n"
            + "    h = torch.relu(x * 2.0 + 1.0)\n"
            + "    if bool(h.mean() > 2.0):\n"
            + "        h = h / h.amax()\n"
            + "    else:\n"
            + "        h = h * 3.0\n"
            + "    y = torch.sigmoid(h * 1.5 + 0.25)\n"
            + "    y = torch.tanh(y * 2.0) - 0.5\n"
            + "    return y * y + torch.relu(y)\n";

    @TempDir
    Path dir;

    private Path model() {
        return TorchScriptModels.save(MODEL, dir, "branchy.pt");
    }

    private static ConstantTensor libtorch(Path file, ConstantTensor x) {
        return TorchScriptModels.libtorch(file, x).get(0);
    }

    @Test
    void runOnCpuTakesEitherBranchAsLibtorchDoes() {
        Path file = model();
        ConstantTensor small = ConstantTensor.ofFloats(new long[] {2, 3}, -1f, 0.1f, 0.2f, -0.5f, 0.3f, 0f);
        ConstantTensor large = ConstantTensor.ofFloats(new long[] {2, 3}, 1f, 2f, 3f, 4f, 0.5f, -2f);
        for (ConstantTensor x : new ConstantTensor[] {small, large}) {
            Path in = dir.resolve("in.npz");
            Path out = dir.resolve("out.npz");
            Npz.write(in, Map.of("x0", x));
            CliRun r = run("run", file.toString(), "--device", "cpu", "--inputs", in.toString(), "--output", out.toString());
            assertThat(r.rc()).as(r.err()).isZero();
            ConstantTensor got = Npz.read(out).get("y0");
            ConstantTensor want = libtorch(file, x);
            for (long i = 0; i < want.numel(); i++) {
                assertThat(got.getDouble(i)).isCloseTo(want.getDouble(i), org.assertj.core.data.Offset.offset(1e-6));
            }
        }
    }

    @Test
    void dryRunKeepsTheBranchInLibtorchAndTheRestInTensorRt() {
        CliRun r = run("compile", "--dry-run", model().toString(), "--input", "x0=2x3", "--min-block-size", "1");
        assertThat(r.rc()).as(r.err()).isZero();
        // the branch (and the bool its condition is read as) in libtorch, what comes before and after it in TensorRT
        assertThat(runsIn(r.out(), "kiln::cond")).isEqualTo("torch");
        assertThat(runsIn(r.out(), "aten::Bool.Tensor")).isEqualTo("torch");
        assertThat(runsIn(r.out(), "aten::relu")).isEqualTo("tensorrt");
        assertThat(runsIn(r.out(), "aten::sigmoid")).isEqualTo("tensorrt");
        assertThat(r.out()).contains("3 segments (2 tensorrt, 1 torch)");
    }

    /** A dict input, an optional mask, an RNN loop whose states are appended, a dict returned. */
    static final String DICT_RNN = ""
            + "def forward(self, inputs: Dict[str, Tensor], mask: Optional[Tensor] = None):\n"
            + "    y = inputs['features'] * 2.0\n"
            + "    if mask is not None:\n"
            + "        y = y * mask\n"
            + "    outs = []\n"
            + "    for i in range(y.size(0)):\n"
            + "        outs.append(torch.tanh(y[i] + inputs['bias']))\n"
            + "    return {'seq': torch.relu(torch.stack(outs) * 3.0 - 0.5), 'last': outs[-1]}\n";

    @Test
    void aDictInputAndAnRnnLoopRunOnTheCpuAsLibtorchDoesAndTheStackGoesToTensorRt() {
        // a second method calls forward with the dict, for libtorch's reference
        Path file = TorchScriptModels.save(DICT_RNN + "\n"
                + "def call(self, features: Tensor, bias: Tensor, mask: Tensor):\n"
                + "    d = self.forward({'features': features, 'bias': bias}, mask)\n"
                + "    return d['seq'], d['last']\n", dir, "dict_rnn.pt");
        CliRun inspect = run("inspect", file.toString());
        assertThat(inspect.rc()).as(inspect.err()).isZero();
        // the dict's keys in the order the model first reads them, then the optional mask
        assertThat(inspect.out()).containsSubsequence("input      %features", "input      %bias", "input      %mask");
        // the returned dict's keys name the outputs
        assertThat(inspect.out()).containsSubsequence("output     %seq", "output     %last");
        ConstantTensor features = ConstantTensor.ofFloats(new long[] {3, 4}, 0.5f, -1f, 0.25f, 2f, 1f, 0f, -0.5f, 0.75f,
                -2f, 1.5f, 0.1f, -0.3f);
        ConstantTensor bias = ConstantTensor.ofFloats(new long[] {4}, 0.1f, -0.2f, 0.3f, 0f);
        ConstantTensor mask = ConstantTensor.ofFloats(new long[] {3, 4}, 1f, 1f, 0f, 1f, 0.5f, 1f, 1f, 0f, 1f, 2f, 1f, 1f);
        Path in = dir.resolve("in.npz");
        Path out = dir.resolve("out.npz");
        Npz.write(in, Map.of("x0", features, "x1", bias, "x2", mask));
        CliRun r = run("run", file.toString(), "--device", "cpu", "--inputs", in.toString(), "--output", out.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        Map<String, ConstantTensor> got = Npz.read(out);
        java.util.List<ConstantTensor> want = new java.util.ArrayList<>();
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            org.bytedeco.pytorch.JitModule m = org.bytedeco.pytorch.global.torch.load(file.toString());
            org.bytedeco.pytorch.IValueVector args = new org.bytedeco.pytorch.IValueVector();
            for (ConstantTensor t : java.util.List.of(features, bias, mask)) {
                args.push_back(new org.bytedeco.pytorch.IValue(dev.kiln.passes.eval.TorchEval.toTorch(t).clone()));
            }
            var tuple = m.get_method("call").apply(args).toTuple().elements();
            for (long k = 0; k < tuple.size(); k++) {
                want.add(dev.kiln.passes.eval.TorchEval.toConstant(tuple.get(k).toTensor()));
            }
        }
        for (int k = 0; k < 2; k++) {
            ConstantTensor y = got.get("y" + k);
            assertThat(y.sizes()).containsExactly(want.get(k).sizes());
            for (long i = 0; i < y.numel(); i++) {
                assertThat(y.getDouble(i)).isCloseTo(want.get(k).getDouble(i), org.assertj.core.data.Offset.offset(1e-6));
            }
        }
        CliRun dry = run("compile", "--dry-run", file.toString(), "--input", "x0=1..16x4", "--input", "x1=4", "--input",
                "x2=1..16x4", "--min-block-size", "1");
        assertThat(dry.rc()).as(dry.err()).isZero();
        assertThat(runsIn(dry.out(), "kiln::loop")).isEqualTo("torch");
        assertThat(runsIn(dry.out(), "aten::relu")).isEqualTo("tensorrt");
        assertThat(dry.out()).contains("control flow decided at run time (a loop) runs in libtorch");
    }

    /** The "runs in" column of the dry run's line for the first node of {@code op}. */
    private static String runsIn(String out, String op) {
        String nodes = out.substring(out.indexOf("nodes:"));
        String line = nodes.lines().filter(l -> l.contains(" " + op + " ")).findFirst().orElseThrow();
        return line.trim().split("\\s+")[2];
    }

    @Test
    void inspectListsTheOpsInsideTheBranches() throws Exception {
        CliRun text = run("inspect", model().toString());
        assertThat(text.rc()).as(text.err()).isZero();
        assertThat(text.out()).contains("kiln::cond").contains("nested     ").contains("aten::amax");
        CliRun json = run("inspect", model().toString(), "--format", "json");
        assertThat(json.rc()).as(json.err()).isZero();
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
        assertThat(j.path("ops").path("kiln::cond").asInt()).isEqualTo(1);
        // h / h.amax() in one branch, h * 3.0 in the other
        assertThat(j.path("nested_ops").path("aten::amax").asInt()).isEqualTo(1);
        assertThat(j.path("nested_ops").path("aten::div.Tensor").asInt()).isEqualTo(1);
    }
}
