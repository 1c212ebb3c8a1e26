package dev.kiln.compiler.hybrid;

import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InputShapesTest {
    static Program program(String... types) {
        List<Program.Slot> slots = new java.util.ArrayList<>();
        List<Integer> ins = new java.util.ArrayList<>();
        for (int i = 0; i < types.length; i++) {
            slots.add(new Program.Slot("in" + i, types[i]));
            ins.add(i);
        }
        return new Program("p", slots, ins, List.of(0), Map.of(), List.of());
    }

    @Test
    void readsStaticSizesSymbolsAndExpressions() {
        InputShapes.Declared d = InputShapes.parse("tensor<f32, [s0, 3, max(s1, 2), 2*s0]>").orElseThrow();
        assertThat(d.sizes()).containsExactly(-1, 3, -1, -1);
        assertThat(d.symbols()).containsExactly("s0", null, null, null);
        assertThat(InputShapes.parse("tensor<i64, []>").orElseThrow().sizes()).isEmpty();
        assertThat(InputShapes.parse("tensor<f32>")).isEmpty();
        assertThat(InputShapes.parse("list<int>")).isEmpty();
        // not a type this Kiln reads: nothing to check, no error
        assertThat(InputShapes.parse("tensor<f32, [s0 +]>")).isEmpty();
    }

    @Test
    void aWrongRankOrStaticSizeNamesTheInputAndTheDimension() {
        InputShapes s = InputShapes.of(program("tensor<f32, [s0, 3, 16, 16]>"));
        assertThatCode(() -> s.check(List.of(new long[] {5, 3, 16, 16}))).doesNotThrowAnyException();
        assertThatThrownBy(() -> s.check(List.of(new long[] {5, 3, 16}))).isInstanceOf(KilnException.class)
                .hasMessageContaining("input x0 (%in0)").hasMessageContaining("rank 3").hasMessageContaining("rank 4");
        assertThatThrownBy(() -> s.check(List.of(new long[] {5, 3, 17, 16}))).isInstanceOf(KilnException.class)
                .hasMessageContaining("[5, 3, 17, 16]").hasMessageContaining("dimension 2 must be 16");
    }

    @Test
    void aSymbolicSizeMustLieInItsDeclaredRange() {
        Program p = new Program("p", List.of(new Program.Slot("x", "tensor<f32, [s0, 4]>")), List.of(0), List.of(0), Map.of(), List.of(),
                Map.of("s0", new Program.SymbolRange(2, 64)));
        InputShapes s = InputShapes.of(p);
        assertThatCode(() -> s.check(List.of(new long[] {64, 4}))).doesNotThrowAnyException();
        assertThatThrownBy(() -> s.check(List.of(new long[] {65, 4}))).isInstanceOf(KilnException.class)
                .hasMessageContaining("input x0 (%x) has 65 at dimension 0").hasMessageContaining("s0 in [2, 64]");
        assertThatThrownBy(() -> s.check(List.of(new long[] {1, 4}))).isInstanceOf(KilnException.class)
                .hasMessageContaining("s0 in [2, 64]");
        // no declared range: any size
        assertThatCode(() -> InputShapes.of(program("tensor<f32, [s0, 4]>")).check(List.of(new long[] {1000, 4})))
                .doesNotThrowAnyException();
    }

    @Test
    void inputsSharingASymbolMustAgreeOnIt() {
        InputShapes s = InputShapes.of(program("tensor<f32, [s0, 4]>", "tensor<i64, [s0]>", "tensor<f32>"));
        assertThatCode(() -> s.check(List.of(new long[] {7, 4}, new long[] {7}, new long[] {1, 2, 3}))).doesNotThrowAnyException();
        assertThatThrownBy(() -> s.check(List.of(new long[] {7, 4}, new long[] {6}, new long[] {1})))
                .isInstanceOf(KilnException.class).hasMessageContaining("input x1 (%in1) has 6 at dimension 0")
                .hasMessageContaining("input x0 (%in0) gave s0 = 7");
    }

    @Test
    void sizesTheModelDerivesFromItsSymbolsMustAgree() {
        // x0 binds s0; x1's first dimension is 2*s0 and its second max(s0, 3)
        InputShapes s = InputShapes.of(program("tensor<f32, [s0, 4]>", "tensor<f32, [2*s0, max(s0, 3)]>"));
        assertThatCode(() -> s.check(List.of(new long[] {5, 4}, new long[] {10, 5}))).doesNotThrowAnyException();
        assertThatCode(() -> s.check(List.of(new long[] {2, 4}, new long[] {4, 3}))).doesNotThrowAnyException();
        assertThatThrownBy(() -> s.check(List.of(new long[] {5, 4}, new long[] {9, 5}))).isInstanceOf(KilnException.class)
                .hasMessageContaining("input x1 (%in1) has sizes [9, 5]").hasMessageContaining("dimension 0 must be 2*s0 = 10")
                .hasMessageContaining("s0 = 5 (from input x0 (%in0))");
        // a derived size whose symbols no input binds is left to the stages
        assertThatCode(() -> InputShapes.of(program("tensor<f32, [s1 + 1]>")).check(List.of(new long[] {7})))
                .doesNotThrowAnyException();
    }
}
