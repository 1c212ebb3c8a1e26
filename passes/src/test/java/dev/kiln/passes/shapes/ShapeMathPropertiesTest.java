package dev.kiln.passes.shapes;

import dev.kiln.ir.DType;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Properties of the size arithmetic: rewriting never changes a size's value, and symbolic formulas agree with static ones. */
class ShapeMathPropertiesTest {
    static final Symbol A = new Symbol("a", 1, 64);
    static final Symbol B = new Symbol("b", 2, 1000);

    @Provide
    Arbitrary<SymExpr> exprs() {
        return Arbitraries.recursive(
                () -> Arbitraries.oneOf(Arbitraries.longs().between(-5, 9).map(SymExpr::of),
                        Arbitraries.of(SymExpr.of(A), SymExpr.of(B))),
                inner -> Arbitraries.oneOf(
                        inner.tuple2().map(t -> SymExpr.add(t.get1(), t.get2())),
                        inner.tuple2().map(t -> SymExpr.sub(t.get1(), t.get2())),
                        inner.tuple2().map(t -> SymExpr.mul(t.get1(), t.get2())),
                        inner.map(x -> SymExpr.floorDiv(x, SymExpr.of(3))),
                        inner.map(x -> SymExpr.mod(x, SymExpr.of(4))),
                        inner.tuple2().map(t -> SymExpr.max(t.get1(), t.get2()))),
                0, 4);
    }

    @Property(tries = 300)
    void simplifyKeepsTheValue(@ForAll("exprs") SymExpr e, @ForAll @LongRange(min = 1, max = 64) long a,
                               @ForAll @LongRange(min = 2, max = 1000) long b) {
        Map<String, Long> binding = Map.of("a", a, "b", b);
        assertThat(ShapeMath.simplify(e).evaluate(binding)).as("%s", e).isEqualTo(e.evaluate(binding));
    }

    @Property(tries = 200)
    void exactDivIsDivisionForMultiples(@ForAll("exprs") SymExpr e, @ForAll @IntRange(min = 1, max = 6) int k,
                                        @ForAll @LongRange(min = 1, max = 64) long a) {
        SymExpr multiple = SymExpr.mul(SymExpr.mul(e, SymExpr.of(k)), SymExpr.of(A));
        Map<String, Long> binding = Map.of("a", a, "b", 7L);
        assertThat(ShapeMath.exactDiv(multiple, SymExpr.mul(SymExpr.of(k), SymExpr.of(A))).evaluate(binding))
                .isEqualTo(e.evaluate(binding));
    }

    @Property(tries = 200)
    void symbolicConvolutionAgreesWithStatic(@ForAll @LongRange(min = 1, max = 64) long h, @ForAll @IntRange(min = 1, max = 7) int k,
                                             @ForAll @IntRange(min = 1, max = 4) int s, @ForAll @IntRange(min = 0, max = 3) int p,
                                             @ForAll @IntRange(min = 1, max = 3) int d) {
        SymExpr sym = ShapeMath.simplify(ShapeMath.convOutput(SymExpr.of(A), SymExpr.of(k), s, p, d));
        SymExpr fixed = ShapeMath.convOutput(SymExpr.of(h), SymExpr.of(k), s, p, d);
        assertThat(sym.evaluate(Map.of("a", h))).isEqualTo(((SymExpr.Const) fixed).value())
                .isEqualTo(Math.floorDiv(h + 2L * p - (long) d * (k - 1) - 1, s) + 1);
        SymExpr tsym = ShapeMath.simplify(ShapeMath.convTransposeOutput(SymExpr.of(A), SymExpr.of(k), s, p, d, 0));
        assertThat(tsym.evaluate(Map.of("a", h))).isEqualTo((h - 1) * s - 2L * p + (long) d * (k - 1) + 1);
    }

    @Property(tries = 200)
    void promotionIsCommutativeAndBoolIsTheIdentity(@ForAll("plain") DType a, @ForAll("plain") DType b) {
        assertThat(TypePromotion.promote(a, b)).isEqualTo(TypePromotion.promote(b, a));
        assertThat(TypePromotion.promote(a, DType.BOOL)).isEqualTo(a);
        DType r = TypePromotion.promote(a, b);
        // the result is never of a lower category than either side
        assertThat(category(r)).isGreaterThanOrEqualTo(Math.max(category(a), category(b)));
    }

    @Provide
    Arbitrary<DType> plain() {
        return Arbitraries.of(List.of(DType.BOOL, DType.UINT8, DType.INT8, DType.INT16, DType.INT32, DType.INT64,
                DType.FLOAT16, DType.BFLOAT16, DType.FLOAT32, DType.FLOAT64, DType.COMPLEX64, DType.COMPLEX128));
    }

    private static int category(DType t) {
        return t == DType.BOOL ? 0 : t.isIntegral() ? 1 : t.isFloatingPoint() ? 2 : 3;
    }
}
