package dev.kiln.ir;

import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ControlFlowTest {
    private static Node loop(String cond0, String condOut) {
        Graph g = IrParser.parse("""
                graph @g(%x: tensor<f32, [4]>, %n: int, %p: tensor<bool, []>) {
                  const %t : tensor<bool, []> = dense<"0x01">
                  %h : tensor<f32, [4]>, %tc : tensor<bool, []>, %rows : tensor<f32> = kiln::loop(%n, COND0, [%x, %t]) {
                    graph @body(%i: int, %a: tensor<f32, [4]>, %c: tensor<bool, []>) {
                      %b : tensor<f32, [4]> = aten::mul.Scalar(%a, 2.0)
                      %k : tensor<bool, []> = aten::gt.Scalar(%b, 1.0)
                      return COND, %b, %c, %b
                    }
                  }
                  return %h, %rows
                }
                """.replace("COND0", cond0).replace("COND", condOut), "loop.kir", SchemaRegistry.standard());
        return g.nodesOf(ControlFlow.LOOP).get(0);
    }

    @Test
    void aForLoopRunsEveryTripAndAWhileLoopDoesNot() {
        // the condition: a carried constant true passed through (what the TorchScript frontend gives a for loop)
        assertThat(ControlFlow.runsEveryTrip(loop("true", "%c"))).isTrue();
        assertThat(ControlFlow.scans(loop("true", "%c"))).isEqualTo(1);
        // computed by the body, or starting from a run-time value: read every trip
        assertThat(ControlFlow.runsEveryTrip(loop("true", "%k"))).isFalse();
        assertThat(ControlFlow.runsEveryTrip(loop("%p", "%c"))).isFalse();
        assertThat(ControlFlow.runsEveryTrip(loop("false", "%c"))).isFalse();
    }
}
