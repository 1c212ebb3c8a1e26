package dev.kiln.passes.decompose;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.passes.Kir;
import dev.kiln.passes.Numerics;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.eval.GraphEvaluator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each of the decompositions of {@code StatisticDecompositions}, {@code ElementwiseDecompositions} and {@code ShapeDecompositions} computes what the op computes: libtorch on the CPU runs the graph before and
 * after {@code decompose} (then shape propagation, which must type every node the decomposition made) on random
 * inputs, and the results agree in dtype, shape and values.
 */
class DecompositionsAgreeWithLibtorchTest {

    /** Runs decompose + propagate-shapes on a graph with inputs {@code %x: X, %y: Y, %z: Z} and one result {@code %r: R}. */
    static void check(String name, String x, String y, String z, String r, String body) {
        String text = "graph @g(%x: " + x + ", %y: " + y + ", %z: " + z + ") {\n" + body.replace("%r : R", "%r : " + r)
                .replace("%a : R", "%a : " + r).replace("%m : R", "%m : " + r) + "\n  return %r" + (body.contains("%m : R") ? ", %m" : "")
                + "\n}\n";
        Graph g = Kir.parse(text);
        Graph reference = Graphs.copy(g);
        String op = body.replaceAll("(?s).*%r : [^=]*= (aten::[A-Za-z_0-9.]+)\\(.*", "$1");
        PassContext ctx = PassContext.defaults();
        ctx.put(DecompositionTable.class, DecompositionTable.standard().with(new ShapeDecompositions.Roll()));
        PassManager.builder().build().run(g, "decompose{ops=" + op + "},propagate-shapes,cse,dce", ctx);
        assertThat(g.nodes()).as(name + " decomposed").noneMatch(n -> n.op().equals(op));
        assertThat(ctx.diagnostics()).as(name + ": every node typed").noneMatch(d -> d.contains("cannot") || d.contains("no shape rule"));
        List<ConstantTensor> in = Numerics.randomInputs(g, 11);
        List<ConstantTensor> want = GraphEvaluator.run(reference, in);
        List<ConstantTensor> got = GraphEvaluator.run(g, in);
        assertThat(got.get(0).dtype()).as(name + " dtype").isEqualTo(want.get(0).dtype());
        Numerics.assertAllClose(got, want, 2e-5, 2e-6, name);
        // the type shape propagation gave the result is the one the op had
        assertThat(g.outputs().get(0).type()).as(name + " result type").isEqualTo(reference.outputs().get(0).type());
    }

    static final String F = "tensor<f32, [3, 5, 4]>";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "var.correction | tensor<f32, [3, 4]> | aten::var.correction(%x, [1], 1, false)",
            "var.correction all | tensor<f32, []> | aten::var.correction(%x, none, 0, false)",
            "var.dim keepdim | tensor<f32, [3, 5, 1]> | aten::var.dim(%x, [-1], true, true)",
            "std.correction | tensor<f32, [5]> | aten::std.correction(%x, [0, 2], 1, false)",
            "std.dim | tensor<f32, [3, 1, 4]> | aten::std.dim(%x, [1], false, true)",
            "vector norm 2 | tensor<f32, [3, 5]> | aten::linalg_vector_norm(%x, 2, [-1], false, none)",
            "vector norm 1 | tensor<f32, [1, 5, 1]> | aten::linalg_vector_norm(%x, 1, [0, 2], true, none)",
            "vector norm inf | tensor<f32, []> | aten::linalg_vector_norm(%x, inf, none, false, none)",
            "norm p2 | tensor<f32, [3, 1, 4]> | aten::norm.ScalarOpt_dim(%x, 2, [1], true)",
            "logsumexp | tensor<f32, [3, 4]> | aten::logsumexp(%x, [1], false)",
            "logsumexp keepdim | tensor<f32, [3, 5, 1]> | aten::logsumexp(%x, [-1], true)",
            "relu6 | tensor<f32, [3, 5, 4]> | aten::relu6(%x)",
            "selu | tensor<f32, [3, 5, 4]> | aten::selu(%x)",
            "celu | tensor<f32, [3, 5, 4]> | aten::celu(%x, 0.7)",
            "threshold | tensor<f32, [3, 5, 4]> | aten::threshold(%x, 0.1, -2.0)",
            "exp2 | tensor<f32, [3, 5, 4]> | aten::exp2(%x)",
            "glu | tensor<f32, [3, 5, 2]> | aten::glu(%x, -1)",
            "repeat | tensor<f32, [2, 6, 5, 4]> | aten::repeat(%x, [2, 2, 1, 1])",
            "tile | tensor<f32, [3, 10, 8]> | aten::tile(%x, [2, 2])",
            "flip | tensor<f32, [3, 5, 4]> | aten::flip(%x, [0, -1])",
            "roll | tensor<f32, [3, 5, 4]> | aten::roll(%x, [2, -1], [1, 2])",
            "roll flat | tensor<f32, [3, 5, 4]> | aten::roll(%x, [7], [])",
            "tril | tensor<f32, [3, 5, 4]> | aten::tril(%x, 1)",
            "triu | tensor<f32, [3, 5, 4]> | aten::triu(%x, -1)",
            "new_full | tensor<f32, [2, 3]> | aten::new_full(%x, [2, 3], 1.5, none, none, none, none)",
            "new_zeros | tensor<f32, [4]> | aten::new_zeros(%x, [4], none, none, none, none)",
            "new_ones i64 | tensor<i64, [2, 2]> | aten::new_ones(%x, [2, 2], dtype<i64>, none, none, none)"})
    void unaryDecompositionsMatchTheOp(String name, String r, String call) {
        check(name, F, "tensor<f32, [4]>", "tensor<f32, [4]>", r, "  %r : R = " + call);
    }


    static final String SPECIAL = Kir.f32(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "trunc | aten::trunc(%s)",
            "frac | aten::frac(%s)",
            "sign | aten::sign(%s)",
            "hardshrink | aten::hardshrink(%s, 0.5)",
            "softshrink | aten::softshrink(%s, 0.5)",
            "nan_to_num defaults | aten::nan_to_num(%s, none, none, none)",
            "nan_to_num given | aten::nan_to_num(%s, 1.5, 100.0, -100.0)"})
    void elementwiseDecompositionsKeepSpecialValuesAsTheOpDoes(String name, String call) {
        check(name, F, "tensor<f32, [4]>", "tensor<f32, [4]>", F, "  const %c : tensor<f32, [4]> = " + SPECIAL
                + "\n  %s : tensor<f32, [3, 5, 4]> = aten::add.Tensor(%x, %c, 1)\n  %r : R = " + call);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "dot | tensor<f32, []> | aten::dot(%y, %z)",
            "outer | tensor<f32, [4, 4]> | aten::outer(%y, %z)",
            "expand_as | tensor<f32, [3, 5, 4]> | aten::expand_as(%y, %x)",
            "type_as | tensor<f32, [3, 5, 4]> | aten::type_as(%x, %y)",
            "var_mean | tensor<f32, [3, 4]> | aten::var_mean.correction(%x, [1], 1, false)",
            "std_mean | tensor<f32, [1, 5, 1]> | aten::std_mean.correction(%x, [0, 2], 0, true)",
            "rms_norm | tensor<f32, [3, 5, 4]> | aten::rms_norm(%x, [4], %y, 1.0e-6)",
            "rms_norm default eps | tensor<f32, [3, 5, 4]> | aten::rms_norm(%x, [5, 4], none, none)"})
    void productsStatisticsAndShapeTakingForms(String name, String r, String call) {
        String body = call.contains("_mean.") ? "  %r : R, %m : R = " + call : "  %r : R = " + call;
        check(name, F, "tensor<f32, [4]>", "tensor<f32, [4]>", r, body);
    }

    @Test
    void mvViewAsReshapeAsAndTypeAsToAnInteger() {
        check("mv", F, "tensor<f32, [4]>", "tensor<f32, [4]>", "tensor<f32, [5]>",
                "  %a : tensor<f32, [5, 4]> = aten::select.int(%x, 0, 1)\n  %r : R = aten::mv(%a, %z)");
        for (String op : List.of("aten::view_as", "aten::reshape_as")) {
            check(op, F, "tensor<f32, [4]>", "tensor<f32, [4]>", F,
                    "  %f : tensor<f32, [60]> = aten::reshape(%x, [60])\n  %r : R = " + op + "(%f, %x)");
        }
        check("type_as i64", F, "tensor<f32, [4]>", "tensor<f32, [4]>", "tensor<i64, [4]>",
                "  %s : tensor<f32, [4]> = aten::mul.Tensor(%z, %y)\n"
                        + "  %i : tensor<i64, [4]> = aten::_to_copy(%s, dtype<i64>, none, none, none, false, none)\n"
                        + "  %r : R = aten::type_as(%y, %i)");
    }

    @Test
    void logarithmsOfOtherBases() {
        for (String op : List.of("aten::log2", "aten::log10")) {
            check(op, F, "tensor<f32, [4]>", "tensor<f32, [4]>", F,
                    "  %a : R = aten::abs(%x)\n  %r : R = " + op + "(%a)");
        }
    }

    @Test
    void isnanAndIsinfSeeTheSpecialValues() {
        String c = Kir.f32(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f);
        for (String op : List.of("aten::isnan", "aten::isinf")) {
            check(op, F, "tensor<f32, [4]>", "tensor<f32, [4]>", "tensor<bool, [3, 5, 4]>",
                    "  const %c : tensor<f32, [4]> = " + c + "\n  %s : tensor<f32, [3, 5, 4]> = aten::add.Tensor(%x, %c, 1)\n"
                            + "  %r : R = " + op + "(%s)");
        }
    }

    @Test
    void baddbmmAndAddcdiv() {
        for (String beta : List.of("0.5", "0.0", "1.0")) {
            check("baddbmm beta " + beta, "tensor<f32, [2, 3, 5]>", "tensor<f32, [2, 3, 4]>", "tensor<f32, [2, 4, 5]>",
                    "tensor<f32, [2, 3, 5]>", "  %r : R = aten::baddbmm(%x, %y, %z, " + beta + ", 2.0)");
        }
        check("addcdiv", F, "tensor<f32, [5, 4]>", "tensor<f32, [4]>", F,
                "  %e : tensor<f32, [4]> = aten::exp(%z)\n  %r : R = aten::addcdiv(%x, %y, %e, 0.5)");
    }

    @Test
    void instanceNormWithInputOrRunningStatistics() {
        String w = Kir.f32(0.5f, 1f, 2f);
        String b = Kir.f32(0.1f, -0.2f, 0.3f);
        String mean = Kir.f32(0.1f, 0.2f, -0.1f);
        String var = Kir.f32(1.5f, 0.5f, 2f);
        String consts = "  const %w : tensor<f32, [3]> = W\n  const %b : tensor<f32, [3]> = B\n  const %m : tensor<f32, [3]> = M\n"
                + "  const %v : tensor<f32, [3]> = V\n";
        consts = consts.replace("W", w).replace("B", b).replace("M", mean).replace("V", var);
        check("instance_norm input stats", "tensor<f32, [2, 3, 4, 4]>", "tensor<f32, [4]>", "tensor<f32, [4]>", "tensor<f32, [2, 3, 4, 4]>",
                consts + "  %r : R = aten::instance_norm(%x, %w, %b, %m, %v, true, 0.1, 1.0e-5, false)");
        check("instance_norm running stats", "tensor<f32, [2, 3, 4, 4]>", "tensor<f32, [4]>", "tensor<f32, [4]>",
                "tensor<f32, [2, 3, 4, 4]>", consts + "  %r : R = aten::instance_norm(%x, %w, %b, %m, %v, false, 0.1, 1.0e-5, false)");
    }

    @Test
    void pixelShuffleKeepsASymbolicBatch() {
        check("pixel_shuffle", "tensor<f32, [2, 8, 3, 3]>", "tensor<f32, [4]>", "tensor<f32, [4]>", "tensor<f32, [2, 2, 6, 6]>",
                "  %r : R = aten::pixel_shuffle(%x, 2)");
    }

    @Test
    void shapesTheyCannotHandleAreLeftAloneWithAReason() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [s0, 4]>) {
                  symbol s0 in [1, 64]
                  %r : tensor<f32, [4]> = aten::var.correction(%x, [0], 1, false)
                  %f : tensor<f32, [s0, 4]> = aten::flip(%x, [0])
                  %t : tensor<f32, [s0, 4]> = aten::tril(%x, 0)
                  return %r, %f, %t
                }
                """);
        PassContext ctx = PassContext.defaults();
        PassManager.builder().build().run(g, "decompose{ops=aten::var.correction;aten::flip;aten::tril}", ctx);
        // var and flip over the symbolic dim, tril over last two dims of which one is symbolic: all kept
        assertThat(g.nodes()).anyMatch(n -> n.op().equals("aten::var.correction")).anyMatch(n -> n.op().equals("aten::flip"))
                .anyMatch(n -> n.op().equals("aten::tril"));
        assertThat(ctx.diagnostics()).anyMatch(d -> d.contains("aten::var.correction") && d.contains("static sizes"));
    }

    @Test
    void rollIsOptInUntilTheHybridTestsUseAnotherOpWithoutAConverter() {
        assertThat(DecompositionTable.standard().find("aten::roll")).isEmpty();
        assertThat(DecompositionTable.standard().with(new ShapeDecompositions.Roll()).find("aten::roll")).isPresent();
    }

    @Test
    void inFp16AnIslandOpsDecompositionStaysInFp32() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [3, 5, 4]>, %w: tensor<f32, [4]>) {
                  %r : tensor<f32, [3, 5, 4]> = aten::rms_norm(%x, [4], %w, 1.0e-6)
                  %s : tensor<f32, [3, 5, 4]> = aten::relu6(%r)
                  return %s
                }
                """);
        Graph reference = Graphs.copy(g);
        PassContext ctx = dev.kiln.passes.PassContext.builder().precision(dev.kiln.passes.Precision.FP16).build();
        PassManager.builder().build().run(g, "decompose{ops=aten::rms_norm;aten::relu6},propagate-shapes,precision", ctx);
        // rms_norm would have been an FP32 island: its pieces are; relu6 is not, so its hardtanh goes to f16
        assertThat(g.nodes()).filteredOn(n -> n.op().equals("aten::rsqrt") || n.op().equals("aten::mean.dim"))
                .isNotEmpty().allMatch(n -> n.output().type().toString().contains("f32"));
        assertThat(g.nodes()).filteredOn(n -> n.op().equals("aten::hardtanh")).singleElement()
                .matches(n -> n.output().type().toString().contains("f16"));
        List<ConstantTensor> in = Numerics.randomInputs(g, 5);
        Numerics.assertAllClose(GraphEvaluator.run(g, in), GraphEvaluator.run(reference, in), 2e-3, 2e-3, "rms_norm fp16");
    }

    @Test
    void indexingWithOneIndexTensorIsAnIndexSelectWithNegativeIndicesWrapped() {
        String idx = "dense<\"0x" + hex(2, -1, 0, -5, 4, 4) + "\">";
        check("index dim 1", F, "tensor<f32, [4]>", "tensor<f32, [4]>", "tensor<f32, [3, 6, 4]>",
                "  const %i : tensor<i64, [6]> = " + idx + "\n  %r : R = aten::index.Tensor(%x, [none, %i])");
        check("index dim 0", F, "tensor<f32, [4]>", "tensor<f32, [4]>", "tensor<f32, [2, 5, 4]>",
                "  const %i : tensor<i64, [2]> = dense<\"0x" + hex(-1, 1) + "\">\n  %r : R = aten::index.Tensor(%x, [%i])");
        // two index tensors: left alone
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [3, 5, 4]>) {
                  const %i : tensor<i64, [2]> = dense<"0xHEX">
                  %r : tensor<f32, [2, 4]> = aten::index.Tensor(%x, [%i, %i])
                  return %r
                }
                """.replace("HEX", hex(0, 1)));
        PassContext ctx = PassContext.defaults();
        PassManager.builder().build().run(g, "decompose{ops=aten::index.Tensor}", ctx);
        assertThat(g.opHistogram()).containsKey("aten::index.Tensor");
        assertThat(ctx.diagnostics()).anyMatch(d -> d.contains("only one index tensor"));
    }

    /** Little-endian i64 hex for a dense literal. */
    static String hex(long... v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return java.util.HexFormat.of().withUpperCase().formatHex(b.array());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "all.dim | tensor<bool, [3, 4]> | aten::all.dim(%b, 1, false)",
            "all.dims | tensor<bool, [3, 1, 1]> | aten::all.dims(%b, [1, -1], true)",
            "all | tensor<bool, []> | aten::all(%b)",
            "any | tensor<bool, []> | aten::any(%b)",
            "all of floats | tensor<bool, [5, 4]> | aten::all.dim(%p, 0, false)"})
    void allAndAnyReduceLikeTheOp(String name, String r, String call) {
        check(name, F, "tensor<f32, [4]>", "tensor<f32, [4]>", r,
                "  %b : tensor<bool, [3, 5, 4]> = aten::gt.Scalar(%x, -1.0)\n"
                        + "  %g : tensor<f32, [3, 5, 4]> = aten::_to_copy(%b, dtype<f32>, none, none, none, false, none)\n"
                        + "  %p : tensor<f32, [3, 5, 4]> = aten::mul.Tensor(%x, %g)\n  %r : R = " + call);
    }

    @Test
    void varAndStdOfEverythingAndAddmv() {
        check("var", F, "tensor<f32, [4]>", "tensor<f32, [4]>", "tensor<f32, []>", "  %r : R = aten::var(%x, true)");
        check("std", F, "tensor<f32, [4]>", "tensor<f32, [4]>", "tensor<f32, []>", "  %r : R = aten::std(%x, false)");
        for (String beta : List.of("0.5", "0.0")) {
            check("addmv beta " + beta, F, "tensor<f32, [5]>", "tensor<f32, [4]>", "tensor<f32, [5]>",
                    "  %a : tensor<f32, [5, 4]> = aten::select.int(%x, 0, 2)\n  %r : R = aten::addmv(%y, %a, %z, " + beta + ", 1.5)");
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "reflection_pad1d | tensor<f32, [3, 5, 9]> | aten::reflection_pad1d(%x, [2, 3])",
            "reflection_pad2d | tensor<f32, [3, 9, 6]> | aten::reflection_pad2d(%x, [1, 1, 4, 0])",
            "replication_pad1d | tensor<f32, [3, 5, 11]> | aten::replication_pad1d(%x, [5, 2])",
            "replication_pad2d | tensor<f32, [3, 7, 7]> | aten::replication_pad2d(%x, [2, 1, 0, 2])",
            "pad reflect | tensor<f32, [3, 7, 6]> | aten::pad(%x, [1, 1, 1, 1], \"reflect\", none)",
            "pad replicate | tensor<f32, [3, 5, 10]> | aten::pad(%x, [3, 3], \"replicate\", none)",
            "pad circular | tensor<f32, [3, 8, 7]> | aten::pad(%x, [2, 1, 1, 2], \"circular\", none)",
            "pad constant | tensor<f32, [3, 5, 7]> | aten::pad(%x, [1, 2], \"constant\", 0.5)"})
    void paddingModesAreIndexSelects(String name, String r, String call) {
        check(name, F, "tensor<f32, [4]>", "tensor<f32, [4]>", r, "  %r : R = " + call);
    }

    @Test
    void pixelUnshuffleUndoesPixelShuffle() {
        check("pixel_unshuffle", "tensor<f32, [2, 2, 6, 6]>", "tensor<f32, [4]>", "tensor<f32, [4]>", "tensor<f32, [2, 8, 3, 3]>",
                "  %r : R = aten::pixel_unshuffle(%x, 2)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "bij,bjk->bik | tensor<f32, [2, 3, 4]> | tensor<f32, [2, 4, 5]> | tensor<f32, [2, 3, 5]>",
            "bhqd,bhkd->bhqk | tensor<f32, [2, 3, 4, 6]> | tensor<f32, [2, 3, 5, 6]> | tensor<f32, [2, 3, 4, 5]>",
            "ij,jk | tensor<f32, [3, 4]> | tensor<f32, [4, 5]> | tensor<f32, [3, 5]>",
            "i,i-> | tensor<f32, [4]> | tensor<f32, [4]> | tensor<f32, []>",
            "i,j->ij | tensor<f32, [3]> | tensor<f32, [4]> | tensor<f32, [3, 4]>",
            "bi,bi->b | tensor<f32, [3, 4]> | tensor<f32, [3, 4]> | tensor<f32, [3]>",
            "abc,cd->dba | tensor<f32, [2, 3, 4]> | tensor<f32, [4, 5]> | tensor<f32, [5, 3, 2]>",
            "ij,kl->ilkj | tensor<f32, [2, 3]> | tensor<f32, [4, 5]> | tensor<f32, [2, 5, 4, 3]>",
            "abc,ab->c | tensor<f32, [2, 3, 4]> | tensor<f32, [2, 3]> | tensor<f32, [4]>",
            "iz,jz->ij | tensor<f32, [3, 6]> | tensor<f32, [4, 6]> | tensor<f32, [3, 4]>",
            "bxi,byj->bij | tensor<f32, [2, 3, 4]> | tensor<f32, [2, 5, 6]> | tensor<f32, [2, 4, 6]>"})
    void einsumOfTwoOperands(String eq, String a, String b, String r) {
        check("einsum " + eq, a, b, "tensor<f32, [4]>", r,
                "  %r : R = aten::einsum(\"" + eq + "\", [%x, %y], none)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "ijk->kji | tensor<f32, [4, 5, 3]>",
            "ijk->k | tensor<f32, [4]>",
            "ijk->kj | tensor<f32, [4, 5]>",
            "ijk | tensor<f32, [3, 5, 4]>"})
    void einsumOfOneOperand(String eq, String r) {
        check("einsum " + eq, F, "tensor<f32, [4]>", "tensor<f32, [4]>", r, "  %r : R = aten::einsum(\"" + eq + "\", [%x], none)");
    }

    @Test
    void einsumWithADiagonalOrAnEllipsisStaysInLibtorch() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [4, 4]>, %y: tensor<f32, [2, 3, 4]>) {
                  %d : tensor<f32, [4]> = aten::einsum("ii->i", [%x], none)
                  %e : tensor<f32, [2, 3, 4]> = aten::einsum("...i->...i", [%y], none)
                  return %d, %e
                }
                """);
        PassContext ctx = PassContext.defaults();
        PassManager.builder().build().run(g, "decompose{ops=aten::einsum}", ctx);
        assertThat(g.opHistogram()).containsEntry("aten::einsum", 2);
        assertThat(ctx.diagnostics()).anyMatch(d -> d.contains("ellipsis, a repeated index"));
    }
}
