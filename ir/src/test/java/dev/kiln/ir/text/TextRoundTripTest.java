package dev.kiln.ir.text;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.verify.Verifier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Hand-written IR files parse, verify, and print back byte-identically (also after a deep copy). */
class TextRoundTripTest {

    static String resource(String name) {
        try (InputStream in = TextRoundTripTest.class.getResourceAsStream("/dev/kiln/ir/text/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn.kir", "literals.kir"})
    void parsesVerifiesAndPrintsBackIdentically(String file) {
        String text = resource(file);
        Graph g = IrParser.parse(text, file, SchemaRegistry.standard());
        assertThat(Verifier.check(g)).isEmpty();
        assertThat(IrPrinter.print(g)).isEqualTo(text);
        assertThat(IrPrinter.print(Graphs.copy(g))).isEqualTo(text);
    }
}
