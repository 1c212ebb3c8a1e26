package dev.kiln.compiler;

import dev.kiln.ir.Graph;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.sparsity.SparseSites;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --sparse-weights}: the setting reaches the engine builder's options, and the compile counts the 2:4 weights. */
class SparseWeightsTest {
    static final Path CNN = Path.of("../ir/src/test/resources/fixtures/cnn.pt2");

    @Test
    void theSettingReachesTheEngineOptions() {
        assertThat(CompileSettings.defaults().engineOptions().sparseWeights()).isFalse();
        CompileSettings s = CompileSettings.defaults().withSparseWeights(true).withDetailedLayerInfo(true);
        assertThat(s.engineOptions().sparseWeights()).isTrue();
        // later changes keep it
        assertThat(s.withPrecision(dev.kiln.passes.Precision.FP16).withIsolatedBuilds(true).engineOptions().sparseWeights()).isTrue();
    }

    @Test
    void theCompileCountsWhichWeightsAreTwoFour() {
        // the real CNN fixture (torch.export of a small conv net): dense weights, none 2:4
        Graph g = Kiln.load(CNN);
        CompilePipeline.run(g, dev.kiln.passes.Precision.FP32, java.util.Set.of(), n -> true);
        SparseSites.Count dense = CompilePipeline.reportSparseWeights(g);
        assertThat(dense.total()).isGreaterThan(0);
        assertThat(dense.sparse()).isZero();
        // pruned to 2:4 (every weight with at least 4 input channels), they count
        PassManager.builder().build().run(g, "prune-2to4{min-channels=4},dce", PassContext.defaults());
        SparseSites.Count pruned = CompilePipeline.reportSparseWeights(g);
        assertThat(pruned.sparse()).isPositive();
        assertThat(pruned.total()).isEqualTo(dense.total());
    }
}
