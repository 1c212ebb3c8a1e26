package dev.kiln.passes.shapes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Value;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.kiln.passes.shapes.ShapeTestSupport.canon;
import static dev.kiln.passes.shapes.ShapeTestSupport.infer;
import static dev.kiln.passes.shapes.ShapeTestSupport.typeOf;
import static org.assertj.core.api.Assertions.assertThat;

class CreationSymIntRulesTest {

    @Test
    void arangeLengthAndDtype() {
        assertThat(typeOf("", "aten::arange(10, none, none, none, none)")).isEqualTo("tensor<i64, [10]>");
        assertThat(typeOf("", "aten::arange.start_step(0, 1.0, 0.25, none, none, none, none)")).isEqualTo("tensor<f32, [4]>");
        assertThat(typeOf("", "aten::arange.start_step(1, 10, 3, dtype<f16>, none, none, none)")).isEqualTo("tensor<f16, [3]>");
        assertThat(typeOf("", "aten::arange.start_step(10, 0, -3, none, none, none, none)")).isEqualTo("tensor<i64, [4]>");
        Map<String, String> t = infer("%x: tensor<f32, [s0, 4]>",
                "  %n : int = aten::sym_size.int(%x, 0)\n"
                + "  %a : tensor = aten::arange(%n, none, none, none, none)\n"
                + "  %b : tensor = aten::arange.start_step(1, %n, 2, none, none, none, none)\n"
                + "  return %a\n");
        assertThat(t.get("a")).isEqualTo("tensor<i64, [s0]>");
        assertThat(t.get("b")).isEqualTo(canon("tensor<i64, [s0 // 2]>"));
    }

    @Test
    void fullZerosOnesAndLikes() {
        assertThat(typeOf("", "aten::full([2, 3], 1.5, none, none, none, none)")).isEqualTo("tensor<f32, [2, 3]>");
        assertThat(typeOf("", "aten::full([2], 7, none, none, none, none)")).isEqualTo("tensor<i64, [2]>");
        assertThat(typeOf("", "aten::full([2], true, none, none, none, none)")).isEqualTo("tensor<bool, [2]>");
        assertThat(typeOf("", "aten::zeros([4], none, none, none, none)")).isEqualTo("tensor<f32, [4]>");
        assertThat(typeOf("", "aten::ones([4, 1], dtype<i32>, none, none, none)")).isEqualTo("tensor<i32, [4, 1]>");
        String x = "%x: tensor<f16, [s0, 2]>";
        assertThat(typeOf(x, "aten::full_like(%x, 0.0, none, none, none, none, none)")).isEqualTo("tensor<f16, [s0, 2]>");
        assertThat(typeOf(x, "aten::zeros_like(%x, dtype<bool>, none, none, none, none)")).isEqualTo("tensor<bool, [s0, 2]>");
        assertThat(typeOf(x, "aten::ones_like(%x, none, none, none, none, none)")).isEqualTo("tensor<f16, [s0, 2]>");
        assertThat(typeOf(x, "aten::new_zeros(%x, [3], none, none, none, none)")).isEqualTo("tensor<f16, [3]>");
        assertThat(typeOf("", "aten::scalar_tensor(3, none, none, none, none)")).isEqualTo("tensor<f32, []>");
    }

    @Test
    void symbolicIntsFlowFromSizesThroughArithmetic() {
        Graph g = ShapeTestSupport.parse("%x: tensor<f32, [s0, 6]>",
                "  %n : int = aten::sym_size.int(%x, 0)\n"
                + "  %m : int = aten::sym_size.int(%x, -1)\n"
                + "  %k : int = aten::numel(%x)\n"
                + "  %p : int = aten::mul.int(%n, 2)\n"
                + "  %q : int = aten::floordiv.int(%k, %m)\n"
                + "  %v : tensor = aten::view(%x, [%p, -1])\n"
                + "  return %v\n");
        ShapeInference.Result r = ShapeInference.standard().infer(g, true);
        Map<Value, SymExpr> ints = r.symbolicInts();
        assertThat(ints.get(g.value("n").orElseThrow()).toString()).isEqualTo("s0");
        assertThat(ints.get(g.value("m").orElseThrow())).isEqualTo(SymExpr.of(6));
        assertThat(ints.get(g.value("p").orElseThrow()).evaluate(Map.of("s0", 5L))).isEqualTo(10);
        assertThat(ints.get(g.value("q").orElseThrow()).evaluate(Map.of("s0", 5L))).isEqualTo(5);
        assertThat(g.value("v").orElseThrow().type().text()).isEqualTo(canon("tensor<f32, [2*s0, 3]>"));
        assertThat(r.notes()).isEmpty();
    }

    @Test
    void pythonOperatorSchemasAreTypedToo() {
        // torch.export spells int arithmetic as _operator.* ; a frontend may register such schemas
        dev.kiln.ir.schema.SchemaRegistry reg = new dev.kiln.ir.schema.SchemaRegistry();
        for (dev.kiln.ir.schema.OpSchema s : dev.kiln.ir.schema.SchemaRegistry.standard().all()) {
            reg.register(s);
        }
        reg.register("_operator::add(int a, int b) -> int");
        reg.register("_operator::floordiv(int a, int b) -> int");
        Graph g = dev.kiln.ir.text.IrParser.parse("graph @t(%x: tensor<f32, [s0, 6]>) {\n" + ShapeTestSupport.SYMBOLS
                + "  %n : int = aten::sym_size.int(%x, 0)\n"
                + "  %a : int = _operator::add(%n, 1)\n"
                + "  %h : int = _operator::floordiv(%a, 2)\n"
                + "  %z : tensor = aten::zeros([%h, %n], none, none, none, none)\n"
                + "  return %z\n}\n", "t.kir", reg);
        ShapeInference.standard().infer(g, true);
        assertThat(g.value("z").orElseThrow().type().text()).isEqualTo(canon("tensor<f32, [(s0 + 1) // 2, s0]>"));
    }
}
