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
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A list built by one append per trip of a loop run at run time ({@code outs.append(h)} in an RNN over a dynamic
 * sequence length) becomes the loop's scan output, stacked after the loop; torch.stack, torch.cat, len and indexing
 * read it. Checked against libtorch's TorchScript interpreter for several trip counts; what Kiln cannot follow is
 * refused, naming the node and saying what to do. Until 2026-12-05 every such append was refused.
 */
public class LoopAppendTest {
    @TempDir
    Path dir;

    /** Rows of 4 columns; the number of rows is the loop's trip count. */
    private static ConstantTensor rows(int n) {
        float[] v = new float[n * 4];
        java.util.Random r = new java.util.Random(n);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 1.5);
        }
        return ConstantTensor.ofFloats(new long[] {n, 4}, v);
    }

    private Graph converts(String body) {
        String source = "def forward(self, x):\n    " + body + "\n";
        Path f = TorchScriptModels.save(source, dir, "m" + Integer.toHexString(source.hashCode()) + ".pt");
        // no input types: the trip count is a run-time value
        Graph g = TorchScriptFrontend.load(f, TorchScriptOptions.defaults());
        assertThat(Verifier.check(g)).as(source).isEmpty();
        String text = IrPrinter.print(g);
        assertThat(IrPrinter.print(IrParser.parse(text, "m.kir", SchemaRegistry.standard()))).as(source).isEqualTo(text);
        for (ConstantTensor x : List.of(rows(1), rows(3), rows(6))) {
            TorchScriptModels.assertComputesWhatLibtorchComputes(f, g, List.of(x), 1e-5, source + "\nrows " + x.sizes()[0]);
        }
        return g;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // an RNN: the hidden state carried, every step's state appended
        "h = torch.zeros_like(x[0])\n    outs = []\n    for i in range(x.size(0)):\n"
                + "        h = torch.tanh(x[i] + h * 0.5)\n        outs.append(h)\n    return torch.stack(outs), h",
        "outs = []\n    for i in range(x.size(0)):\n        outs.append(x[i] * float(i))\n"
                + "    return torch.stack(outs, 1), torch.stack(outs, -1), torch.stack(outs, -2)",
        "outs = []\n    for i in range(x.size(0)):\n        outs.append(x[i:i + 1] * 2.0 - float(i))\n"
                + "    return torch.cat(outs, 0), torch.cat(outs, 1), torch.cat(outs, -1), torch.cat(outs, -2)",
        // elements from before the loop come first; len and indexing, by a constant and by a run-time int
        "outs = [x[0] * 3.0, x[0] - 1.0]\n    for i in range(x.size(0)):\n        outs.append(x[i] + float(i))\n"
                + "    n = len(outs)\n    return torch.stack(outs, 1), torch.cat(outs, 0) * float(n), outs[1], outs[2], outs[-1],"
                + " outs[x.size(0)]",
        "outs = []\n    for i in range(x.size(0)):\n        outs.append(x[i] * 2.0)\n"
                + "    return outs[0], outs[-1] * float(len(outs))",
        // two lists in one loop, with a tuple carried
        "st = (x[0], x[0] * 0.0)\n    hs = []\n    cs = []\n    for i in range(x.size(0)):\n        h, c = st\n"
                + "        c = c * 0.9 + torch.sigmoid(x[i])\n        h = torch.tanh(c) * h\n        st = (h, c)\n"
                + "        hs.append(h)\n        cs.append(c * 2.0)\n    return torch.stack(hs), torch.cat(cs, 0)",
        // appending a value read from outside, and one the loop made constant
        "outs = []\n    for i in range(x.size(0)):\n        outs.append(x)\n    return torch.stack(outs)",
        // a loop over the list afterwards reads its rows by a run-time index
        "outs = []\n    for i in range(x.size(0)):\n        outs.append(x[i] * float(i + 1))\n    acc = x[0] * 0.0\n"
                + "    for o in outs:\n        acc = acc * 0.5 + o\n    return acc",
        // a list per row built in a nested run-time loop, stacked each outer trip
        "rows = []\n    for i in range(x.size(0)):\n        row = []\n        for j in range(x.size(1)):\n"
                + "            row.append(x[i, j] * float(j))\n        rows.append(torch.stack(row))\n    return torch.stack(rows)",
        // a while loop on the model's values
        "y = x + 4.0\n    ys = [y]\n    while bool(y.abs().max() > 1.0):\n        y = y * 0.5\n        ys.append(y)\n"
                + "    return torch.stack(ys), torch.cat(ys, 0)",
        // a run-time loop inside a run-time branch, and inside a loop that unrolls
        "if bool(x.sum() > 0.0):\n        outs = []\n        for i in range(x.size(0)):\n            outs.append(x[i] * 2.0)\n"
                + "        y = torch.stack(outs, 1)\n    else:\n        y = x.t() * 3.0\n    return y",
        "res = []\n    for k in range(2):\n        outs = []\n        for i in range(x.size(0)):\n"
                + "            outs.append(x[i] * float(k + 1))\n        res.append(torch.cat(outs, 0))\n    return torch.stack(res)",
        // the body reads the list: the last element (autoregressive), one from before the loop, its length
        "outs = [x[0]]\n    for i in range(x.size(0)):\n        outs.append(torch.tanh(x[i] + outs[-1] * 0.5))\n"
                + "    return torch.stack(outs)",
        "outs = [x[0] * 2.0]\n    acc = x[0] * 0.0\n    for i in range(x.size(0)):\n        outs.append(x[i] + outs[0])\n"
                + "        acc = acc + outs[-1] * float(len(outs))\n    return torch.stack(outs), acc",
        "outs = []\n    for i in range(x.size(0)):\n        outs.append(x[i] * float(len(outs) + 1))\n    return torch.cat(outs, 0)",
        "outs = []\n    h = x[0]\n    for i in range(x.size(0)):\n        if i > 0:\n            h = outs[-1] * 0.5 + x[i]\n"
                + "        outs.append(torch.tanh(h))\n    return torch.stack(outs)",
        "tokens = [x[0]]\n    for step in range(6):\n        h = torch.tanh(tokens[-1] * 1.5 + 0.1)\n        tokens.append(h)\n"
                + "        if bool(h.max() > 0.99):\n            break\n    return torch.stack(tokens, 1)",
        // both paths of a run-time branch in the loop append (nested too), then read the element appended
        "outs = [x[0]]\n    y = x[0]\n    for i in range(x.size(0)):\n        if bool(x[i].sum() > 0.0):\n            outs.append(x[i] * 2.0)\n"
                + "        else:\n            if bool(x[i].max() > 1.0):\n                outs.append(outs[-1] - x[i])\n"
                + "            else:\n                outs.append(x[i] + float(len(outs)))\n        y = outs[-1] * 0.5\n"
                + "    return torch.stack(outs), y",
        // a loop over a known range ended by a break on the model's values (greedy decoding)
        "tokens = []\n    h = x[0]\n    for step in range(8):\n        h = torch.tanh(h * 1.5 + 0.1)\n"
                + "        tokens.append(h.argmax())\n        if bool(h.max() > 0.99):\n            break\n    return torch.stack(tokens), h",
    })
    void aListBuiltByAppendsInARuntimeLoopIsWhatLibtorchComputes(String body) {
        converts(body);
    }

    @Test
    void theAppendsBecomeTheLoopsScanOutput() {
        Graph g = converts("h = x[0]\n    outs = []\n    for i in range(x.size(0)):\n        h = torch.tanh(x[i] + h)\n"
                + "        outs.append(h)\n    return torch.stack(outs, 1)");
        Node loop = g.nodesOf(ControlFlow.LOOP).get(0);
        assertThat(ControlFlow.scans(loop)).isEqualTo(1);
        Graph body = ControlFlow.body(loop);
        // (cond, h, what it reads from outside..., the appended h): the same value carried and appended
        assertThat(body.outputs().get(body.outputs().size() - 1)).isSameAs(body.outputs().get(1));
        Node movedim = g.nodesOf("aten::movedim.int").get(0);
        assertThat(movedim.arg(0)).isSameAs(loop.outputs().get(loop.outputs().size() - 1));
        assertThat(g.outputs()).containsExactly(movedim.output());
    }

    @Test
    void aLoopThatRunsNoTripsLeavesAListWhoseStackIsAClearError() {
        Path f = TorchScriptModels.save("def forward(self, x):\n    outs = []\n    for i in range(x.size(0)):\n"
                + "        outs.append(x[i] * 2.0)\n    return torch.stack(outs)\n", dir, "empty.pt");
        Graph g = TorchScriptFrontend.load(f, TorchScriptOptions.defaults());
        ConstantTensor none = ConstantTensor.ofFloats(new long[] {0, 4});
        // libtorch raises too: stack of an empty list
        assertThatThrownBy(() -> TorchScriptModels.libtorch(f, none)).hasMessageContaining("non-empty");
        assertThatThrownBy(() -> GraphEvaluator.run(g, List.of(none))).isInstanceOf(KilnException.class)
                .hasMessageContaining("kiln::loop").hasMessageContaining("ran no trips");
    }

    @Test
    void aListStartedBeforeALoopThatRunsNoTripsStacksWhatItHeld() {
        // a dynamic batch b: after no trips the scan is [0, b, 4], b from h, and the stack is h[None], as in libtorch
        Path f = TorchScriptModels.save("def forward(self, x, h):\n    outs = [h]\n    for i in range(x.size(0)):\n"
                + "        h = torch.tanh(x[i] + h)\n        outs.append(h)\n    return torch.stack(outs)\n", dir, "prefixed.pt");
        dev.kiln.ir.SymExpr t = dev.kiln.ir.SymExpr.of(new dev.kiln.ir.Symbol("t", 0, 16));
        dev.kiln.ir.SymExpr b = dev.kiln.ir.SymExpr.of(new dev.kiln.ir.Symbol("b", 1, 8));
        dev.kiln.ir.SymExpr four = dev.kiln.ir.SymExpr.of(4);
        Graph g = TorchScriptFrontend.load(f, TorchScriptOptions.defaults().withInputTypes(List.of(
                new dev.kiln.ir.TensorType(dev.kiln.ir.DType.FLOAT32, dev.kiln.ir.Shape.of(t, b, four)),
                new dev.kiln.ir.TensorType(dev.kiln.ir.DType.FLOAT32, dev.kiln.ir.Shape.of(b, four)))));
        dev.kiln.passes.shapes.ShapeInference.standard().infer(g, true); // as the compile pipeline does
        assertThat(g.nodesOf(ControlFlow.LOOP).get(0).outputs().stream().map(v -> v.type().text()).toList())
                .contains("tensor<f32, [t, b, 4]>");
        ConstantTensor h = ConstantTensor.ofFloats(new long[] {3, 4}, 0.1f, -0.2f, 0.3f, 0.4f, 1f, 2f, -1f, 0f, 0.5f, 0.5f, -0.5f, 2f);
        for (long trips : new long[] {0, 2}) {
            ConstantTensor x = ConstantTensor.ofFloats(new long[] {trips, 3, 4}, new float[(int) (trips * 12)]);
            TorchScriptModels.assertComputesWhatLibtorchComputes(f, g, List.of(x, h), 1e-6, trips + " trips");
            assertThat(GraphEvaluator.run(g, List.of(x, h)).get(0).sizes()).containsExactly(trips + 1, 3, 4);
        }
    }

    private void refused(String body, String... parts) {
        String source = "def forward(self, x):\n    " + body + "\n";
        Path f = TorchScriptModels.save(source, dir, "r" + Integer.toHexString(source.hashCode()) + ".pt");
        var thrown = assertThatThrownBy(() -> TorchScriptFrontend.load(f, TorchScriptOptions.defaults()))
                .as(source).isExactlyInstanceOf(KilnException.class).hasMessageContaining(f.toString());
        for (String p : parts) {
            thrown.hasMessageContaining(p);
        }
    }

    @Test
    void whatKilnCannotFollowIsRefusedWithWhatToDo() {
        // the body reads an element other than the last or one from before the loop
        refused("outs = [x[0], x[1]]\n    for i in range(x.size(0)):\n        outs.append(x[i] + outs[-2])\n    return torch.stack(outs)",
                "(aten::__getitem__) at <string>:4", "it follows outs[-1], elements from before the loop and len(outs)",
                "keep what the body needs in a loop variable");
        refused("outs = [x[0]]\n    for i in range(x.size(0)):\n        outs.append(x[i] + outs[i])\n    return torch.stack(outs)",
                "(aten::__getitem__) at <string>:4", "it follows outs[-1]");
        refused("outs = [x[0]]\n    for i in range(x.size(0)):\n        outs.append(torch.stack(outs).sum(0))\n    return torch.stack(outs)",
                "(aten::stack) at <string>:4", "it follows outs[-1]");
        refused("outs = []\n    for i in range(x.size(0)):\n        outs.append(x[i])\n        outs.append(x[i] * 2.0)\n"
                + "    return torch.stack(outs)", "(aten::append) at <string>:5", "a second time in one trip");
        refused("outs = []\n    for i in range(x.size(0)):\n        outs.append(x[i])\n    outs.append(x[0])\n"
                + "    return torch.stack(outs)", "(aten::append) at <string>:5", "whose length is known only at run time",
                "append everything in the loop");
        refused("outs = []\n    for i in range(x.size(0)):\n        outs.append(x[i])\n    return outs",
                "return torch.stack(outs)");
        refused("outs = []\n    for i in range(x.size(0)):\n        outs.append(x[i])\n    return torch.sum(torch.stack(outs[1:]))",
                "(aten::slice) at <string>:5", "stack it (torch.stack(outs))");
        refused("outs: List[int] = []\n    for i in range(x.size(0)):\n        outs.append(i)\n    return x * float(len(outs))",
                "(aten::append) at <string>:4", "append a tensor");
        // the list holds the very tensor that the body writes afterwards
        refused("outs = []\n    for i in range(x.size(0)):\n        h = x[i] * 1.0\n        outs.append(h)\n        h.add_(1.0)\n"
                + "    return torch.stack(outs)", "(prim::Loop) at <string>:3", "append a copy");
        // an append in one branch only happens on some trips only; one in a nested run-time loop, a number of times
        refused("outs = []\n    for i in range(x.size(0)):\n        if bool(x[i].sum() > 0.0):\n            outs.append(x[i])\n"
                + "    return torch.stack(outs)", "(prim::If) at <string>:4", "in only one of its branches", "torch.where");
        refused("outs = []\n    for i in range(x.size(0)):\n        for j in range(x.size(1)):\n            outs.append(x[i, j])\n"
                + "    return torch.stack(outs)", "(aten::append) at <string>:5", "inside a run-time loop of the loop");
        refused("outs = []\n    for i in range(x.size(0)):\n        outs.append(x[i])\n        if bool(x[i].sum() > 0.0):\n"
                + "            outs.append(x[i])\n        else:\n            outs.append(x[i] * 2.0)\n    return torch.stack(outs)",
                "a second time in one trip");
    }

    // ---------------------------------------------------------------- property: random loops that build lists

    private static Path programs;

    @BeforeContainer
    static void setUp() throws IOException {
        programs = Files.createTempDirectory("kiln-ts-appends");
    }

    @AfterContainer
    static void tearDown() throws IOException {
        TorchScriptModels.deleteFolder(programs);
    }

    /**
     * A loop over the rows of {@code x} ({@code for} over {@code x.size(0)}, a {@code while} on a counter, or a fixed
     * range ended by a break on the values) whose body updates two states, reading the list's last element and length,
     * and appends one of several values (on both paths of a run-time branch, now and then) to one or two lists (which may hold elements from before), at least once; after
     * it, a random choice of stack and cat along
     * every dimension, len, indexing and a loop over the list. Every element has {@code x}'s row shape.
     */
    public static String program(long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder("def forward(self, x):\n    h = x[0] * 1.0\n    g = x[0] - 0.5\n");
        int prefix = r.nextInt(3);
        sb.append("    outs = [");
        for (int k = 0; k < prefix; k++) {
            sb.append(k > 0 ? ", " : "").append("x[0] * ").append(k + 2).append(".0");
        }
        sb.append("]\n");
        boolean two = r.nextBoolean();
        if (two) {
            sb.append("    ws = [g * 0.5]\n");
        }
        String pad = "        ";
        String row;
        switch (r.nextInt(3)) {
            case 0 -> {
                sb.append("    for i in range(x.size(0)):\n");
                row = "x[i]";
            }
            case 1 -> {
                sb.append("    i = 0\n    while i < x.size(0):\n");
                row = "x[i]";
            }
            default -> {
                sb.append("    for t in range(").append(2 + r.nextInt(4)).append("):\n");
                row = "x[0]";
            }
        }
        String[] appended = {"h", "g", row + " * 0.5", "h + g", "x[0]", "torch.sigmoid(h)"};
        int statements = 1 + r.nextInt(3);
        int appendAt = r.nextInt(statements + 1);
        int wsAt = r.nextInt(statements + 1);
        for (int s = 0; s <= statements; s++) {
            if (s == appendAt && r.nextInt(3) == 0) {
                // both paths of a run-time branch append
                sb.append(pad).append("if bool(h.sum() > ").append(Math.round((r.nextDouble() * 2 - 1) * 4) / 4.0).append("):\n")
                        .append(pad).append("    outs.append(").append(appended[r.nextInt(appended.length)]).append(")\n")
                        .append(pad).append("else:\n")
                        .append(pad).append("    outs.append(").append(appended[r.nextInt(appended.length)]).append(" * -0.5)\n");
            } else if (s == appendAt) {
                sb.append(pad).append("outs.append(").append(appended[r.nextInt(appended.length)]).append(")\n");
            }
            if (two && s == wsAt) {
                sb.append(pad).append("ws.append(").append(appended[r.nextInt(appended.length)]).append(" - 1.0)\n");
            }
            if (s < statements) {
                double k = Math.round((r.nextDouble() * 2 - 1) * 4) / 4.0;
                boolean hasLast = prefix > 0 || s >= appendAt; // outs[-1] exists on every trip here
                switch (r.nextInt(hasLast ? 4 : 3)) {
                    case 0 -> sb.append(pad).append("h = torch.tanh(").append(row).append(" * ").append(k).append(" + h)\n");
                    case 1 -> sb.append(pad).append("g = g * ").append(k).append(" + h\n");
                    case 2 -> sb.append(pad).append("g = g + float(len(outs)) * ").append(k / 8).append("\n");
                    default -> sb.append(pad).append("h = torch.tanh(outs[-1] * ").append(k).append(" + h)\n");
                }
            }
        }
        if (sb.indexOf("while") >= 0) {
            sb.append(pad).append("i += 1\n");
        }
        if (sb.indexOf("for t in") >= 0 || r.nextInt(3) == 0) {
            // after the appends: every trip that runs appends
            sb.append(pad).append("if bool(h.sum() > ").append(Math.round((r.nextDouble() * 2 - 1) * 4) / 4.0).append("):\n")
                    .append(pad).append("    break\n");
        }
        List<String> results = new java.util.ArrayList<>(List.of("h", "g"));
        int reads = 1 + r.nextInt(3);
        for (int k = 0; k < reads; k++) {
            switch (r.nextInt(6)) {
                case 0 -> results.add("torch.stack(outs, " + (r.nextInt(4) - 2) + ")");
                case 1 -> results.add("torch.cat(outs, " + (r.nextInt(2) - 1) + ")");
                case 2 -> results.add("outs[" + r.nextInt(prefix + 1) + "] * float(len(outs))");
                case 3 -> results.add("outs[-1]");
                case 4 -> {
                    sb.append("    acc").append(k).append(" = h * 0.0\n    for o in outs:\n        acc").append(k)
                            .append(" = acc").append(k).append(" * 0.5 + o\n");
                    results.add("acc" + k);
                }
                default -> results.add(two ? "torch.stack(ws)" : "torch.stack(outs)");
            }
        }
        return sb.append("    return ").append(String.join(", ", results)).append("\n").toString();
    }

    @Property(tries = 80, seed = "19")
    void randomLoopsBuildingListsComputeWhatLibtorchComputes(@ForAll long seed) {
        String source = program(seed);
        Path f = TorchScriptModels.save(source, programs, "a" + Long.toHexString(seed) + ".pt");
        // sizes unknown (a run-time loop), and given (a for loop over x.size(0) unrolls)
        Graph g = TorchScriptFrontend.load(f, TorchScriptOptions.defaults());
        assertThat(Verifier.check(g)).as(source).isEmpty();
        for (ConstantTensor x : List.of(rows(1), rows(2), rows(5))) {
            TorchScriptModels.assertComputesWhatLibtorchComputes(f, g, List.of(x), 1e-5, source + "\nrows " + x.sizes()[0]);
        }
        Graph fixed = TorchScriptFrontend.load(f, TorchScriptOptions.defaults().withInputTypes(List.of(
                new dev.kiln.ir.TensorType(dev.kiln.ir.DType.FLOAT32, dev.kiln.ir.Shape.of(3, 4)))));
        TorchScriptModels.assertComputesWhatLibtorchComputes(f, fixed, List.of(rows(3)), 1e-5, source + "\nsizes given");
    }
}
