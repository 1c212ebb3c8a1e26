package dev.kiln.compiler;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.partition.Target;
import dev.kiln.passes.Precision;
import dev.kiln.passes.eval.GraphEvaluator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ops without a converter that the compile decomposes ({@code StatisticDecompositions}, {@code ElementwiseDecompositions},
 * {@code ShapeDecompositions}, {@code LayoutDecompositions}, {@code ArithmeticDecompositions}) run in one TensorRT engine, no
 * libtorch stage, and match libtorch on the original graph, in FP32 and FP16 (the FP32 islands of the decomposed
 * statistics included).
 */
@Tag("gpu")
class DecompositionsGpuTest {
    static final String GRAPH = """
            graph @decomposed(%x: tensor<f32, [2, 8, 6]>, %w: tensor<f32, [6]>) {
              const %i : tensor<i64, [3]> = dense<"0x0500000000000000FFFFFFFFFFFFFFFF0000000000000000">
              %n : tensor<f32, [2, 8, 6]> = aten::rms_norm(%x, [6], %w, 1.0e-6)
              %v : tensor<f32, [2, 8, 1]> = aten::var.correction(%x, [-1], 1, true)
              %c : tensor<f32, [2, 8, 6]> = aten::sub.Tensor(%n, %v, 1)
              %t : tensor<f32, [2, 8, 6]> = aten::tril(%c, 0)
              %f : tensor<f32, [2, 8, 6]> = aten::flip(%t, [1])
              %r : tensor<f32, [2, 16, 6]> = aten::repeat(%f, [1, 2, 1])
              %s : tensor<f32, [2, 16, 3]> = aten::index.Tensor(%r, [none, none, %i])
              %l : tensor<f32, [2, 16]> = aten::logsumexp(%s, [-1], false)
              %h : tensor<f32, [2, 16]> = aten::relu6(%l)
              return %h
            }
            """;

    /** The ops of {@code LayoutDecompositions} and {@code ArithmeticDecompositions}, chained (continuous ones only, for FP16). */
    static final String LAYOUT_ARITHMETIC_GRAPH = """
            graph @decomposed_layout(%x: tensor<f32, [2, 8, 6]>, %w: tensor<f32, [6]>) {
              %n : tensor<f32, [2, 4, 6]> = aten::narrow(%x, 1, 2, 4)
              %m : tensor<f32, [6, 2, 4]> = aten::movedim.int(%n, 2, 0)
              %s : tensor<f32, [6, 4, 2]> = aten::swapdims(%m, 1, 2)
              %u : tensor<f32, [6, 2, 2, 2]> = aten::unfold(%s, 1, 2, 2)
              %c : tensor<f32, [6, 2, 2, 2]> = aten::clip(%u, -1.0, 1.0)
              %t : tensor<f32, [6, 2, 2, 2]> = aten::tan(%c)
              %wn : tensor<f32, [2]> = aten::narrow(%w, 0, 0, 2)
              %l : tensor<f32, [6, 2, 2, 2]> = aten::lerp.Tensor(%t, %u, %wn)
              %z : tensor<f32, [6, 2, 2]> = aten::select.int(%l, 1, 0)
              %k : tensor<f32, [6, 2, 2, 2]> = aten::select_scatter(%l, %z, 1, 1)
              %f : tensor<f32, [6, 2, 2, 2]> = aten::fmax(%k, %c)
              %cs : tensor<f32, [6, 2, 2]> = aten::cosine_similarity(%f, %u, 3, 1.0e-8)
              %o : tensor<f32, [6, 2, 4]> = aten::upsample_nearest1d(%cs, [4], none)
              %h : tensor<f32, [6, 2, 4]> = aten::channel_shuffle(%o, 2)
              %b : tensor<bool, [6, 2, 4]> = aten::gt.Scalar(%h, 0.0)
              %b2 : tensor<bool, [6, 2, 4]> = aten::ge.Scalar(%h, 0.0)
              %a : tensor<bool, [6, 2, 4]> = aten::bitwise_and.Tensor(%b, %b2)
              %y : tensor<f32, [6, 2, 4]> = aten::where.ScalarOther(%a, %h, 0.0)
              const %cap : tensor<f32, []> = dense<"0x9A99993E">
              %mk : tensor<bool, [6, 2, 4]> = aten::gt.Scalar(%y, 0.3)
              %p : tensor<f32, [6, 2, 4]> = aten::index_put(%y, [%mk], %cap, false)
              %e : tensor<f32, [6, 2, 4]> = aten::expm1(%h)
              %g : tensor<f32, [6, 2, 4]> = aten::log1p(%p)
              %q : tensor<f32, [6, 2, 4]> = aten::add.Tensor(%e, %g, 1)
              return %q
            }
            """;

    /** Each graph this test and {@link DecompositionsCpuTest} compile, by name. */
    static final java.util.Map<String, String> GRAPHS = java.util.Map.of("statistics", GRAPH, "layout_arithmetic", LAYOUT_ARITHMETIC_GRAPH);

    /** The inputs both this test and {@link DecompositionsCpuTest} run {@link #GRAPH} on. */
    static List<ConstantTensor> inputs() {
        Random rnd = new Random(3);
        float[] x = new float[2 * 8 * 6];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) (rnd.nextGaussian() * 2);
        }
        return List.of(ConstantTensor.ofFloats(new long[] {2, 8, 6}, x),
                ConstantTensor.ofFloats(new long[] {6}, 0.5f, 1f, 1.5f, 2f, -1f, 0.25f));
    }

    @Test
    void decomposedOpsBuildOneEngineAndMatchLibtorch() {
        List<ConstantTensor> in = inputs();
        List<String> lines = new ArrayList<>();
        for (var graph : new java.util.TreeMap<>(GRAPHS).entrySet()) {
            Graph g = IrParser.parse(graph.getValue(), graph.getKey() + ".kir", SchemaRegistry.standard());
            ConstantTensor want = GraphEvaluator.run(Graphs.copy(g), in).get(0);
            for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
                CompileSettings s = CompileSettings.defaults().withPrecision(p).withRequireFullCompilation(true);
                try (CompiledModule m = Kiln.compile(Graphs.copy(g), s)) {
                    long torchStages = m.partition().map(pt -> pt.segments().stream().filter(seg -> seg.target() == Target.TORCH).count())
                            .orElse(-1L);
                    double e = Fixtures.relL2(m.forward(in).get(0), want);
                    double tol = p == Precision.FP32 ? 1e-4 : 2e-2;
                    System.out.printf(Locale.ROOT, "GPU-SUMMARY decompositions graph=%s precision=%s torch_stages=%d relL2=%.1e status=%s%n",
                            graph.getKey(), p.name().toLowerCase(Locale.ROOT), torchStages, e, e <= tol && torchStages == 0 ? "ok" : "FAIL");
                    lines.add(graph.getKey() + " " + p + " " + e);
                    assertThat(torchStages).as(graph.getKey() + " " + p + ": stages in libtorch").isZero();
                    assertThat(e).as(graph.getKey() + " " + p + " relative L2 against libtorch on the original graph").isLessThanOrEqualTo(tol);
                }
            }
        }
        assertThat(lines).hasSize(4);
    }
}
