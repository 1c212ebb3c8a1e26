package dev.kiln.compiler;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.npy.Npz;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Precision;
import dev.kiln.passes.eval.GraphEvaluator;
import dev.kiln.sparsity.SparseSites;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --sparse-weights} on a real GPU: the CNN fixture pruned to 2:4, built with TensorRT's sparse kernels allowed,
 * computes what libtorch computes for the same pruned graph (FP32 and FP16). Whether TensorRT picks sparse kernels
 * for layers this small is its choice; the bench measures what they gain on large ones.
 */
@Tag("gpu")
class SparseWeightsGpuTest {
    @TempDir
    Path tmp;

    @Test
    void aPrunedModelBuiltWithSparseWeightsMatchesLibtorch() {
        Graph g = Kiln.load(Fixtures.copy("cnn.pt2", tmp));
        PassManager.builder().build().run(g, "canonicalize,prune-2to4{min-channels=4},dce", PassContext.defaults());
        SparseSites.Count c = SparseSites.count(g);
        assertThat(c.sparse()).isPositive();
        List<ConstantTensor> in = Fixtures.inputs(Npz.read(Fixtures.copy("cnn.npz", tmp)));
        ConstantTensor want = GraphEvaluator.run(Graphs.copy(g), in).get(0);
        for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
            CompileSettings s = CompileSettings.defaults().withPrecision(p).withSparseWeights(true);
            try (CompiledModule m = Kiln.compile(Graphs.copy(g), s)) {
                ConstantTensor got = m.forward(in).get(0);
                double e = Fixtures.relL2(got, want);
                double tol = p == Precision.FP32 ? 1e-4 : 1e-2;
                System.out.printf(Locale.ROOT, "GPU-SUMMARY sparse-weights model=cnn pruned=%d/%d precision=%s relL2=%.1e status=%s%n",
                        c.sparse(), c.total(), p.name().toLowerCase(Locale.ROOT), e, e <= tol ? "ok" : "FAIL");
                assertThat(e).as(p + " relative L2 against libtorch on the pruned graph").isLessThanOrEqualTo(tol);
            }
        }
    }
}
