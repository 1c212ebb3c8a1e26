package dev.kiln.ir.text;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.testing.RandomGraphs;
import dev.kiln.ir.verify.Verifier;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

/** Random valid graphs: print -> parse -> print is identical, and the parsed graph (and a copy) verifies. */
class TextRoundTripPropertyTest {

    @Property(tries = 250)
    void printParsePrintIsIdentical(@ForAll("graphs") Graph g) {
        assertThat(Verifier.check(g)).as("the generator makes valid graphs").isEmpty();
        String text = IrPrinter.print(g);
        Graph parsed = IrParser.parse(text, "random.kir", SchemaRegistry.standard());
        assertThat(IrPrinter.print(parsed)).isEqualTo(text);
        assertThat(Verifier.check(parsed)).isEmpty();
        Graph copy = Graphs.copy(parsed);
        assertThat(IrPrinter.print(copy)).isEqualTo(text);
    }

    @Provide
    Arbitrary<Graph> graphs() {
        return RandomGraphs.graphs();
    }
}
