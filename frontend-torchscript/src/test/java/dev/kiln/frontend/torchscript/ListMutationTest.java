package dev.kiln.frontend.torchscript;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.verify.Verifier;
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
 * Lists changed in place ({@code append}, {@code insert}, {@code pop}, {@code ys[i] = y}, {@code extend},
 * {@code reverse}, {@code del}, {@code clear}): converted as Python runs them, checked against libtorch's TorchScript
 * interpreter; and refused, with a message that says what to do, where the change would happen inside a run-time
 * branch or loop. Until 2026-12-05 every one of them but {@code append} was silently dropped, and the model computed
 * with the list as it was before.
 */
public class ListMutationTest {
    private static final ConstantTensor X = ConstantTensor.ofFloats(new long[] {2, 3}, 0.5f, 1f, -0.25f, 2f, 0.75f, -1f);
    private static final TensorOptions STATIC = new TensorOptions();

    /** The input type that makes {@code x.size(0)} known, so loops over it unroll. */
    private static final class TensorOptions {
        final TorchScriptOptions options = TorchScriptOptions.defaults()
                .withInputTypes(List.of(new TensorType(DType.FLOAT32, Shape.of(2, 3))));
    }

    @TempDir
    Path tmp;

    private void converts(String source, TorchScriptOptions options) {
        Path f = TorchScriptModels.save(source, tmp, "m" + Integer.toHexString(source.hashCode()) + ".pt");
        Graph g = TorchScriptFrontend.load(f, options);
        assertThat(Verifier.check(g)).as(source).isEmpty();
        TorchScriptModels.assertComputesWhatLibtorchComputes(f, g, List.of(X), 1e-5, source);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "ys = [x, x * 2.0]\n    ys.insert(0, x * 3.0)\n    ys.insert(-1, x * 4.0)\n    ys.insert(9, x * 5.0)\n    return torch.cat(ys, 0)",
        "ys = [x, x * 2.0, x * 3.0]\n    y = ys.pop()\n    z = ys.pop(0)\n    return torch.cat(ys, 0), y, z",
        "ys = [x, x * 2.0]\n    ys[1] = x * 5.0\n    ys[-2] = x - 1.0\n    return ys[1], ys[0]",
        "ys = [x, x * 2.0]\n    ys.extend([x * 4.0, x + 1.0])\n    return torch.cat(ys, 0)",
        "ys = [x, x * 2.0, x * 3.0]\n    ys.reverse()\n    return torch.cat(ys, 0)",
        "ys = [x, x * 2.0]\n    zs = ys\n    zs.append(x * 7.0)\n    return torch.cat(ys, 0)",
        "ys = [x, x * 2.0, x * 3.0]\n    del ys[1]\n    del ys[-1]\n    return torch.cat(ys, 0)",
        "ys = [x, x * 2.0]\n    ys.clear()\n    ys.append(x + 3.0)\n    return torch.cat(ys, 0)",
        "sizes = [x.size(0)]\n    sizes.append(3)\n    sizes[0] = 1\n    return x.reshape(sizes[0] * 2, sizes[1])",
        // new lists from old ones: copies that later changes do not reach, slices, concatenation, repetition
        "ys = [x, x * 2.0]\n    zs = ys.copy()\n    zs.append(x)\n    ws = list(ys)\n    ws[0] = x * 9.0\n"
                + "    return torch.cat(ys, 0), torch.cat(zs, 0), ws[0]",
        "ys = [x, x * 2.0, x * 3.0, x * 4.0]\n    return torch.cat(ys[1:3], 0), torch.cat(ys[::-2], 0), torch.cat(ys[-3::2], 0)",
        "ys = [x, x * 2.0]\n    zs = ys + [x * 5.0]\n    ws = 2 * ys\n    vs = ys * 0\n    vs.append(x)\n"
                + "    return torch.cat(zs, 0), torch.cat(ws, 0), torch.cat(vs, 0)",
    })
    void listChangesAtTopLevelAreWhatLibtorchComputes(String body) {
        converts("def forward(self, x):\n    " + body + "\n", TorchScriptOptions.defaults());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "ys = []\n    for i in range(x.size(0)):\n        ys.append(x[i] * float(i))\n    return torch.stack(ys)",
        "ys = [x, x]\n    for i in range(x.size(0)):\n        ys[0] = ys[0] + 1.0\n    return ys[0]",
        "ys = [x, x * 2.0, x * 3.0]\n    for i in range(x.size(0)):\n        y = ys.pop()\n    return torch.cat(ys, 0)",
        "ys = [x]\n    for i in range(x.size(0)):\n        zs = [x * float(i)]\n        zs.append(x)\n        ys[0] = ys[0] + torch.cat(zs, 0).sum()\n    return ys[0]",
    })
    void listChangesInALoopThatUnrollsAreWhatLibtorchComputes(String body) {
        converts("def forward(self, x):\n    " + body + "\n", STATIC.options);
    }

    @Test
    void aListBuiltInsideARuntimeLoopBodyConverts() {
        // the list lives and changes within one trip: the body converts once, as libtorch runs every trip
        converts("def forward(self, x):\n    acc = x\n    for i in range(x.size(0)):\n        zs = [acc * 0.5]\n"
                + "        zs.append(x)\n        zs.reverse()\n        acc = zs[1] + zs[0]\n    return acc\n", TorchScriptOptions.defaults());
    }

    @Test
    void changingAnOuterListInARuntimeLoopIsRefusedWithWhatToDo() {
        // (one append per trip converts: LoopAppendTest)
        String source = "def forward(self, x):\n    ys = [x[0]]\n    for i in range(x.size(0)):\n        ys.insert(0, x[i])\n"
                + "    return torch.stack(ys)\n";
        Path f = TorchScriptModels.save(source, tmp, "loop.pt");
        assertThatThrownBy(() -> TorchScriptFrontend.load(f, TorchScriptOptions.defaults())).isInstanceOf(KilnException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("(aten::insert) at <string>:4")
                .hasMessageContaining("changes a list built outside the run-time loop")
                .hasMessageContaining("--input x0=");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "ys = [x]\n    if bool(x.sum() > 0.0):\n        ys.append(x * 2.0)\n    else:\n        ys.append(x - 1.0)\n"
                + "    return torch.cat(ys, 0), ys[-1]",
        // nested branches, and a loop TorchScript's compiler unrolls itself (no break): four run-time ifs in a row
        "ys = [x]\n    for t in range(4):\n        if bool(ys[-1].sum() > 0.0):\n            if bool(x.max() > 1.5):\n"
                + "                ys.append(ys[-1] * 0.5)\n            else:\n                ys.append(ys[-1] * 2.0)\n"
                + "        else:\n            ys.append(ys[-1] + 1.0)\n    return torch.stack(ys)",
    })
    void appendsOnBothPathsOfARuntimeBranchAreWhatLibtorchComputes(String body) {
        for (float scale : new float[] {1f, -1f}) {
            String source = "def forward(self, x):\n    " + body + "\n";
            Path f = TorchScriptModels.save(source, tmp, "b" + Integer.toHexString(source.hashCode()) + ".pt");
            Graph g = TorchScriptFrontend.load(f, TorchScriptOptions.defaults());
            assertThat(g.opHistogram()).containsKey("kiln::cond");
            ConstantTensor x = ConstantTensor.ofFloats(new long[] {2, 3}, 0.5f * scale, 1f * scale, -0.25f * scale, 2f * scale,
                    0.75f * scale, -1f * scale);
            TorchScriptModels.assertComputesWhatLibtorchComputes(f, g, List.of(x), 1e-5, source + " at scale " + scale);
        }
    }

    @Test
    void appendsOnOnePathOrReadInTheBranchAreRefusedWithWhatToDo() {
        String[][] cases = {
            {"ys = [x]\n    if bool(x.sum() > 0.0):\n        ys.append(x)\n    return torch.cat(ys, 0)", "(prim::If) at <string>:3",
                "appends to ys in only one of its branches", "torch.where"},
            {"ys = [x]\n    if bool(x.sum() > 0.0):\n        ys.append(x)\n        y = ys[-1]\n    else:\n        ys.append(x * 2.0)\n"
                + "        y = x\n    return torch.cat(ys, 0), y", "(aten::__getitem__) at <string>:5",
                "reads the list ys after a run-time branch appended to it on this path"},
            {"ys = [x]\n    if bool(x.sum() > 0.0):\n        ys.append(x)\n        ys.append(x)\n    else:\n        ys.append(x * 2.0)\n"
                + "    return torch.cat(ys, 0)", "(aten::append) at <string>:5", "a second time on one path"},
        };
        for (String[] c : cases) {
            Path f = TorchScriptModels.save("def forward(self, x):\n    " + c[0] + "\n", tmp, "o" + Integer.toHexString(c[0].hashCode()) + ".pt");
            var thrown = assertThatThrownBy(() -> TorchScriptFrontend.load(f, TorchScriptOptions.defaults())).as(c[0])
                    .isExactlyInstanceOf(KilnException.class);
            for (int k = 1; k < c.length; k++) {
                thrown.hasMessageContaining(c[k]);
            }
        }
    }

    @Test
    void changingAnOuterListInARuntimeBranchIsRefusedWithWhatToDo() {
        String source = "def forward(self, x):\n    ys = [x, x * 2.0]\n    if bool(x.sum() > 0.0):\n        ys[1] = x * 5.0\n"
                + "    return ys[1]\n";
        Path f = TorchScriptModels.save(source, tmp, "branch.pt");
        assertThatThrownBy(() -> TorchScriptFrontend.load(f, STATIC.options)).isInstanceOf(KilnException.class)
                .hasMessageContaining("(aten::_set_item) at <string>:4")
                .hasMessageContaining("changes a list built outside the run-time branch").hasMessageContaining("torch.where");
    }

    @Test
    void anIndexOutOfRangeIsRefusedAsThePythonErrorItIs() {
        String source = "def forward(self, x):\n    ys = [x, x * 2.0]\n    ys[2] = x\n    return ys[0]\n";
        Path f = TorchScriptModels.save(source, tmp, "range.pt");
        assertThatThrownBy(() -> TorchScriptFrontend.load(f, TorchScriptOptions.defaults())).isInstanceOf(KilnException.class)
                .hasMessageContaining("list assignment index 2 is out of range for a list of 2").hasMessageContaining("IndexError");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "d = {'a': x}\n    d['b'] = x * 3.0\n    return d['b'] + d['a']",
        // every operation Kiln translates, a loop over the items, and a dict returned (its values, in order)
        "d = {'a': x, 'b': x * 2.0}\n    d['c'] = d['a'] + 1.0\n    d['a'] = x - 1.0\n    n = len(d)\n"
                + "    e = d.get('z', x) + d.get('b', x)\n    if 'b' in d:\n        e = e + d['b']\n    for k, v in d.items():\n"
                + "        e = e + v\n    for k in d.keys():\n        e = e * 0.5 + d[k]\n    vs = d.values()\n"
                + "    c = d.copy()\n    c.pop('a')\n    del d['b']\n    d.update({'q': x * 4.0})\n"
                + "    return {'out': e * float(n), 'k': d['c'], 'vs': torch.cat(vs, 0), 'n': x * float(len(c) + len(d))}",
        "d: Dict[int, Tensor] = {}\n    for i in range(3):\n        d[i] = x * float(i)\n    d.clear()\n    d[7] = x\n    return d[7]",
    })
    void dictsAreWhatLibtorchComputes(String body) {
        converts("def forward(self, x):\n    " + body + "\n", TorchScriptOptions.defaults());
    }

    @Test
    void aReturnedDictNamesItsValuesAfterItsKeys() {
        // a tuple under a key gives key_0, key_1; the input and the value already named for 'logits' keep their names
        String source = "def forward(self, x):\n    y = x * 2.0\n"
                + "    return {'logits': y, 'hidden states': (x + 1.0, x - 1.0), 'input': x, 'again': y, 'inner': {'z': x * 3.0}}\n";
        Path f = TorchScriptModels.save(source, tmp, "dictnames.pt");
        Graph g = TorchScriptFrontend.load(f, TorchScriptOptions.defaults());
        assertThat(g.outputs().stream().map(dev.kiln.ir.Value::name).toList())
                .containsExactly("logits", "hidden_states_0", "hidden_states_1", g.inputs().get(0).name(), "logits", "inner_z");
        assertThat(Verifier.check(g)).isEmpty();
        TorchScriptModels.assertComputesWhatLibtorchComputes(f, g, List.of(X), 1e-5, source);
    }

    @Test
    void whatKilnCannotFollowInADictIsRefusedWithWhatToDo() {
        String[][] cases = {
            {"d = {'a': x}\n    if bool(x.sum() > 0.0):\n        d['a'] = x * 2.0\n    return d['a']", "(aten::_set_item) at <string>:4",
                "changes a dict built outside the run-time branch"},
            {"d = {'a': x}\n    return d['b']", "(aten::__getitem__) at <string>:3", "no key b (the model would raise KeyError here)"},
            {"d = {'a': x}\n    return torch.cat(list(d.values()), 0) + d[str(x.size(0))]", "a dict key computed at run time"},
        };
        for (String[] c : cases) {
            Path f = TorchScriptModels.save("def forward(self, x):\n    " + c[0] + "\n", tmp, "d" + Integer.toHexString(c[0].hashCode()) + ".pt");
            var thrown = assertThatThrownBy(() -> TorchScriptFrontend.load(f, TorchScriptOptions.defaults())).as(c[0])
                    .isExactlyInstanceOf(KilnException.class).hasMessageContaining(f.toString());
            for (int k = 1; k < c.length; k++) {
                thrown.hasMessageContaining(c[k]);
            }
        }
    }

    // ---------------------------------------------------------------- property: random sequences of list changes

    private static Path dir;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("kiln-ts-lists");
    }

    @AfterContainer
    static void tearDown() throws IOException {
        TorchScriptModels.deleteFolder(dir);
    }

    /**
     * A program that builds a list of tensors and changes it with a random sequence of in-place list operations (appends
     * on both paths of a run-time branch among them), at top level and in loops over {@code range(2)} (unrolled), with
     * valid indices only; returns the concatenated list.
     */
    public static String program(long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder("def forward(self, x):\n    ys = [x, x * 2.0]\n");
        int[] len = {2};
        int statements = 3 + r.nextInt(6);
        for (int s = 0; s < statements; s++) {
            if (r.nextInt(4) == 0) {
                sb.append("    for i in range(2):\n");
                // inside the loop: operations that keep the length or grow it, run twice; indices below the length
                // at the loop's entry, which every trip has
                int entry = len[0];
                for (int k = 0; k < 1 + r.nextInt(2); k++) {
                    statement(sb, r, "        ", len, entry, true);
                }
            } else {
                statement(sb, r, "    ", len, len[0], false);
            }
        }
        return sb.append("    return torch.cat(ys, 0), ys[0] * 0.5\n").toString();
    }

    private static void statement(StringBuilder sb, Random r, String pad, int[] len, int valid, boolean inLoop) {
        double k = Math.round((r.nextDouble() * 4 - 2) * 4) / 4.0;
        String e = switch (r.nextInt(3)) {
            case 0 -> "x * " + k;
            case 1 -> "ys[" + (r.nextBoolean() ? r.nextInt(valid) : -1 - r.nextInt(valid)) + "] + " + k;
            default -> "torch.tanh(ys[0] - " + k + ")";
        };
        int kind = inLoop ? r.nextInt(5) : r.nextInt(9);
        if (kind == 4 && inLoop || kind == 8) {
            // both paths of a run-time branch append (reading the list before they do)
            String e2 = "ys[" + (r.nextBoolean() ? r.nextInt(valid) : -1 - r.nextInt(valid)) + "] * " + (-k);
            sb.append(pad).append("if bool(ys[0].sum() > ").append(k).append("):\n")
                    .append(pad).append("    ys.append(").append(e).append(")\n")
                    .append(pad).append("else:\n")
                    .append(pad).append("    ys.append(").append(e2).append(")\n");
            len[0] += inLoop ? 2 : 1;
            return;
        }
        switch (kind) {
            case 0 -> {
                sb.append(pad).append("ys.append(").append(e).append(")\n");
                len[0] += inLoop ? 2 : 1;
            }
            case 1 -> {
                sb.append(pad).append("ys.insert(").append(r.nextInt(valid + 3) - 1).append(", ").append(e).append(")\n");
                len[0] += inLoop ? 2 : 1;
            }
            case 2 -> sb.append(pad).append("ys[").append(r.nextInt(valid)).append("] = ").append(e).append("\n");
            case 3 -> sb.append(pad).append("ys.reverse()\n");
            case 4 -> {
                if (len[0] > 1) {
                    sb.append(pad).append("y = ys.pop(").append(r.nextInt(len[0])).append(")\n");
                    len[0]--;
                } else {
                    sb.append(pad).append("ys.append(").append(e).append(")\n");
                    len[0]++;
                }
            }
            case 5 -> {
                sb.append(pad).append("ys.extend([").append(e).append(", x - ").append(k).append("])\n");
                len[0] += 2;
            }
            case 6 -> {
                if (len[0] > 1) {
                    sb.append(pad).append("del ys[").append(-1 - r.nextInt(len[0])).append("]\n");
                    len[0]--;
                } else {
                    sb.append(pad).append("ys.insert(0, ").append(e).append(")\n");
                    len[0]++;
                }
            }
            default -> {
                sb.append(pad).append("ys.clear()\n").append(pad).append("ys.append(").append("x * ").append(k).append(")\n");
                len[0] = 1;
            }
        }
    }

    /**
     * A program that builds a dict of tensors with constant keys and changes and reads it with a random sequence of
     * dict operations (keys that exist where the operation needs one), at top level and in a loop over
     * {@code range(2)}; returns a value computed from every entry, and the dict itself (its values, in order).
     */
    public static String dictProgram(long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder("def forward(self, x):\n    d = {'a': x, 'b': x * 2.0}\n    acc = x * 0.0\n");
        List<String> keys = new java.util.ArrayList<>(List.of("a", "b"));
        int statements = 3 + r.nextInt(7);
        for (int s = 0; s < statements; s++) {
            String k = keys.get(r.nextInt(keys.size()));
            String fresh = String.valueOf((char) ('c' + r.nextInt(6)));
            double c = Math.round((r.nextDouble() * 4 - 2) * 4) / 4.0;
            switch (r.nextInt(9)) {
                case 0 -> {
                    sb.append("    d['").append(fresh).append("'] = d['").append(k).append("'] * ").append(c).append("\n");
                    if (!keys.contains(fresh)) {
                        keys.add(fresh);
                    }
                }
                case 1 -> sb.append("    acc = acc + d.get('").append(fresh).append("', x * ").append(c).append(")\n");
                case 2 -> sb.append("    if '").append(fresh).append("' in d:\n        acc = acc - d['").append(fresh).append("']\n");
                case 3 -> sb.append("    for kk, v in d.items():\n        acc = acc * 0.5 + v\n");
                case 4 -> sb.append("    acc = acc + x * float(len(d))\n");
                case 5 -> {
                    if (keys.size() > 1) {
                        sb.append("    y = d.pop('").append(k).append("')\n    acc = acc + y\n");
                        keys.remove(k);
                    }
                }
                case 6 -> {
                    sb.append("    e = d.copy()\n    e['").append(fresh).append("'] = x\n    acc = acc + torch.cat(list(e.values()), 0).sum()\n");
                }
                case 7 -> {
                    sb.append("    for i in range(2):\n        d['").append(k).append("'] = torch.tanh(d['").append(k).append("'] + ")
                            .append(c).append(")\n");
                }
                default -> {
                    sb.append("    d.update({'").append(fresh).append("': acc + ").append(c).append("})\n");
                    if (!keys.contains(fresh)) {
                        keys.add(fresh);
                    }
                }
            }
        }
        return sb.append("    return acc, d\n").toString();
    }

    @Property(tries = 100, seed = "29")
    void randomDictProgramsComputeWhatLibtorchComputes(@ForAll long seed) {
        convertsInTheProperty(dictProgram(seed), "d" + Long.toHexString(seed) + ".pt");
    }

    @Property(tries = 150, seed = "11")
    void randomListChangesComputeWhatLibtorchComputes(@ForAll long seed) {
        convertsInTheProperty(program(seed), "l" + Long.toHexString(seed) + ".pt");
    }

    /** {@link #converts} for the properties, whose models go to the container's folder (jqwik has no {@code @TempDir}). */
    private static void convertsInTheProperty(String source, String name) {
        Path f = TorchScriptModels.save(source, dir, name);
        Graph g = TorchScriptFrontend.load(f, TorchScriptOptions.defaults());
        assertThat(Verifier.check(g)).as(source).isEmpty();
        TorchScriptModels.assertComputesWhatLibtorchComputes(f, g, List.of(X), 1e-5, source);
    }
}
