package dev.kiln.frontend.torchscript;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.verify.Verifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code forward(self, x, mask: Optional[Tensor] = None)}, the signature of many scripted models: the optional
 * parameter is an input that is given, and the model's {@code is None} checks on it fold away while converting
 * (refused as "a Tensor? input" until 2026-12-05).
 */
class OptionalInputTest {
    @TempDir
    Path dir;

    private static final ConstantTensor X = ConstantTensor.ofFloats(new long[] {2, 3}, 0.5f, 1f, -0.25f, 2f, 0.75f, -1f);
    private static final ConstantTensor MASK = ConstantTensor.ofFloats(new long[] {2, 3}, 1f, 0f, 1f, 1f, 0f, 2f);

    @ParameterizedTest
    @ValueSource(strings = {
        "def forward(self, x, mask: Optional[Tensor] = None):\n    if mask is not None:\n        x = x * mask\n    return x + 1.0\n",
        "def forward(self, x, mask: Optional[Tensor] = None):\n    if mask is None:\n        mask = torch.ones_like(x)\n"
                + "    return x * mask\n",
        "def forward(self, x, mask: Optional[Tensor] = None, bias: Optional[Tensor] = None):\n    y = x\n"
                + "    if mask is not None and bias is not None:\n        y = y * mask + bias\n    assert mask is not None\n"
                + "    return torch.relu(y) + mask\n",
    })
    void anOptionalTensorIsAGivenInputAndItsNoneChecksFold(String source) {
        Path f = TorchScriptModels.save(source, dir, "m" + Integer.toHexString(source.hashCode()) + ".pt");
        Graph g = TorchScriptFrontend.load(f, TorchScriptOptions.defaults());
        assertThat(Verifier.check(g)).isEmpty();
        assertThat(g.opHistogram()).doesNotContainKeys("kiln::cond", "aten::__is__", "aten::__isnot__");
        List<ConstantTensor> inputs = g.inputs().size() == 2 ? List.of(X, MASK) : List.of(X, MASK, MASK);
        TorchScriptModels.assertComputesWhatLibtorchComputes(f, g, inputs, 1e-6, source);
    }

    @Test
    void anOptionalNumberIsAGivenNumberInput() {
        Path f = TorchScriptModels.save("def forward(self, x, k: Optional[int] = None):\n    if k is None:\n        k = 2\n"
                + "    return x * float(k)\n", dir, "k.pt");
        Graph g = TorchScriptFrontend.load(f, TorchScriptOptions.defaults());
        assertThat(g.inputs().get(1).type()).isEqualTo(PrimitiveType.INT);
        assertThat(g.opHistogram()).doesNotContainKeys("kiln::cond", "aten::__is__");
        List<ConstantTensor> out = dev.kiln.passes.eval.GraphEvaluator.run(g, List.of(X, ConstantTensor.ofLongs(new long[0], 3)));
        assertThat(out.get(0).getDouble(3)).isEqualTo(6.0);
    }
}
