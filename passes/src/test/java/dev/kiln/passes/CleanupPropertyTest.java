package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.testing.RandomGraphs;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.ir.verify.Verifier;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On random valid graphs, the clean-up passes keep the graph valid (the manager verifies after each
 * pass), keep the outputs' count, and reach a fixed point: running them again changes nothing.
 */
class CleanupPropertyTest {

    @Property(tries = 60)
    void cleanupKeepsGraphsValidAndIsIdempotent(@ForAll("graphs") Graph g) {
        int outputs = g.outputs().size();
        PassManager pm = PassManager.builder().sink(s -> { }).build();
        pm.run(g, Pipelines.CLEANUP, PassContext.defaults());
        Verifier.verify(g);
        assertThat(g.outputs()).hasSize(outputs);
        String once = IrPrinter.print(g);
        PassReport again = pm.run(g, Pipelines.CLEANUP, PassContext.defaults());
        assertThat(again.changed()).isFalse();
        assertThat(IrPrinter.print(g)).isEqualTo(once);
    }

    @Provide
    Arbitrary<Graph> graphs() {
        return RandomGraphs.graphs();
    }
}
