package dev.kiln.frontend.fx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.frontend.fx.archive.ZipArchive;
import dev.kiln.frontend.fx.archive.ZipLimits;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.ControlFlow;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SourceLocation;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.ir.verify.Verifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

class FixtureLoadTest {

    @ParameterizedTest
    @ValueSource(strings = {"mlp.pt2", "mlp.core.pt2", "cnn.pt2", "cnn.core.pt2", "encoder.pt2", "encoder.core.pt2",
            "dynbatch.pt2", "dynbatch.core.pt2", "mlp.v27.pt2", "mlp.v28.pt2", "dictout.pt2", "dictout.core.pt2", "cond.pt2",
            "cond.core.pt2", "whileloop.pt2", "whileloop.core.pt2"})
    void everyFixtureLoadsAndVerifies(String file) {
        Graph g = Pt2Loader.load(Fixtures.path(file));
        Verifier.verify(g);
        assertThat(g.attributes()).containsEntry("frontend", "torch.export").containsEntry("format", "pt2").containsKey("layout");
        assertThat(ZipArchive.openFiles()).isZero();
    }

    /**
     * The IR's histogram equals torch's, with torch names mapped ({@code aten.conv2d.default} is
     * {@code aten::conv2d}). {@code getitem} is not an IR node: the getitems of tuple-returning ops
     * are the op's own outputs, and those of list-returning ops are one {@code prim::ListUnpack} per list.
     */
    @ParameterizedTest
    @CsvSource({"mlp,export,mlp.pt2", "mlp,core,mlp.core.pt2", "cnn,export,cnn.pt2", "cnn,core,cnn.core.pt2",
            "encoder,export,encoder.pt2", "encoder,core,encoder.core.pt2", "dynbatch,export,dynbatch.pt2",
            "dynbatch,core,dynbatch.core.pt2", "mlp,export,mlp.v27.pt2", "mlp,export,mlp.v28.pt2",
            "dictout,export,dictout.pt2", "dictout,core,dictout.core.pt2"})
    void opHistogramMatchesManifest(String model, String ir, String file) {
        Graph g = Pt2Loader.load(Fixtures.path(file));
        JsonNode ops = Fixtures.manifest().path("fixtures").path(model).path("ops_" + ir);
        Map<String, Integer> expected = new TreeMap<>();
        int getitems = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = ops.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().contains("getitem")) {
                getitems = e.getValue().asInt();
                continue;
            }
            expected.put(irName(e.getKey()), e.getValue().asInt());
        }
        Map<String, Integer> actual = new TreeMap<>(g.opHistogram());
        Integer unpacks = actual.remove("prim::ListUnpack");
        assertThat(actual).isEqualTo(expected);
        // every getitem torch counts is a used output of a multi-output node
        int used = 0;
        for (Node n : g.nodes()) {
            if (n.op().equals("prim::ListUnpack")) {
                used += n.outputs().size();
            } else if (n.outputs().size() > 1) {
                used += (int) n.outputs().stream().filter(v -> !v.name().contains("_unused_")).count();
            }
        }
        assertThat(used).isEqualTo(getitems);
        assertThat(unpacks == null ? 0 : unpacks).isEqualTo(file.startsWith("encoder") ? 1 : 0);
    }

    /** A returned dict's values are named after its keys, in the dict's order, as torch.export flattens it. */
    @ParameterizedTest
    @ValueSource(strings = {"dictout.pt2", "dictout.core.pt2"})
    void aReturnedDictNamesItsOutputsAfterItsKeys(String file) {
        Graph g = Pt2Loader.load(Fixtures.path(file));
        assertThat(g.outputs()).extracting(Value::name).containsExactly("logits", "hidden", "score");
        assertThat(g.outputs().get(1).producer()).hasValueSatisfying(n -> assertThat(n.op()).isEqualTo("aten::relu"));
    }

    /**
     * {@code torch.cond} becomes one {@code kiln::cond} whose two nested graphs take its operands (the linear layer's
     * output, the parameter the true branch reads, and the false branch's number 1.0, a constant of the enclosing graph:
     * nested graphs hold none), and which the IR's text form prints and reads back.
     */
    @ParameterizedTest
    @ValueSource(strings = {"cond.pt2", "cond.core.pt2"})
    void torchCondBecomesARunTimeBranch(String file) {
        Graph g = Pt2Loader.load(Fixtures.path(file));
        Node cond = theOnly(g, ControlFlow::isCond);
        assertThat(cond.subgraphs()).hasSize(2);
        assertThat(ControlFlow.operands(cond)).extracting(Value::name).hasSize(3).endsWith("scale", "sub_other");
        assertThat(cond.subgraphs()).allSatisfy(b -> assertThat(b.constants()).isEmpty());
        for (Graph branch : cond.subgraphs()) {
            assertThat(branch.inputs()).extracting(Value::type)
                    .containsExactlyElementsOf(ControlFlow.operands(cond).stream().map(Value::type).toList());
            assertThat(branch.outputs()).hasSize(cond.outputs().size());
        }
        assertThat(cond.subgraphs().get(0).opHistogram()).containsKey("aten::relu");
        assertThat(cond.subgraphs().get(1).opHistogram()).containsKey("aten::sigmoid");
        assertThat(cond.output().type()).isEqualTo(new TensorType(DType.FLOAT32, Shape.of(4, 8)));
        assertTextRoundTrips(g, file);
    }

    /**
     * {@code torch.while_loop} becomes one {@code kiln::loop} without a trip limit whose first condition is
     * {@code cond_fn} on the initial values, before it, and whose body is {@code body_fn} then {@code cond_fn}: it gives
     * (condition, trips, h, one, half) from (trip, trips, h, one, half), the last two the body's numbers, passed through.
     */
    @ParameterizedTest
    @ValueSource(strings = {"whileloop.pt2", "whileloop.core.pt2"})
    void torchWhileLoopBecomesARunTimeLoop(String file) {
        Graph g = Pt2Loader.load(Fixtures.path(file));
        Node loop = theOnly(g, ControlFlow::isLoop);
        assertThat(loop.arg(0)).isEqualTo(Arg.of(Long.MAX_VALUE));
        assertThat(((Value) loop.arg(1)).producer()).hasValueSatisfying(n -> assertThat(g.nodes().indexOf(n))
                .isLessThan(g.nodes().indexOf(loop)));
        Graph body = ControlFlow.body(loop);
        assertThat(body.constants()).isEmpty(); // its numbers (i + 1, h * 0.5) are carried in from the enclosing graph
        assertThat(body.inputs()).hasSize(1 + ControlFlow.carried(loop).size());
        assertThat(body.outputs()).hasSize(body.inputs().size());
        assertThat(body.opHistogram()).containsKeys("aten::mul.Tensor", "aten::abs");
        assertTextRoundTrips(g, file);
    }

    private static Node theOnly(Graph g, Predicate<Node> which) {
        List<Node> found = g.nodes().stream().filter(which).toList();
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    private static void assertTextRoundTrips(Graph g, String file) {
        String text = IrPrinter.print(g);
        assertThat(IrPrinter.print(IrParser.parse(text, file, SchemaRegistry.standard()))).isEqualTo(text);
    }

    /** {@code aten.conv2d.default} -> {@code aten::conv2d}; {@code aten.mean.dim} -> {@code aten::mean.dim}. */
    static String irName(String torchName) {
        String[] p = torchName.split("\\.");
        return p[0] + "::" + p[1] + (p[2].equals("default") ? "" : "." + p[2]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp.pt2", "mlp.v27.pt2", "mlp.v28.pt2"})
    void weightsEqualTheStoredBytes(String file) {
        Graph g = Pt2Loader.load(Fixtures.path(file));
        ConstantTensor w = g.value("fc1.weight").orElseThrow().constant().orElseThrow();
        assertThat(w.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(w.sizes()).containsExactly(32, 16);
        assertThat(w.data().isDirect()).isTrue();
        // the raw storage of the 2.11 archive holds the same bytes in every layout
        try (ZipArchive zip = ZipArchive.open(Fixtures.path("mlp.pt2"), ZipLimits.DEFAULT)) {
            ByteBuffer expected = zip.data(zip.require("mlp/data/weights/weight_0"));
            assertThat(w.data()).isEqualTo(expected);
        }
        assertThat(g.constants()).extracting(Value::name)
                .containsExactly("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias");
        assertThat(g.inputs()).extracting(Value::name).containsExactly("x");
        assertThat(g.inputs().get(0).type().text()).isEqualTo("tensor<f32, [4, 16]>");
    }

    @Test
    void cnnBuffersBecomeConstantsByFqn() {
        Graph g = Pt2Loader.load(Fixtures.path("cnn.core.pt2"));
        ConstantTensor tracked = g.value("bn1.num_batches_tracked").orElseThrow().constant().orElseThrow();
        assertThat(tracked.dtype()).isEqualTo(DType.INT64);
        assertThat(tracked.rank()).isZero();
        assertThat(g.value("bn1.running_var")).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dynbatch.pt2", "dynbatch.core.pt2"})
    void dynamicBatchIsASymbolWithItsRange(String file) {
        Graph g = Pt2Loader.load(Fixtures.path(file));
        assertThat(g.symbols()).containsExactly(new Symbol("s77", 1, 64));
        TensorType x = g.inputs().get(0).tensorType();
        assertThat(x.text()).isEqualTo("tensor<f32, [s77, 3, 8, 8]>");
        assertThat(g.outputs().get(0).tensorType().text()).isEqualTo("tensor<f32, [s77, 6]>");
        // the symbolic size survives as a node feeding the reshape/view
        Node size = g.nodesOf("aten::sym_size.int").get(0);
        assertThat(size.output().users()).hasSize(1);
        assertThat(size.intArg("dim")).isZero();
    }

    @Test
    void omittedArgumentsAreFilledFromTheSchema() {
        Graph g = Pt2Loader.load(Fixtures.path("cnn.pt2"));
        Node conv = g.nodesOf("aten::conv2d").get(0);
        assertThat(conv.args()).hasSize(conv.schema().arguments().size());
        assertThat(conv.intArg("groups")).isEqualTo(1);
        assertThat(conv.intListArg("dilation")).containsExactly(1, 1);
    }

    @Test
    void sourceLocationsPointAtTheUsersLine() {
        Graph g = Pt2Loader.load(Fixtures.path("mlp.pt2"));
        SourceLocation loc = g.nodes().get(0).location().orElseThrow();
        assertThat(loc.file()).endsWith("export_fixtures.py");
        assertThat(loc.line()).isEqualTo(41);
        assertThat(loc.code()).isEqualTo("return self.fc2(F.relu(self.fc1(x)))");
    }
}
