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
 * Ops without a converter that the compile decomposes ({@code StatisticDecompositions}, {@code ElementwiseDecompositions}, {@code ShapeDecompositions}) run in one TensorRT engine, no
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
        Graph g = IrParser.parse(GRAPH, "decomposed.kir", SchemaRegistry.standard());
        ConstantTensor want = GraphEvaluator.run(Graphs.copy(g), in).get(0);
        List<String> lines = new ArrayList<>();
        for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
            CompileSettings s = CompileSettings.defaults().withPrecision(p).withRequireFullCompilation(true);
            try (CompiledModule m = Kiln.compile(Graphs.copy(g), s)) {
                long torchStages = m.partition().map(pt -> pt.segments().stream().filter(seg -> seg.target() == Target.TORCH).count())
                        .orElse(-1L);
                double e = Fixtures.relL2(m.forward(in).get(0), want);
                double tol = p == Precision.FP32 ? 1e-4 : 2e-2;
                System.out.printf(Locale.ROOT, "GPU-SUMMARY decompositions precision=%s torch_stages=%d relL2=%.1e status=%s%n",
                        p.name().toLowerCase(Locale.ROOT), torchStages, e, e <= tol && torchStages == 0 ? "ok" : "FAIL");
                lines.add(p + " " + e);
                assertThat(torchStages).as(p + ": stages in libtorch").isZero();
                assertThat(e).as(p + " relative L2 against libtorch on the original graph").isLessThanOrEqualTo(tol);
            }
        }
        assertThat(lines).hasSize(2);
    }
}
