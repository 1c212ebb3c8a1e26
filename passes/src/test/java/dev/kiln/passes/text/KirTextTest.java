package dev.kiln.passes.text;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KirTextTest {
    static final String TEXT = """
            graph main {
              attr source = "m.py"
              symbol s0 in [1, 64]
              input %x : tensor<f32, [s0, 4]>
              const %w : tensor<f32, [3, 4]> = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.5]
              const %b : tensor<f32, [3]> = [0.5, -0.25, 1.0E-5]
              %lin : tensor<f32, [s0, 3]> = aten::linear(%x, %w, %b) loc("m.py":7)
              %r : tensor<f32, [s0, 3]> = aten::relu(%lin)
              %v : tensor<f32, [3, s0]> = aten::reshape(%r, [3, -1])
              %m : tensor<f32, [3]>, %i : tensor<i64, [3]> = aten::max.dim(%v, 1, false)
              %t : tensor<f16, [s0, 3]> = aten::_to_copy(%r, f16, none, none, none, false, channels_last)
              return %m, %i, %t
            }
            """;

    @Test
    void printsWhatItParses() {
        Graph g = KirText.parse(TEXT);
        assertThat(g.nodes()).hasSize(5);
        assertThat(g.nodes().get(0).location()).isPresent();
        assertThat(KirText.print(g)).isEqualTo(TEXT);
        assertThat(KirText.print(KirText.parse(KirText.print(g)))).isEqualTo(TEXT);
    }

    @Test
    void errorsNameTheLineAndTheProblem() {
        assertThatThrownBy(() -> KirText.parse("graph g {\n  input %x : tensor<f32, [2]>\n  %y : tensor = aten::relu(%z)\n  return %y\n}\n"))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("line 3")
                .hasMessageContaining("%z is used before it is defined");
        assertThatThrownBy(() -> KirText.parse("graph g {\n  input %x : tensor\n  %y : tensor = aten::no_such_op(%x)\n  return %y\n}\n"))
                .hasMessageContaining("no operator aten::no_such_op");
    }
}
