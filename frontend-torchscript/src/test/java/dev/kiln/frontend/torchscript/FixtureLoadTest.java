package dev.kiln.frontend.torchscript;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.npy.Npz;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.ir.verify.Verifier;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every committed TorchScript fixture loads, verifies, round-trips through IR text and matches eager outputs. */
class FixtureLoadTest {
    private static final String[] FIXTURES = {"mlp.traced.pt", "mlp.scripted.pt", "cnn.traced.pt", "cnn.scripted.pt",
        "encoder.traced.pt", "encoder.scripted.pt", "dynbatch.traced.pt", "dynbatch.scripted.pt", "dictout.traced.pt",
        "dictout.scripted.pt"};

    @TempDir
    static Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mlp.traced.pt", "mlp.scripted.pt", "cnn.traced.pt", "cnn.scripted.pt",
        "encoder.traced.pt", "encoder.scripted.pt", "dynbatch.traced.pt", "dynbatch.scripted.pt", "dictout.traced.pt",
        "dictout.scripted.pt"})
    void loadsVerifiesRoundTripsAndMatchesEager(String file) {
        String model = file.substring(0, file.indexOf('.'));
        Path npz = Fixtures.path(model + ".npz", dir);
        List<TensorType> specs = InputSpecs.fromNpz(npz);
        Graph g = TorchScriptFrontend.load(Fixtures.path(file, dir), TorchScriptOptions.defaults().withInputTypes(specs));

        Verifier.verify(g);
        assertThat(g.inputs()).extracting(Value::type).containsExactlyElementsOf(specs);
        assertThat(g.attributes()).containsEntry("frontend", "torchscript").containsEntry("source", file);
        assertThat(g.nodes()).allSatisfy(n -> assertThat(n.location()).as(n.describe()).isPresent());
        String text = IrPrinter.print(g);
        assertThat(IrPrinter.print(IrParser.parse(text, file, SchemaRegistry.standard()))).isEqualTo(text);

        Map<String, ConstantTensor> io = Npz.read(npz);
        List<ConstantTensor> outs = Eval.run(g, List.of(io.get("x0")));
        assertThat(outs).hasSize(g.outputs().size());
        for (int k = 0; k < outs.size(); k++) {
            ConstantTensor y = io.get("y" + k);
            ConstantTensor got = outs.get(k);
            assertThat(got.sizes()).containsExactly(y.sizes());
            for (long i = 0; i < y.numel(); i++) {
                assertThat(got.getDouble(i)).isCloseTo(y.getDouble(i), Offset.offset(1e-5));
            }
        }
        if (model.equals("dictout")) { // a returned dict's values are named after its keys, in its order
            assertThat(g.outputs()).extracting(Value::name).containsExactly("logits", "hidden", "score");
        }
    }

    @Test
    void withoutInputTypesEveryFixtureStillLoadsWithUnknownTensors() {
        for (String file : FIXTURES) {
            Graph g = TorchScriptFrontend.load(Fixtures.path(file, dir));
            Verifier.verify(g);
            assertThat(g.inputs()).extracting(Value::type).containsOnly(TensorType.unknown());
        }
    }

    /** The IR of one fixture as text, next to this test; {@code -Dkiln.golden.update=true} rewrites it. */
    @Test
    void goldenText() throws IOException {
        Graph g = TorchScriptFrontend.load(Fixtures.path("encoder.scripted.pt", dir),
                TorchScriptOptions.defaults().withInputTypes(InputSpecs.fromNpz(Fixtures.path("encoder.npz", dir))));
        String text = IrPrinter.print(g, IrPrinter.Options.elidingOver(0));
        Path golden = Path.of("src/test/resources/dev/kiln/frontend/torchscript/encoder.scripted.kir");
        if (Boolean.getBoolean("kiln.golden.update")) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, text, StandardCharsets.UTF_8);
        }
        assertThat(text).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    }
}
