package dev.kiln.ir.text;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.testing.Golden;
import dev.kiln.ir.verify.Verifier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Hand-written IR files parse, verify, and print back byte-identically (also after a deep copy). */
class TextRoundTripTest {

    @ParameterizedTest
    @ValueSource(strings = {"cnn.kir", "literals.kir", "torchscript.kir", "dynbatch.kir"})
    void parsesVerifiesAndPrintsBackIdentically(String file) {
        String text = Golden.read("/dev/kiln/ir/text/" + file);
        Graph g = IrParser.parse(text, file, SchemaRegistry.standard());
        assertThat(Verifier.check(g)).isEmpty();
        Golden.assertMatches(IrPrinter.print(g), "/dev/kiln/ir/text/" + file);
        assertThat(IrPrinter.print(Graphs.copy(g))).isEqualTo(text);
    }
}
