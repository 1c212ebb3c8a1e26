package dev.kiln.frontend.torchscript;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Edge cases built from TorchScript source at test time (no Python needed). */
class SourceTextTest {
    private static final TensorType F32_2x3 = new TensorType(DType.FLOAT32, Shape.of(2, 3));
    private static final TensorType F32_1x2x3x4 = new TensorType(DType.FLOAT32, Shape.of(1, 2, 3, 4));

    private static JitModule module(String forward) {
        JitModule m = new JitModule(new QualifiedName("M"));
        m.define(forward);
        return m;
    }

    private static Graph convert(JitModule m, TensorType... inputs) {
        return TorchScriptFrontend.convert(m, "m.pt", TorchScriptOptions.defaults().withInputTypes(List.of(inputs)));
    }

    private static final String BRANCH_ON_RANK = ""
            + "def forward(self, x):\n"
            + "    if x.dim() == 4:\n"
            + "        y = torch.relu(x)\n"
            + "    else:\n"
            + "        y = torch.sigmoid(x)\n"
            + "    return y\n";

    @Test
    void ifWithConditionKnownFromInputTypesIsFolded() {
        assertThat(convert(module(BRANCH_ON_RANK), F32_1x2x3x4).opHistogram()).isEqualTo(Map.of("aten::relu", 1));
        assertThat(convert(module(BRANCH_ON_RANK), F32_2x3).opHistogram()).isEqualTo(Map.of("aten::sigmoid", 1));
    }

    @Test
    void anIfOnAnUnknownRankBecomesARunTimeBranch() {
        // without input types x.dim() is computed at run time: the If is kept, as kiln::cond (RuntimeBranchTest)
        Graph g = convert(module(BRANCH_ON_RANK));
        assertThat(g.opHistogram()).containsEntry("kiln::cond", 1);
        assertThat(g.nodesOf("kiln::cond").get(0).location()).isPresent();
    }

    @Test
    void constantTripCountLoopIsUnrolled() {
        Graph g = convert(module(""
                + "def forward(self, x):\n"
                + "    y = x\n"
                + "    for i in range(3):\n"
                + "        y = y + i\n"
                + "    return y\n"), F32_2x3);
        // libtorch's own peephole already drops `y + 0`
        List<Arg> added = g.nodes().stream().map(n -> n.arg(1)).toList();
        assertThat(added).containsExactly(Arg.of(1L), Arg.of(2L));
        ConstantTensor y = Eval.run(g, List.of(ConstantTensor.ofFloats(new long[] {2, 3}, 0, 1, 2, 3, 4, 5))).get(0);
        assertThat(y.getDouble(0)).isEqualTo(3.0);
        assertThat(y.getDouble(5)).isEqualTo(8.0);
    }

    @Test
    void whileLoopWithKnownConditionIsUnrolled() {
        Graph g = convert(module(""
                + "def forward(self, x):\n"
                + "    y = x\n"
                + "    i = 0\n"
                + "    while i < 3:\n"
                + "        y = y * 2.0\n"
                + "        i += 1\n"
                + "    return y\n"), F32_2x3);
        assertThat(g.opHistogram()).isEqualTo(Map.of("aten::mul.Scalar", 3));
        ConstantTensor y = Eval.run(g, List.of(ConstantTensor.ofFloats(new long[] {2, 3}, 1, 1, 1, 1, 1, 1))).get(0);
        assertThat(y.getDouble(4)).isEqualTo(8.0);
    }

    @Test
    void loopOverInputSizeIsUnrolledWhenTheShapeIsGiven() {
        JitModule m = module(""
                + "def forward(self, x):\n"
                + "    y = x\n"
                + "    for i in range(x.size(0)):\n"
                + "        y = y * 2.0\n"
                + "    return y\n");
        assertThat(convert(m, F32_2x3).opHistogram()).isEqualTo(Map.of("aten::mul.Scalar", 2));
        // without the shape the trip count is computed at run time: the loop is kept, as kiln::loop (RuntimeLoopTest)
        assertThat(convert(m).opHistogram()).containsEntry("kiln::loop", 1);
    }

    @Test
    void tupleInputsAndOutputsAreFlattened() {
        Graph g = convert(module(""
                + "def forward(self, xs: Tuple[Tensor, Tensor]):\n"
                + "    a, b = xs\n"
                + "    return a + b, torch.cat([a, b], 0)\n"), F32_2x3, F32_2x3);
        assertThat(g.inputs()).extracting(Value::name).containsExactly("xs_0", "xs_1");
        assertThat(g.inputs()).extracting(Value::type).containsExactly(F32_2x3, F32_2x3);
        assertThat(g.outputs()).hasSize(2);
        Node cat = g.nodesOf("aten::cat").get(0);
        assertThat(cat.arg(0)).isEqualTo(Arg.list(g.inputs()));
        List<ConstantTensor> ys = Eval.run(g, List.of(ConstantTensor.ofFloats(new long[] {2, 3}, 1, 1, 1, 1, 1, 1),
                ConstantTensor.ofFloats(new long[] {2, 3}, 2, 2, 2, 2, 2, 2)));
        assertThat(ys.get(0).getDouble(0)).isEqualTo(3.0);
        assertThat(ys.get(1).sizes()).containsExactly(4, 3);
    }

    @Test
    void listInputTakesTheInputTypesLeftOver() {
        JitModule m = module(""
                + "def forward(self, x, xs: List[Tensor]):\n"
                + "    return torch.cat(xs, 0) * x\n");
        Graph g = convert(m, F32_2x3, F32_2x3, F32_2x3);
        assertThat(g.inputs()).extracting(Value::name).containsExactly("x", "xs_0", "xs_1");
        Node cat = g.nodesOf("aten::cat").get(0);
        assertThat(cat.arg(0)).isEqualTo(Arg.list(g.inputs().subList(1, 3)));
        assertThatThrownBy(() -> convert(m))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining("forward() takes a list of tensors, whose length the archive does not say");
    }

    @Test
    void listOutputOfRunTimeLengthIsRefused() {
        assertThatThrownBy(() -> convert(module("def forward(self, x):\n    return torch.chunk(x, 2, 0)\n"), F32_2x3))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining("(aten::chunk)")
                .hasMessageContaining("return a tuple of its elements instead");
    }

    @Test
    void listBuiltByAppendInAnUnrolledLoopBecomesAListArgument() {
        Graph g = convert(module(""
                + "def forward(self, x):\n"
                + "    outs: List[Tensor] = []\n"
                + "    for i in range(2):\n"
                + "        outs.append(x * i)\n"
                + "    return torch.stack(outs, 0)\n"), F32_2x3);
        Node stack = g.nodesOf("aten::stack").get(0);
        assertThat(((Arg.ListArg) stack.arg(0)).elements()).hasSize(2);
        assertThat(g.opHistogram()).isEqualTo(Map.of("aten::mul.Scalar", 2, "aten::stack", 1));
    }

    @Test
    void dtypeDeviceAndNoneConstantsBecomeLiterals() {
        Graph g = convert(module(""
                + "def forward(self, x):\n"
                + "    z = torch.zeros([x.size(0), 3], dtype=5, device=torch.device('cpu'))  # 5 = c10 Half\n"
                + "    return x.to(dtype=5) + z\n"), F32_2x3);
        Node zeros = g.nodesOf("aten::zeros").get(0);
        assertThat(zeros.arg("dtype")).isEqualTo(Arg.of(DType.FLOAT16));
        assertThat(zeros.arg("device")).isEqualTo(new Arg.DeviceLit("cpu"));
        assertThat(zeros.arg("layout")).isEqualTo(Arg.NONE);
        assertThat(zeros.arg("size")).isEqualTo(Arg.ints(2, 3));
        Node to = g.nodesOf("aten::to.dtype").get(0);
        assertThat(to.arg("dtype")).isEqualTo(Arg.of(DType.FLOAT16));
    }

    @Test
    void parametersBecomeOffHeapConstantsWithTheirBytes() {
        JitModule m = new JitModule(new QualifiedName("M"));
        m.register_parameter("w", torch.arange(new org.bytedeco.pytorch.Scalar(6)).reshape(2, 3)
                .to(torch.ScalarType.Float), false);
        m.define("def forward(self, x):\n    return x * self.w\n");
        Graph g = convert(m, F32_2x3);
        assertThat(g.constants()).hasSize(1);
        Value w = g.constants().get(0);
        assertThat(w.name()).isEqualTo("w");
        ConstantTensor c = w.constant().orElseThrow();
        assertThat(c.data().isDirect()).isTrue();
        assertThat(c.sizes()).containsExactly(2, 3);
        assertThat(c.getDouble(5)).isEqualTo(5.0);
        assertThat(g.nodes().get(0).op()).isEqualTo("aten::mul.Tensor");
    }

    @Test
    void assertionsAreDroppedAndTheirShapeArithmeticDies() {
        Graph g = convert(module(""
                + "def forward(self, x):\n"
                + "    assert x.size(0) > 0, 'empty batch'\n"
                + "    return torch.relu(x)\n"));
        assertThat(g.opHistogram()).isEqualTo(Map.of("aten::relu", 1));
    }

    @Test
    void raiseReachedForTheGivenShapesIsRefused() {
        JitModule m = module(""
                + "def forward(self, x):\n"
                + "    assert x.dim() != 2, '2-d input'\n"
                + "    return x\n");
        assertThatThrownBy(() -> convert(m, F32_2x3))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining("(prim::RaiseException)")
                .hasMessageContaining("raises an exception unconditionally");
    }

    @Test
    void shapeArithmeticOfTracedCodeFoldsToLiterals() {
        Graph g = convert(module(""
                + "def forward(self, x):\n"
                + "    n = x.size(1)\n"
                + "    h = int(torch.floor_divide(torch.tensor(n), torch.tensor(3)))\n"
                + "    return x.reshape([x.size(0), h, 3])\n"), new TensorType(DType.FLOAT32, Shape.of(2, 6)));
        assertThat(g.opHistogram()).isEqualTo(Map.of("aten::reshape", 1));
        assertThat(g.nodes().get(0).arg(1)).isEqualTo(Arg.ints(2, 2, 3));
    }

    @Test
    void aMissingDictKeyIsRefusedByNodeAsThePythonErrorItIs() {
        JitModule m = module(""
                + "def forward(self, x):\n"
                + "    d: Dict[str, Tensor] = {}\n"
                + "    d['a'] = x\n"
                + "    return d[str(x.size(0))]\n");
        assertThatThrownBy(() -> convert(m, F32_2x3))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageStartingWith("m.pt: node ")
                .hasMessageContaining("(aten::__getitem__) at <string>:4")
                .hasMessageContaining("the dict has no key 2 (the model would raise KeyError here)");
    }

    @Test
    void wrongNumberOfInputTypesIsExplained() {
        assertThatThrownBy(() -> convert(module("def forward(self, x):\n    return x\n"), F32_2x3, F32_2x3))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining("2 input types were given but forward() takes 1 tensors");
    }
}
