package dev.kiln.ir;

import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GraphsTest {
    @Test
    void copyIsDeepAndSharesConstantData() {
        Graph g = IrParser.parse("""
                graph @g(%x: tensor<f32, [s0, 2]>) {
                  symbol s0 in [1, 8]
                  attribute source = "m.pt2"
                  const %w : tensor<f32, [2, 2]> = dense<"0x0000803F000000000000000000000000">
                  %linear : tensor<f32, [s0, 2]> = aten::linear(%x, %w, none) name("fc") loc("m.py":4, "y = self.fc(x)")
                  %relu : tensor<f32, [s0, 2]> = aten::relu(%linear)
                  return %relu, %linear
                }
                """, "g.kir", SchemaRegistry.standard());
        String before = IrPrinter.print(g);
        Graph c = Graphs.copy(g);
        assertThat(IrPrinter.print(c)).isEqualTo(before);
        assertThat(c.value("w").orElseThrow().constant().orElseThrow())
                .isSameAs(g.value("w").orElseThrow().constant().orElseThrow());
        // mutating the copy leaves the original alone
        Node relu = c.nodes().get(1);
        c.setOutputs(List.of(c.value("linear").orElseThrow()));
        c.remove(relu);
        c.attributes().put("pass", "x");
        c.nodes().get(0).setName("other");
        c.value("x").orElseThrow().setType(TensorType.unknown());
        assertThat(IrPrinter.print(g)).isEqualTo(before);
        assertThat(g.nodes()).hasSize(2);
        assertThat(c.nodes().get(0).inputs()).allMatch(v -> v.graph() == c);
    }
}
