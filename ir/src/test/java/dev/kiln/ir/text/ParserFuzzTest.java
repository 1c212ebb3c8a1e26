package dev.kiln.ir.text;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.testing.RandomGraphs;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Damaged text either parses or fails with a KilnException that gives a position; nothing else escapes. */
class ParserFuzzTest {
    private static final String[] JUNK = {"", "(", ")", "[", "]", "<", ">", ",", "%", "@", "\"", "\\", "-", "::", "//", "#",
            "1", "-9223372036854775809", "99999999999999999999", "1e400", "inf", "nan", "none", "tensor", "%x", " ", "\n",
            "symbol", "const", "return", "graph", "dense<", "0x", "é", "\u0000", "{", "}"};

    @Property(tries = 200)
    void damagedTextFailsOnlyWithKilnExceptions(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int edits) {
        Random r = new Random(seed);
        Graph g = RandomGraphs.generate(r, SchemaRegistry.standard());
        StringBuilder text = new StringBuilder(IrPrinter.print(g));
        for (int i = 0; i < edits; i++) {
            int at = r.nextInt(text.length() + 1);
            int len = r.nextInt(3) == 0 ? Math.min(text.length() - at, r.nextInt(8)) : 0;
            text.replace(at, at + len, JUNK[r.nextInt(JUNK.length)]);
        }
        try {
            Graph parsed = IrParser.parse(text.toString(), "fuzz.kir", SchemaRegistry.standard());
            // what parses must print back to text that parses to the same print
            String printed = IrPrinter.print(parsed);
            assertThat(IrPrinter.print(IrParser.parse(printed, "again.kir", SchemaRegistry.standard()))).isEqualTo(printed);
        } catch (KilnException e) {
            assertThat(e.getMessage()).matches("(?s)fuzz\\.kir:\\d+:\\d+: .*");
        }
    }
}
