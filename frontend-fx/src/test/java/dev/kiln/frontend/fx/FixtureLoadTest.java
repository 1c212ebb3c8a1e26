package dev.kiln.frontend.fx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class FixtureLoadTest {
    @ParameterizedTest
    @ValueSource(strings = {"mlp.pt2", "mlp.core.pt2", "cnn.pt2", "cnn.core.pt2", "encoder.pt2", "encoder.core.pt2",
            "dynbatch.pt2", "dynbatch.core.pt2", "mlp.v27.pt2", "mlp.v28.pt2"})
    void loads(String file) {
        Graph g = Pt2Loader.load(Fixtures.path(file));
        System.out.println("== " + file + " " + g.attributes());
        for (Node n : g.nodes()) {
            System.out.println(n.describe() + " " + n.args() + " -> " + n.outputs().stream().map(v -> v + ":" + v.type().text()).toList());
        }
        assertThat(g.nodes()).isNotEmpty();
    }
}
