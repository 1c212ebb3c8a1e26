package dev.kiln.frontend.fx.serde;

import dev.kiln.ir.KilnException;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SymExprParserTest {
    private static final Map<String, Symbol> SYMS = Map.of("s77", new Symbol("s77", 1, 64), "s0", new Symbol("s0", 2, 8));

    private static SymExpr parse(String s) {
        return SymExprParser.parse(s, SYMS::get);
    }

    @Test
    void sreprForms() {
        Symbol s = SYMS.get("s77");
        assertThat(parse("Symbol('s77', positive=True, integer=True)")).isEqualTo(SymExpr.of(s));
        assertThat(parse("Mul(Integer(2), Symbol('s77', positive=True, integer=True))"))
                .isEqualTo(SymExpr.mul(SymExpr.of(2), SymExpr.of(s)));
        assertThat(parse("Add(Symbol('s77'), Integer(-1))").evaluate(Map.of("s77", 5L))).isEqualTo(4);
        assertThat(parse("FloorDiv(Add(Symbol('s77'), Integer(1)), Integer(2))").evaluate(Map.of("s77", 6L))).isEqualTo(3);
        assertThat(parse("Max(Integer(1), Symbol('s0'))").evaluate(Map.of("s0", 3L))).isEqualTo(3);
        assertThat(parse("Pow(Symbol('s0'), Integer(2))").evaluate(Map.of("s0", 3L))).isEqualTo(9);
        assertThat(parse("Mul(Symbol('s0'), Symbol('s77'))").evaluate(Map.of("s0", 3L, "s77", 5L))).isEqualTo(15);
        assertThat(parse("PythonMod(Symbol('s0'), Integer(4))").evaluate(Map.of("s0", 7L))).isEqualTo(3);
    }

    @Test
    void infixForms() {
        assertThat(parse("s77").toString()).isEqualTo("s77");
        assertThat(parse("2*s77 + 1").evaluate(Map.of("s77", 4L))).isEqualTo(9);
        assertThat(parse("-s0 + (s77//2)").evaluate(Map.of("s0", 3L, "s77", 9L))).isEqualTo(1);
    }

    @Test
    void refusals() {
        assertThatThrownBy(() -> parse("Rational(1, 2)")).isInstanceOf(KilnException.class)
                .hasMessageContaining("the function Rational is not supported");
        assertThatThrownBy(() -> parse("s77 / 2")).hasMessageContaining("true division");
        assertThatThrownBy(() -> parse("Symbol('nope')")).hasMessageContaining("unknown symbol nope");
        assertThatThrownBy(() -> parse("Mul(Integer(2)")).hasMessageContaining("expected ')'");
        assertThatThrownBy(() -> parse("-".repeat(100_000) + "1")).hasMessageContaining("nested deeper");
        assertThatThrownBy(() -> parse("Integer(99999999999999999999)")).hasMessageContaining("at most 18 digits");
    }
}
