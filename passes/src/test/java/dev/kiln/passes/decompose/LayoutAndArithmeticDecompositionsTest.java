package dev.kiln.passes.decompose;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.passes.Kir;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.eval.GraphEvaluator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static dev.kiln.passes.decompose.DecompositionsAgreeWithLibtorchTest.check;
import static dev.kiln.passes.decompose.DecompositionsAgreeWithLibtorchTest.hex;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The decompositions of {@code LayoutDecompositions} and {@code ArithmeticDecompositions} compute what the op computes:
 * libtorch on the CPU runs the graph before and after {@code decompose} on random inputs (and on ties, NaN and
 * infinities where the op treats them specially); dtype, shape and values must agree.
 */
class LayoutAndArithmeticDecompositionsTest {
    static final String F = DecompositionsAgreeWithLibtorchTest.F;
    static final String V = "tensor<f32, [4]>";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "narrow | tensor<f32, [3, 2, 4]> | aten::narrow(%x, 1, 1, 2)",
            "narrow negative start | tensor<f32, [3, 5, 2]> | aten::narrow(%x, -1, -3, 2)",
            "narrow_copy | tensor<f32, [1, 5, 4]> | aten::narrow_copy(%x, 0, 2, 1)",
            "movedim.int | tensor<f32, [5, 4, 3]> | aten::movedim.int(%x, 0, -1)",
            "movedim.intlist | tensor<f32, [4, 3, 5]> | aten::movedim.intlist(%x, [0, 2], [1, 0])",
            "moveaxis.int | tensor<f32, [4, 3, 5]> | aten::moveaxis.int(%x, 2, 0)",
            "moveaxis.intlist | tensor<f32, [5, 3, 4]> | aten::moveaxis.intlist(%x, [1], [0])",
            "swapdims | tensor<f32, [4, 5, 3]> | aten::swapdims(%x, 0, 2)",
            "swapaxes | tensor<f32, [3, 4, 5]> | aten::swapaxes(%x, 1, -1)",
            "unfold last dim | tensor<f32, [3, 5, 2, 2]> | aten::unfold(%x, 2, 2, 2)",
            "unfold middle dim | tensor<f32, [3, 2, 4, 3]> | aten::unfold(%x, 1, 3, 2)",
            "unfold overlapping | tensor<f32, [2, 5, 4, 2]> | aten::unfold(%x, 0, 2, 1)",
            "unfold one window | tensor<f32, [3, 1, 4, 5]> | aten::unfold(%x, -2, 5, 3)",
            "clip | tensor<f32, [3, 5, 4]> | aten::clip(%x, -0.5, 0.5)",
            "clip.Tensor | tensor<f32, [3, 5, 4]> | aten::clip.Tensor(%x, %y, none)",
            "max.other | tensor<f32, [3, 5, 4]> | aten::max.other(%x, %y)",
            "min.other | tensor<f32, [3, 5, 4]> | aten::min.other(%x, %z)",
            "lerp weight below a half | tensor<f32, [3, 5, 4]> | aten::lerp.Scalar(%x, %y, 0.3)",
            "lerp weight above a half | tensor<f32, [3, 5, 4]> | aten::lerp.Scalar(%x, %y, 0.8)",
            "lerp tensor weight | tensor<f32, [3, 5, 4]> | aten::lerp.Tensor(%x, %y, %z)",
            "tan | tensor<f32, [3, 5, 4]> | aten::tan(%x)",
            "round.decimals | tensor<f32, [3, 5, 4]> | aten::round.decimals(%x, 2)",
            "round.decimals negative | tensor<f32, [3, 5, 4]> | aten::round.decimals(%x, -1)",
            "remainder.Tensor | tensor<f32, [3, 5, 4]> | aten::remainder.Tensor(%x, %y)",
            "remainder.Scalar | tensor<f32, [3, 5, 4]> | aten::remainder.Scalar(%x, 0.7)",
            "remainder.Scalar negative | tensor<f32, [3, 5, 4]> | aten::remainder.Scalar(%x, -0.3)",
            "fmod.Tensor | tensor<f32, [3, 5, 4]> | aten::fmod.Tensor(%x, %y)",
            "fmod.Scalar | tensor<f32, [3, 5, 4]> | aten::fmod.Scalar(%x, 0.7)",
            "cosine_similarity | tensor<f32, [3, 4]> | aten::cosine_similarity(%x, %x, 1, 1.0e-8)",
            "rrelu | tensor<f32, [3, 5, 4]> | aten::rrelu(%x, 0.1, 0.3, false, none)"})
    void decompositionsOfOneTensorMatchTheOp(String name, String r, String call) {
        check(name, F, V, V, r, "  %r : R = " + call);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "slice_scatter whole dim | tensor<f32, [3, 5, 4]> | aten::slice_scatter(%x, %y, 1, none, none, 1)",
            "slice_scatter step 2 | tensor<f32, [3, 2, 4]> | aten::slice_scatter(%x, %y, 1, 1, 5, 2)",
            "slice_scatter negative start | tensor<f32, [3, 5, 2]> | aten::slice_scatter(%x, %y, -1, -2, none, 1)",
            "slice_scatter end past the size | tensor<f32, [1, 5, 4]> | aten::slice_scatter(%x, %y, 0, 2, 100, 1)",
            "select_scatter | tensor<f32, [3, 4]> | aten::select_scatter(%x, %y, 1, -1)",
            "select_scatter first | tensor<f32, [5, 4]> | aten::select_scatter(%x, %y, 0, 0)",
            "cosine_similarity last dim | tensor<f32, [3, 5, 4]> | aten::cosine_similarity(%x, %y, -1, 1.0e-8)"})
    void writesIntoTheInputMatchTheOp(String name, String y, String call) {
        String r = call.contains("cosine") ? "tensor<f32, [3, 5]>" : F;
        check(name, F, y, V, r, "  %r : R = " + call);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "upsample_nearest1d | tensor<f32, [2, 3, 10]> | aten::upsample_nearest1d(%x, [10], none)",
            "upsample_nearest1d scales | tensor<f32, [2, 3, 7]> | aten::upsample_nearest1d(%x, [7], 1.5)",
            "upsample_nearest1d.vec | tensor<f32, [2, 3, 12]> | aten::upsample_nearest1d.vec(%x, none, [2.5])",
            "upsample_linear1d | tensor<f32, [2, 3, 7]> | aten::upsample_linear1d(%x, [7], false, none)",
            "upsample_linear1d align_corners | tensor<f32, [2, 3, 9]> | aten::upsample_linear1d(%x, [9], true, none)",
            "upsample_linear1d.vec | tensor<f32, [2, 3, 10]> | aten::upsample_linear1d.vec(%x, none, false, [2.0])",
            "channel_shuffle | tensor<f32, [2, 6, 5]> | aten::channel_shuffle(%x, 3)",
            "native_channel_shuffle | tensor<f32, [2, 6, 5]> | aten::native_channel_shuffle(%x, 2)"})
    void upsamplingAndShufflingMatchTheOp(String name, String r, String call) {
        check(name, "tensor<f32, [2, " + (call.contains("shuffle") ? 6 : 3) + ", 5]>", V, V, r, "  %r : R = " + call);
    }

    @Test
    void fmaxAndFminTakeTheOtherOperandOfANan() {
        String a = Kir.f32(Float.NaN, 1f, Float.NaN, Float.NEGATIVE_INFINITY);
        String b = Kir.f32(2f, Float.NaN, Float.NaN, 1f);
        for (String op : List.of("aten::fmax", "aten::fmin")) {
            check(op, F, V, V, F, "  const %a : tensor<f32, [4]> = " + a + "\n  const %b : tensor<f32, [4]> = " + b
                    + "\n  %s : tensor<f32, [3, 5, 4]> = aten::add.Tensor(%x, %a, 1)\n"
                    + "  %t : tensor<f32, [3, 5, 4]> = aten::mul.Tensor(%x, %b)\n  %r : R = " + op + "(%s, %t)");
        }
    }

    @Test
    void roundGoesHalfToEvenAndLeavesLargeValuesAlone() {
        String c = Kir.f32(0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 0.49999997f, -0.49999997f, 8388609f, 16777215f, -3.7f,
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e30f, 7.5f, -6.5f);
        check("round ties", F, V, V, "tensor<f32, [16]>", "  const %c : tensor<f32, [16]> = " + c + "\n  %r : R = aten::round(%c)");
        check("round", F, V, V, F, "  %s : tensor<f32, [3, 5, 4]> = aten::mul.Tensor(%x, %y)\n  %r : R = aten::round(%s)");
    }

    @Test
    void whereWithNumbers() {
        String cond = "  %b : tensor<bool, [3, 5, 4]> = aten::gt.Scalar(%x, 0.0)\n";
        check("where.ScalarOther", F, V, V, F, cond + "  %r : R = aten::where.ScalarOther(%b, %x, 0.25)");
        check("where.ScalarSelf", F, V, V, F, cond + "  %r : R = aten::where.ScalarSelf(%b, -1.5, %x)");
        check("where.Scalar", F, V, V, "tensor<f32, [3, 5, 4]>", cond + "  %r : R = aten::where.Scalar(%b, 1.0, 0.0)");
        check("where.ScalarOther of an i64 tensor and a float", F, V, V, F, cond
                + "  %i : tensor<i64, [3, 5, 4]> = aten::_to_copy(%b, dtype<i64>, none, none, none, false, none)\n"
                + "  %r : R = aten::where.ScalarOther(%b, %i, 0.5)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"aten::bitwise_and.Tensor", "aten::bitwise_or.Tensor", "aten::bitwise_xor.Tensor", "aten::__and__.Tensor",
            "aten::__or__.Tensor", "aten::__xor__.Tensor"})
    void bitwiseOpsOfBoolsAreTheLogicalOnes(String op) {
        check(op, F, V, V, "tensor<bool, [3, 5, 4]>", "  %b : tensor<bool, [3, 5, 4]> = aten::gt.Scalar(%x, 0.0)\n"
                + "  %c : tensor<bool, [4]> = aten::lt.Scalar(%y, 0.5)\n  %r : R = " + op + "(%b, %c)");
    }

    @Test
    void logitClampsOnlyWithAnEps() {
        String s = "  %s : tensor<f32, [3, 5, 4]> = aten::sigmoid(%x)\n";
        check("logit", F, V, V, F, s + "  %r : R = aten::logit(%s, none)");
        check("logit eps", F, V, V, F, s + "  %r : R = aten::logit(%s, 0.2)");
        // outside (0, 1) without eps: NaN, and infinities at 0 and 1
        String c = Kir.f32(0f, 1f, -0.5f, 2f);
        check("logit out of range", F, V, V, V, "  const %c : tensor<f32, [4]> = " + c + "\n  %r : R = aten::logit(%c, none)");
    }

    @Test
    void log1pAndExpm1StayAccurateNearZero() {
        // both sides of the switch to the series, values whose 1 + x rounds to 1, the domain's ends and special values
        String c = Kir.f32(1e-8f, -1e-8f, 3e-6f, -2.5e-5f, 0.0099f, -0.0311f, 0.0999f, -0.0999f, 0.1001f, -0.1001f, 0.5f,
                -0.75f, 12f, -1f, -3f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-30f, -88f);
        for (String op : List.of("aten::log1p", "aten::expm1")) {
            check(op + " near zero", F, V, V, "tensor<f32, [20]>", "  const %c : tensor<f32, [20]> = " + c + "\n  %r : R = " + op + "(%c)");
            check(op, F, V, V, F, "  %s : tensor<f32, [3, 5, 4]> = aten::mul.Tensor(%x, %y)\n  %r : R = " + op + "(%s)");
        }
        // and closely: libtorch's check above allows an absolute 2e-6, which the naive forms' 0 for 1e-8 would pass
        for (String op : List.of("aten::log1p", "aten::expm1")) {
            Graph g = Kir.parse("graph @g() {\n  const %c : tensor<f32, [20]> = " + c + "\n  %r : tensor<f32, [20]> = " + op
                    + "(%c)\n  return %r\n}\n");
            ConstantTensor want = GraphEvaluator.run(Graphs.copy(g), List.of()).get(0);
            PassManager.builder().build().run(g, "decompose{ops=" + op + "},propagate-shapes", PassContext.defaults());
            assertThat(g.nodes()).noneMatch(n -> n.op().equals(op));
            ConstantTensor got = GraphEvaluator.run(g, List.of()).get(0);
            for (int i = 0; i < 20; i++) {
                double w = want.getDouble(i);
                double v = got.getDouble(i);
                if (Double.isNaN(w)) {
                    assertThat(v).as(op + " element " + i).isNaN();
                } else if (Double.isInfinite(w) || w == 0) {
                    assertThat(v).as(op + " element " + i).isEqualTo(w);
                } else {
                    assertThat(Math.abs(v - w) / Math.abs(w)).as(op + "(" + i + "): " + v + " against libtorch's " + w).isLessThan(1e-6);
                }
            }
        }
        check("log1p of an i64 tensor", F, V, V, "tensor<f32, [3, 5, 4]>", "  %b : tensor<bool, [3, 5, 4]> = aten::gt.Scalar(%x, 0.0)\n"
                + "  %i : tensor<i64, [3, 5, 4]> = aten::_to_copy(%b, dtype<i64>, none, none, none, false, none)\n"
                + "  %r : R = aten::log1p(%i)");
    }

    @Test
    void floatRemaindersCorrectAQuotientThatRoundedOntoAnInteger() {
        // a / b is just below an integer and rounds onto it: a - floor(a / b) * b comes out a few ulps below zero
        String a = Kir.f32(50.985897064208984f, 28.140478134155273f, -50.985897064208984f, 7f);
        String b = Kir.f32(2.9991705417633057f, 1.6553223133087158f, 2.9991705417633057f, -2f);
        for (String op : List.of("aten::remainder.Tensor", "aten::fmod.Tensor")) {
            check(op + " at a rounding edge", F, V, V, V, "  const %a : tensor<f32, [4]> = " + a + "\n  const %b : tensor<f32, [4]> = "
                    + b + "\n  %r : R = " + op + "(%a, %b)");
        }
    }

    @Test
    void integerRemaindersAreExact() {
        String ints = "  %t : tensor<f32, [3, 5, 4]> = aten::mul.Tensor(%x, %y)\n"
                + "  %s : tensor<f32, [3, 5, 4]> = aten::mul.Scalar(%t, 10)\n"
                + "  %i : tensor<i64, [3, 5, 4]> = aten::_to_copy(%s, dtype<i64>, none, none, none, false, none)\n";
        String d = "  const %d : tensor<i64, [4]> = dense<\"0x" + hex(3, -2, 5, -7) + "\">\n";
        String I = "tensor<i64, [3, 5, 4]>";
        check("remainder i64", F, V, V, I, ints + "  %r : R = aten::remainder.Scalar(%i, 3)");
        check("remainder i64 negative", F, V, V, I, ints + "  %r : R = aten::remainder.Scalar(%i, -3)");
        check("fmod i64", F, V, V, I, ints + "  %r : R = aten::fmod.Scalar(%i, 3)");
        check("remainder.Tensor i64", F, V, V, I, ints + d + "  %r : R = aten::remainder.Tensor(%i, %d)");
        check("fmod.Tensor i64", F, V, V, I, ints + d + "  %r : R = aten::fmod.Tensor(%i, %d)");
    }

    @Test
    void oneHotOfIndices() {
        check("one_hot", F, V, V, "tensor<i64, [4, 5]>", "  const %c : tensor<i64, [4]> = dense<\"0x" + hex(2, 0, 4, 1)
                + "\">\n  %r : R = aten::one_hot(%c, 5)");
        check("one_hot of a computed index", F, V, V, "tensor<i64, [3, 5, 4, 3]>",
                "  %b : tensor<bool, [3, 5, 4]> = aten::gt.Scalar(%x, 0.0)\n"
                        + "  %i : tensor<i64, [3, 5, 4]> = aten::_to_copy(%b, dtype<i64>, none, none, none, false, none)\n"
                        + "  %r : R = aten::one_hot(%i, 3)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "mask over every dim | aten::index_put(%x, [%m], %v, false)",
            "mask over every dim accumulating | aten::index_put(%x, [%m], %v, true)",
            "mask over the leading dims | aten::index_put(%x, [%lead], %v, false)",
            "mask after a None | aten::index_put(%x, [none, %tail], %v, true)",
            "mask with an i64 value | aten::index_put(%x, [%m], %iv, false)",
            "mask with a value of shape [1] | aten::index_put(%x, [%m], %one, false)",
            "constant index, one value | aten::index_put(%x, [none, %i], %v, false)",
            "constant index, one value accumulating | aten::index_put(%x, [%i0], %v, true)",
            "constant index, a value per position | aten::index_put(%x, [none, %i], %vals, false)"})
    void indexPutWithAMaskOrAConstantIndex(String name, String call) {
        String body = "  const %v : tensor<f32, []> = " + Kir.f32(-7.5f) + "\n"
                + "  const %iv : tensor<i64, []> = dense<\"0x" + hex(3) + "\">\n"
                + "  const %one : tensor<f32, [1]> = " + Kir.f32(2.25f) + "\n"
                + "  const %i : tensor<i64, [3]> = dense<\"0x" + hex(4, 0, -3) + "\">\n"
                + "  const %i0 : tensor<i64, [2]> = dense<\"0x" + hex(-1, 1) + "\">\n"
                + "  %m : tensor<bool, [3, 5, 4]> = aten::gt.Scalar(%x, 0.3)\n"
                + "  %s0 : tensor<f32, [3, 5]> = aten::select.int(%x, 2, 0)\n"
                + "  %lead : tensor<bool, [3, 5]> = aten::lt.Scalar(%s0, 0.0)\n"
                + "  %s1 : tensor<f32, [5, 4]> = aten::select.int(%x, 0, 1)\n"
                + "  %tail : tensor<bool, [5, 4]> = aten::gt.Scalar(%s1, 0.0)\n"
                + "  %vals : tensor<f32, [3, 3, 4]> = aten::narrow(%x, 1, 0, 3)\n"
                + "  %r : R = " + call;
        check("index_put " + name, F, V, V, F, body);
    }

    @Test
    void casesTheyCannotHandleAreLeftAloneWithAReason() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [s0, 4]>, %i: tensor<i64, [3]>, %m: tensor<i32, [3]>, %s: tensor<f32, [2, 4]>) {
                  symbol s0 in [1, 64]
                  %u : tensor<f32, [s0, 3, 2]> = aten::unfold(%x, 1, 2, 1)
                  %v : tensor<f32, [1, 4, 2]> = aten::unfold(%x, 0, 2, 1)
                  %o : tensor<i64, [3, 0]> = aten::one_hot(%i, -1)
                  %a : tensor<i32, [3]> = aten::bitwise_and.Tensor(%m, %m)
                  %w : tensor<f32, [s0, 4]> = aten::slice_scatter(%x, %s, 0, 0, 2, 1)
                  %d : tensor<f32, [s0, 4]> = aten::rrelu(%x, 0.1, 0.3, true, none)
                  %ip : tensor<f32, [s0, 4]> = aten::index_put(%x, [none, %i], %s, false)
                  return %u, %v, %o, %a, %w, %d, %ip
                }
                """);
        PassContext ctx = PassContext.defaults();
        PassManager.builder().build().run(g, "decompose{ops=aten::unfold;aten::one_hot;aten::bitwise_and.Tensor;"
                + "aten::slice_scatter;aten::rrelu;aten::index_put}", ctx);
        // unfold along the static dim is rewritten; along the symbolic one it is not
        assertThat(g.opHistogram()).containsEntry("aten::unfold", 1).containsKeys("aten::one_hot", "aten::bitwise_and.Tensor",
                "aten::slice_scatter", "aten::rrelu", "aten::index_put");
        assertThat(ctx.diagnostics()).anyMatch(d -> d.contains("aten::unfold") && d.contains("static size"))
                .anyMatch(d -> d.contains("num_classes")).anyMatch(d -> d.contains("integer bitwise"))
                .anyMatch(d -> d.contains("aten::slice_scatter") && d.contains("static size"))
                .anyMatch(d -> d.contains("training=True")).anyMatch(d -> d.contains("1-d constant"));
    }

    @Test
    void movedimRefusesListsThatAreNoPermutation() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [3, 5, 4]>) {
                  %r : tensor<f32, [3, 5, 4]> = aten::movedim.intlist(%x, [0, 0], [1, 2])
                  return %r
                }
                """);
        PassContext ctx = PassContext.defaults();
        PassManager.builder().build().run(g, "decompose{ops=aten::movedim.intlist}", ctx);
        assertThat(g.opHistogram()).containsKey("aten::movedim.intlist");
        assertThat(ctx.diagnostics()).anyMatch(d -> d.contains("distinct dims"));
    }
}
