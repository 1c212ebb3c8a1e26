package dev.kiln.frontend.torchscript;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.passes.eval.GraphEvaluator;
import dev.kiln.passes.eval.TorchEval;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code forward(self, inputs: Dict[str, Tensor])}: each key the model reads or tests becomes an input of its own, named
 * by the key, in the order of first use; the reference is libtorch running the saved module's {@code forward} on the
 * dict (called through a second method that builds it from the same tensors).
 */
class DictInputTest {
    @TempDir
    Path dir;

    private static final ConstantTensor A = ConstantTensor.ofFloats(new long[] {2, 3}, 0.5f, 1f, -0.25f, 2f, 0.75f, -1f);
    private static final ConstantTensor B = ConstantTensor.ofFloats(new long[] {2, 3}, 1f, 0f, 1f, 1f, 0f, 2f);

    private Path save(String forward, String call) {
        try (PointerScope scope = new PointerScope()) {
            JitModule m = new JitModule(new QualifiedName("M"));
            m.define(forward);
            m.define(call);
            Path file = dir.resolve("m" + Integer.toHexString(forward.hashCode()) + ".pt");
            m.save(file.toString());
            return file;
        }
    }

    private static List<ConstantTensor> reference(Path file, List<ConstantTensor> xs) {
        try (PointerScope scope = new PointerScope()) {
            JitModule m = org.bytedeco.pytorch.global.torch.load(file.toString());
            IValueVector args = new IValueVector();
            for (ConstantTensor x : xs) {
                args.push_back(new IValue(TorchEval.toTorch(x).clone()));
            }
            IValue out = m.get_method("call").apply(args);
            return out.isTuple() ? List.of(TorchEval.toConstant(out.toTuple().elements().get(0).toTensor()),
                    TorchEval.toConstant(out.toTuple().elements().get(1).toTensor())) : List.of(TorchEval.toConstant(out.toTensor()));
        }
    }

    @Test
    void eachKeyTheModelReadsIsAnInputNamedByIt() {
        Path f = save("def forward(self, inputs: Dict[str, Tensor]):\n"
                + "    y = inputs['mask'] * 2.0\n"
                + "    if 'bias' in inputs:\n"
                + "        y = y + inputs['bias']\n"
                + "    return torch.relu(inputs['features'] * y), inputs.get('mask', y)\n",
                "def call(self, mask: Tensor, features: Tensor):\n"
                + "    return self.forward({'features': features, 'mask': mask, 'unused': mask * 0.0})\n");
        Graph g = TorchScriptFrontend.load(f, TorchScriptOptions.defaults());
        assertThat(Verifier.check(g)).isEmpty();
        // first use: mask, then bias (tested: an input given on every call), then features
        assertThat(g.inputs()).extracting(v -> v.name()).containsExactly("mask", "bias", "features");
        ConstantTensor zero = ConstantTensor.ofFloats(new long[] {2, 3}, 0f, 0f, 0f, 0f, 0f, 0f);
        List<ConstantTensor> got = GraphEvaluator.run(g, List.of(B, zero, A));
        List<ConstantTensor> want = reference(f, List.of(B, A));
        for (int k = 0; k < 2; k++) {
            for (long i = 0; i < 6; i++) {
                assertThat(got.get(k).getDouble(i)).isEqualTo(want.get(k).getDouble(i));
            }
        }
    }

    @Test
    void usesThatDependOnKeysTheModelDoesNotNameAreRefused() {
        for (String body : List.of("    return inputs['a'] * float(len(inputs))\n",
                "    y = inputs['a']\n    for k, v in inputs.items():\n        y = y + v\n    return y\n",
                "    return inputs\n")) {
            Path f = save("def forward(self, inputs: Dict[str, Tensor]):\n" + body,
                    "def call(self, a: Tensor):\n    return self.forward({'a': a})\n");
            assertThatThrownBy(() -> TorchScriptFrontend.load(f, TorchScriptOptions.defaults())).as(body)
                    .isExactlyInstanceOf(KilnException.class).hasMessageContaining(f.toString())
                    .hasMessageContaining("the dict input 'inputs' in a way Kiln does not take");
        }
        Path f = save("def forward(self, inputs: Dict[str, int]):\n    return torch.zeros([inputs['n']])\n",
                "def call(self, n: int):\n    return self.forward({'n': n})\n");
        assertThatThrownBy(() -> TorchScriptFrontend.load(f, TorchScriptOptions.defaults()))
                .isExactlyInstanceOf(KilnException.class).hasMessageContaining("dicts of str keys and tensor values");
    }
}
