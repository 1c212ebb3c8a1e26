package dev.kiln.frontend.torchscript;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.passes.eval.GraphEvaluator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random TorchScript programs with run-time branches and loops, nested, over variables that are reassigned,
 * aliased ({@code a = b}) and written in place ({@code a += 1}, {@code a.mul_(2)}), the model's input among them:
 * compiled by libtorch, saved, converted by Kiln and evaluated; every variable, returned at the end, must be what
 * libtorch's TorchScript interpreter gives, on inputs that send the branches both ways. A program Kiln refuses must
 * be refused with a {@link KilnException} naming the file (writing into views is the only refusal such programs can
 * meet, and they make no views).
 */
public class ControlFlowPropertyTest {
    private static Path dir;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("kiln-ts-control-flow");
    }

    static final java.util.concurrent.atomic.AtomicInteger CONVERTED = new java.util.concurrent.atomic.AtomicInteger();
    static final java.util.concurrent.atomic.AtomicInteger REFUSED = new java.util.concurrent.atomic.AtomicInteger();

    @AfterContainer
    static void tearDown() throws IOException {
        System.out.println("control-flow programs: " + CONVERTED.get() + " converted and checked, " + REFUSED.get()
                + " refused for sharing a tensor between variables");
        // the property is about conversions: most programs must convert
        assertThat(CONVERTED.get()).isGreaterThan(REFUSED.get());
        TorchScriptModels.deleteFolder(dir);
    }

    static final String[] VARS = {"x", "a", "b", "c"};

    /** A program of a few statements, blocks nested at most two deep; every variable returned. */
    public static String program(long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder("def forward(self, x):\n    a = x * 1.0\n    b = x + 1.0\n    c = x - 0.5\n"
                + "    st = (a * 0.5, c + 0.25)\n");
        block(sb, r, 1, 0, 2 + r.nextInt(3), false);
        return sb.append("    return x, a, b, c, st[0], st[1]\n").toString();
    }

    private static void block(StringBuilder sb, Random r, int indent, int depth, int statements, boolean inLoop) {
        String pad = "    ".repeat(indent);
        for (int s = 0; s < statements; s++) {
            if (inLoop && r.nextInt(6) == 0) {
                // a break on the variables' values: with the input's sizes given, a loop whose trip count is known
                // but whose condition is not, which the converter starts to unroll and then takes back
                sb.append(pad).append("if bool(").append(VARS[r.nextInt(VARS.length)]).append(".sum() > ")
                        .append(Math.round((r.nextDouble() * 2 - 1) * 4) / 4.0).append("):\n").append(pad).append("    break\n");
                continue;
            }
            String v = VARS[r.nextInt(VARS.length)];
            String w = VARS[r.nextInt(VARS.length)];
            double k = Math.round((r.nextDouble() * 2 - 1) * 4) / 4.0;
            if (r.nextInt(7) == 0) {
                // a tuple variable: swapped and updated, so that branches and loops give and carry it whole
                sb.append(pad).append("st = (st[1] * ").append(k).append(", st[0] + ").append(w).append(")\n");
                continue;
            }
            if (r.nextInt(9) == 0) {
                sb.append(pad).append(v).append(" = st[").append(r.nextInt(2)).append("] + ").append(w).append("\n");
                continue;
            }
            int kind = depth >= 2 ? r.nextInt(5) : r.nextInt(8);
            switch (kind) {
                case 0 -> sb.append(pad).append(v).append(" = ").append(w).append(" * ").append(k).append(" + 0.25\n");
                case 1 -> sb.append(pad).append(v).append(" = torch.tanh(").append(w).append(" + ").append(v).append(")\n");
                case 2 -> sb.append(pad).append(v).append(" += ").append(w).append(" * 0.5\n");
                case 3 -> sb.append(pad).append(v).append(".mul_(").append(k).append(")\n");
                case 4 -> sb.append(pad).append(v).append(" = ").append(w).append("\n"); // an alias: writes reach both
                case 5, 6 -> {
                    sb.append(pad).append("if bool(").append(w).append(".sum() > ").append(k).append("):\n");
                    block(sb, r, indent + 1, depth + 1, 1 + r.nextInt(2), inLoop);
                    if (r.nextBoolean()) {
                        sb.append(pad).append("else:\n");
                        block(sb, r, indent + 1, depth + 1, 1 + r.nextInt(2), inLoop);
                    }
                }
                default -> {
                    sb.append(pad).append("for i").append(depth).append(" in range(").append(w).append(".size(0)):\n");
                    block(sb, r, indent + 1, depth + 1, 1 + r.nextInt(2), true);
                }
            }
        }
    }

    /**
     * Greedy decoding's loop: a constant number of steps, ended early by a break on the model's values. Refused
     * until 2026-12-05 ("the loop condition is computed at run time"); now a run-time loop, whatever the input sizes.
     */
    @org.junit.jupiter.api.Test
    void aLoopOverAConstantRangeWithABreakOnValuesRunsAtRunTime(@org.junit.jupiter.api.io.TempDir Path tmp) {
        String source = "def forward(self, x):\n"
                + "    h = x\n"
                + "    outs = torch.zeros([6, 3])\n"
                + "    steps = 0\n"
                + "    for t in range(6):\n"
                + "        h = torch.tanh(h * 1.5 + 0.25)\n"
                + "        outs[t] = h.sum(0)\n"
                + "        steps += 1\n"
                + "        if bool(h.sum() > 2.5):\n"
                + "            break\n"
                + "    return outs, h * float(steps)\n";
        Path file = TorchScriptModels.save(source, tmp, "decode.pt");
        for (TorchScriptOptions options : List.of(TorchScriptOptions.defaults(), TorchScriptOptions.defaults().withInputTypes(List.of(
                new dev.kiln.ir.TensorType(dev.kiln.ir.DType.FLOAT32, dev.kiln.ir.Shape.of(2, 3)))))) {
            Graph g = TorchScriptFrontend.load(file, options);
            assertThat(g.opHistogram()).containsKey("kiln::loop");
            for (float scale : new float[] {0.1f, 1f, -2f}) {
                ConstantTensor x = ConstantTensor.ofFloats(new long[] {2, 3}, 0.5f * scale, 1f * scale, -0.25f * scale,
                        2f * scale, 0.75f * scale, -1f * scale);
                TorchScriptModels.assertComputesWhatLibtorchComputes(file, g, List.of(x), 1e-5, "at scale " + scale);
            }
        }
    }

    /**
     * An LSTM-style loop over a sequence of run-time length, carrying its state as a tuple and a list: refused until
     * 2026-12-05 ("its carried value 0 is a list or tuple"); now the loop carries their elements.
     */
    @org.junit.jupiter.api.Test
    void aLoopCarryingATupleAndAListOfFixedLengthRunsAtRunTime(@org.junit.jupiter.api.io.TempDir Path tmp) {
        String source = "def forward(self, x):\n"
                + "    state = (x[0], x[0] * 0.0)\n"
                + "    hs = [x[0], x[0] * 2.0]\n"
                + "    for t in range(x.size(0)):\n"
                + "        h, c = state\n"
                + "        c = c + torch.tanh(x[t] + h)\n"
                + "        h = torch.tanh(c)\n"
                + "        state = (h, c)\n"
                + "        hs = [hs[1], hs[0] + h]\n"
                + "    return state[0], state[1], hs[0], hs[1]\n";
        Path file = TorchScriptModels.save(source, tmp, "lstm.pt");
        Graph g = TorchScriptFrontend.load(file, TorchScriptOptions.defaults());
        assertThat(g.opHistogram()).containsKey("kiln::loop");
        assertThat(Verifier.check(g)).isEmpty();
        String text = IrPrinter.print(g);
        assertThat(IrPrinter.print(IrParser.parse(text, "p.kir", SchemaRegistry.standard()))).isEqualTo(text);
        for (long rows : new long[] {1, 2, 5}) {
            float[] v = new float[(int) rows * 3];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) Math.sin(i + 1.0);
            }
            ConstantTensor x = ConstantTensor.ofFloats(new long[] {rows, 3}, v);
            TorchScriptModels.assertComputesWhatLibtorchComputes(file, g, List.of(x), 1e-5, rows + " rows");
        }
    }

    @org.junit.jupiter.api.Test
    void aLoopChangingTheLengthOfACarriedListIsRefusedByName(@org.junit.jupiter.api.io.TempDir Path tmp) {
        String source = "def forward(self, x):\n"
                + "    hs = [x[0]]\n"
                + "    for t in range(x.size(0)):\n"
                + "        hs = [hs[0], x[t]]\n"
                + "    return hs[0]\n";
        Path file = TorchScriptModels.save(source, tmp, "grow.pt");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TorchScriptFrontend.load(file, TorchScriptOptions.defaults()))
                .isInstanceOf(KilnException.class).hasMessageContaining(file.toString()).hasMessageContaining("(prim::Loop)")
                .hasMessageContaining("another length or nesting than the loop starts with");
    }

    @Property(tries = 400, seed = "7")
    void convertedProgramsComputeWhatLibtorchComputes(@ForAll long seed) {
        String source = program(seed);
        Path file = TorchScriptModels.save(source, dir, "p" + Long.toHexString(seed) + ".pt");
        // sizes unknown (loops over them run at run time), then known (they unroll, unless a break on the values
        // makes the converter take the unrolled trips back and keep a run-time loop)
        check(source, file, TorchScriptOptions.defaults());
        check(source + "(input sizes given)", file, TorchScriptOptions.defaults().withInputTypes(List.of(
                new dev.kiln.ir.TensorType(dev.kiln.ir.DType.FLOAT32, dev.kiln.ir.Shape.of(2, 3)))));
    }

    private static void check(String source, Path file, TorchScriptOptions options) {
        Graph g;
        try {
            g = TorchScriptFrontend.load(file, options);
        } catch (KilnException e) {
            assertThat(e.getMessage()).as(source).contains(file.toString()).containsAnyOf("shares one tensor", "shares the tensor", "shares that tensor");
            REFUSED.incrementAndGet();
            return;
        }
        CONVERTED.incrementAndGet();
        assertThat(Verifier.check(g)).as(source).isEmpty();
        String text = IrPrinter.print(g);
        assertThat(IrPrinter.print(IrParser.parse(text, "p.kir", SchemaRegistry.standard()))).as(source).isEqualTo(text);
        for (float scale : new float[] {1f, -1f}) {
            ConstantTensor x = ConstantTensor.ofFloats(new long[] {2, 3}, 0.5f * scale, 1f * scale, -0.25f * scale,
                    2f * scale, 0.75f * scale, -1f * scale);
            List<ConstantTensor> want = TorchScriptModels.libtorch(file, List.of(x));
            List<ConstantTensor> got = GraphEvaluator.run(g, List.of(x));
            assertThat(got).as(source).hasSameSizeAs(want);
            for (int k = 0; k < want.size(); k++) {
                for (long i = 0; i < want.get(k).numel(); i++) {
                    double e = want.get(k).getDouble(i);
                    assertThat(got.get(k).getDouble(i)).as(source + "\noutput " + (k < VARS.length ? VARS[k] : "st[" + (k - VARS.length) + "]") + " element " + i + " for x * " + scale)
                            .isCloseTo(e, org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, Math.abs(e))));
                }
            }
        }
    }
}
