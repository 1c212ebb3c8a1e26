package dev.kiln.ir.text;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.verify.Verifier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IrParserTest {
    private static final SchemaRegistry REG = SchemaRegistry.standard();

    private static Graph parse(String text) {
        return IrParser.parse(text, "t.kir", REG);
    }

    private static void fails(String text, String... fragments) {
        assertThatThrownBy(() -> parse(text)).isInstanceOf(KilnException.class).satisfies(e -> {
            for (String f : fragments) {
                assertThat(e.getMessage()).contains(f);
            }
        });
    }

    @Test
    void errorsGiveLineColumnAndWhatWasExpected() {
        fails("graph @g(%x: tensor<f32, [2]>) {\n  %r : tensor<f32, [2]> = aten::relu(%x\n  return %r\n}\n",
                "t.kir:3:3: expected ')' but found 'return'");
        fails("graph @g() {\n  return %nope\n}\n", "t.kir:2:10:", "%nope is not defined");
        fails("graph @g(%x: tensor<f32, [s9]>) {\n  return %x\n}\n", "t.kir:1:27:", "symbol s9 is not declared");
        fails("graph @g(%x: tensor<f32, [2]>) {\n  %r : tensor<f32, [2]> = aten::relu.nope(%x)\n  return %r\n}\n",
                "t.kir:2:27:", "unknown operator aten::relu.nope");
        fails("graph @g(%x: tensor<f32, [2]>) {\n  %r : tensor<f32, [2]> = aten::add.Tensor(%x, %x)\n  return %r\n}\n",
                "t.kir:2:27:", "takes 3 arguments (self, other, alpha) but 2 are given");
        fails("graph @g(%x: tensor<f32, [2]>) {\n  %x : tensor<f32, [2]> = aten::relu(%x)\n  return %x\n}\n",
                "t.kir:2:3:", "%x is defined twice");
        fails("graph @g(%\"a b\": tensor<f32, [2]>) {\n  return\n}\n", "t.kir:1:10:", "not allowed");
        fails("graph @g(%x: tensor<f33, [2]>) {\n  return\n}\n", "t.kir:1:21:", "unknown dtype 'f33'");
        fails("graph @g() {\n  const %c : tensor<f32, [2]> = dense<\"0x0000\">\n  return\n}\n", "t.kir:2:39:", "needs \"0x\" and 16 hex digits");
        fails("graph @g() {\n  symbol s0 in [5, 1]\n  return\n}\n", "t.kir:2:3:", "empty range");
        fails("graph @g(%x: tensor<f32, [2]> junk) {\n  return\n}\n", "t.kir:1:31: expected ',' or ')' after the type of input %x but found 'junk'");
        fails("graph @g() {\n  return\n}\n junk", "t.kir:4:2: expected the end of the text");
        fails("graph @g() {\n  \"unterminated\n}", "t.kir:2:3: unterminated string");
        fails("graph @g(%x: int) {\n  %r : int = aten::sym_size.int(%x, 99999999999999999999)\n  return\n}\n", "does not fit in 64 bits");
    }

    @Test
    void parsesFilesAndNamesThemInErrors(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path f = tmp.resolve("m.kir");
        String text = IrPrinter.print(dev.kiln.ir.testing.RandomGraphs.generate(7));
        java.nio.file.Files.writeString(f, text);
        assertThat(IrPrinter.print(IrParser.parse(f, REG, IrParser.Options.strict()))).isEqualTo(text);
        java.nio.file.Files.writeString(f, "graph @g( {");
        assertThatThrownBy(() -> IrParser.parse(f, REG, IrParser.Options.strict())).isInstanceOf(KilnException.class)
                .hasMessageStartingWith(f + ":1:11: expected an input such as %x but found '{'");
        assertThatThrownBy(() -> IrParser.parse(tmp.resolve("missing.kir"), REG, IrParser.Options.strict()))
                .isInstanceOf(KilnException.class).hasMessageContaining("missing.kir: cannot read the IR text");
    }

    @Test
    void elidedConstantsParseOnlyWhenAskedAndThenHoldZeros() {
        Graph g = new Graph("g");
        g.setOutputs(List.of(g.addConstant("big", ConstantTensor.ofFloats(new long[] {4, 4}, new float[16])),
                g.addConstant("small", ConstantTensor.ofFloats(new long[] {1}, 2.5f))));
        g.value("big").orElseThrow();
        Graph filled = new Graph("g");
        float[] data = new float[16];
        java.util.Arrays.fill(data, 7f);
        filled.setOutputs(List.of(filled.addConstant("big", ConstantTensor.ofFloats(new long[] {4, 4}, data)),
                filled.addConstant("small", ConstantTensor.ofFloats(new long[] {1}, 2.5f))));
        String shown = IrPrinter.print(filled, IrPrinter.Options.elidingOver(16));
        assertThat(shown).contains("const %big : tensor<f32, [4, 4]> = dense<elided>")
                .contains("const %small : tensor<f32, [1]> = dense<\"0x00002040\">");
        assertThatThrownBy(() -> IrParser.parse(shown, "shown.kir", REG)).isInstanceOf(KilnException.class)
                .hasMessageContaining("shown.kir:2:44:").hasMessageContaining("%big has elided data").hasMessageContaining("acceptingElided");
        Graph back = IrParser.parse(shown, "shown.kir", REG, IrParser.Options.acceptingElided());
        assertThat(back.value("big").orElseThrow().constant().orElseThrow().contentEquals(
                g.value("big").orElseThrow().constant().orElseThrow())).isTrue();
        assertThat(back.value("small").orElseThrow().constant().orElseThrow().getDouble(0)).isEqualTo(2.5);
    }

    @Test
    void nestedGraphsOfHigherOrderOpsRoundTrip() {
        SchemaRegistry reg = new SchemaRegistry();
        REG.all().forEach(reg::register);
        reg.register("higher_order::cond(Tensor pred, Tensor x) -> Tensor");
        String text = """
                graph @main(%p: tensor<bool, []>, %x: tensor<f32, [s0]>) {
                  symbol s0 in [1, 8]
                  %cond : tensor<f32, [s0]> = higher_order::cond(%p, %x) loc("m.py":3) {
                    graph @true_branch(%a: tensor<f32, [s0]>) {
                      symbol s0 in [1, 8]
                      %relu : tensor<f32, [s0]> = aten::relu(%a)
                      return %relu
                    }
                    graph @false_branch(%a: tensor<f32, [s0]>) {
                      symbol s0 in [1, 8]
                      return %a
                    }
                  }
                  return %cond
                }
                """;
        Graph g = IrParser.parse(text, "hop.kir", reg);
        Node cond = g.nodes().get(0);
        assertThat(cond.subgraphs()).extracting(Graph::name).containsExactly("true_branch", "false_branch");
        assertThat(cond.subgraphs().get(0).nodes()).hasSize(1);
        assertThat(IrPrinter.print(g)).isEqualTo(text);
        assertThat(Verifier.check(g)).isEmpty();
    }

    @Test
    void commentsAndFreeOrderAreAccepted() {
        Graph g = parse("""
                # a comment
                graph @g(%x: tensor<f32, [2]>) {   # trailing comment
                  %r : tensor<f32, [2]> = aten::relu(%x)
                  const %c : tensor<f32, [1]> = dense<"0x0000803f">
                  attribute a = "b"
                  %s : tensor<f32, [2]> = aten::add.Tensor(%r, %c, 1)
                  return %s
                }
                """);
        assertThat(IrPrinter.print(g)).isEqualTo("""
                graph @g(%x: tensor<f32, [2]>) {
                  attribute a = "b"
                  const %c : tensor<f32, [1]> = dense<"0x0000803F">
                  %r : tensor<f32, [2]> = aten::relu(%x)
                  %s : tensor<f32, [2]> = aten::add.Tensor(%r, %c, 1)
                  return %s
                }
                """);
    }

    @Test
    void floatsStayDistinguishableFromIntsAndBitExact() {
        for (double d : new double[] {1.0, -0.0, 0.0, 1e-5, 1e22, 123456789.0, Double.MIN_VALUE, -Double.MAX_VALUE, 0.1 + 0.2}) {
            String t = IrPrinter.floatText(d);
            assertThat(t).as(t).containsAnyOf(".", "e");
            assertThat(Double.doubleToRawLongBits(Double.parseDouble(t))).isEqualTo(Double.doubleToRawLongBits(d));
        }
        assertThat(IrPrinter.floatText(Double.NaN)).isEqualTo("nan");
        assertThat(IrPrinter.floatText(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
    }

    @Test
    void parsesStandaloneTypes() {
        Graph scope = new Graph("s");
        Symbol s0 = scope.declare(new Symbol("s0", 1, 64));
        assertThat(IrParser.parseType("tensor<f32, [s0 - 1, 3]>", scope)).isEqualTo(
                new TensorType(DType.FLOAT32, Shape.of(SymExpr.sub(SymExpr.of(s0), SymExpr.of(1)), SymExpr.of(3))));
        assertThat(IrParser.parseType("optional<list<tensor<?, [s0]>>>", scope).text()).isEqualTo("optional<list<tensor<?, [s0]>>>");
        assertThat(IrParser.parseType("tensor<?, *>", scope)).isEqualTo(TensorType.unknown());
        assertThat(IrParser.parseType("tensor<i64, *>", scope).text()).isEqualTo("tensor<i64, *>");
        assertThat(IrParser.parseType("tensor", scope)).isEqualTo(TensorType.unknown());
        // the dtype alone: unranked
        assertThat(IrParser.parseType("tensor<f32>", scope).text()).isEqualTo("tensor<f32, *>");
        // an undeclared symbol is an error, unless the caller asks for it to be declared (unbounded) in the scope
        assertThatThrownBy(() -> IrParser.parseType("tensor<f32, [n, 2]>", scope)).hasMessageContaining("symbol n is not declared");
        assertThat(IrParser.parseTypeDeclaringSymbols("tensor<f32, [2*n, s0]>", scope).text()).isEqualTo("tensor<f32, [2*n, s0]>");
        assertThat(scope.symbol("n")).contains(new Symbol("n", 0, Symbol.UNBOUNDED));
        assertThat(scope.symbol("s0")).contains(s0);
    }

    /** Size expressions print with SymExpr.toString and parse back to equal SymExprs. */
    @Property(tries = 300)
    void sizeExpressionsRoundTrip(@ForAll("exprs") SymExpr e) {
        Graph scope = new Graph("s");
        for (Symbol s : SYMS) {
            scope.declare(s);
        }
        TensorType t = new TensorType(DType.FLOAT32, Shape.of(e));
        assertThat(IrParser.parseType(t.text(), scope)).isEqualTo(t);
    }

    private static final List<Symbol> SYMS = List.of(new Symbol("s0", 1, 64), new Symbol("s1", 0, Symbol.UNBOUNDED),
            new Symbol("s2", -3, 3));

    @Provide
    Arbitrary<SymExpr> exprs() {
        return Arbitraries.randomValue(r -> expr(r, 4));
    }

    private static SymExpr expr(Random r, int depth) {
        if (depth == 0 || r.nextInt(4) == 0) {
            return r.nextBoolean() ? SymExpr.of(r.nextInt(21) - 10) : SymExpr.of(SYMS.get(r.nextInt(SYMS.size())));
        }
        SymExpr a = expr(r, depth - 1);
        SymExpr b = expr(r, depth - 1);
        SymExpr d = r.nextBoolean() ? SymExpr.of(SYMS.get(0)) : SymExpr.of(r.nextBoolean() ? 1 + r.nextInt(5) : -1 - r.nextInt(5));
        switch (r.nextInt(7)) {
            case 0: return SymExpr.add(a, b);
            case 1: return SymExpr.sub(a, b);
            case 2: return SymExpr.mul(a, b);
            case 3: return SymExpr.floorDiv(a, d);
            case 4: return SymExpr.mod(a, d);
            case 5: return SymExpr.max(a, b);
            default: return SymExpr.min(a, b);
        }
    }
}
