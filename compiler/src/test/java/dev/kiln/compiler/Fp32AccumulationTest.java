package dev.kiln.compiler;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.npy.Npz;
import dev.kiln.partition.PartitionSettings;
import dev.kiln.passes.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --fp32-acc} ({@link CompileSettings#withFp32Accumulation}) on the committed transformer encoder fixture: in an
 * FP16 compile every matrix product reads f16 operands cast up to f32 and computes in f32; without it, in f16.
 */
class Fp32AccumulationTest {
    static final Set<String> PRODUCTS = Set.of("aten::mm", "aten::bmm", "aten::addmm", "aten::baddbmm", "aten::matmul",
            "aten::linear");

    @TempDir
    Path tmp;

    static DType dtype(Value v) {
        return v.type() instanceof TensorType t ? t.dtype().orElse(null) : null;
    }

    static List<Node> products(Graph g) {
        return g.nodes().stream().filter(n -> PRODUCTS.contains(n.schema().name())).toList();
    }

    Graph compiled(boolean fp32Acc) {
        Graph g = Kiln.load(Fixtures.copy("encoder.pt2", tmp));
        CompilePipeline.run(g, CompileSettings.defaults().withPrecision(Precision.FP16).withFp32Accumulation(fp32Acc), n -> true);
        return g;
    }

    @Test
    void theSettingIsOffByDefaultAndSurvivesOtherChanges() {
        assertThat(CompileSettings.defaults().fp32Accumulation()).isFalse();
        CompileSettings s = CompileSettings.defaults().withFp32Accumulation(true);
        assertThat(s.withPrecision(Precision.FP16).withSparseWeights(true).withIsolatedBuilds(true).fp32Accumulation()).isTrue();
    }

    @Test
    void eachProductReadsF16OperandsCastUpAndComputesInF32() {
        Graph g = compiled(true);
        List<Node> products = products(g);
        assertThat(products).as("the encoder's matrix products").isNotEmpty();
        for (Node n : products) {
            assertThat(dtype(n.output())).as(n.name()).isEqualTo(DType.FLOAT32);
            List<Value> floats = n.inputs().stream().filter(v -> dtype(v) != null && dtype(v).isFloatingPoint()).toList();
            assertThat(floats).as(n.name()).isNotEmpty();
            for (Value v : floats) {
                assertThat(dtype(v)).as(n.name() + " reads " + v.name()).isEqualTo(DType.FLOAT32);
                Node cast = v.producer().orElseThrow(() -> new AssertionError(n.name() + " reads " + v.name() + " uncast"));
                assertThat(cast.schema().name()).isEqualTo("aten::_to_copy");
                assertThat(dtype(cast.inputs().get(0))).as("what " + v.name() + " casts up").isEqualTo(DType.FLOAT16);
            }
        }
    }

    /**
     * The compiled graph runs: every node sent to libtorch (the CPU, no engine), in FP16 with FP32 accumulation, it
     * computes what PyTorch's FP32 encoder computes, within the FP16 tolerance.
     */
    @Test
    void theCompiledGraphRunsInLibtorchAndMatchesPyTorch() {
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("encoder.npz", tmp));
        CompileSettings s = CompileSettings.defaults().withPrecision(Precision.FP16).withFp32Accumulation(true);
        Graph g = Kiln.load(Fixtures.copy("encoder.pt2", tmp));
        Graph typed = Graphs.copy(g);
        CompilePipeline.run(typed, s, n -> true);
        s = s.withPartition(PartitionSettings.defaults().withTorchOps(new TreeSet<>(typed.opHistogram().keySet())));
        try (CompiledModule cm = Kiln.compile(g, s)) {
            assertThat(cm.program().needsGpu()).isFalse();
            double e = Fixtures.relL2(cm.forward(Fixtures.inputs(io)).get(0), Fixtures.outputs(io).get(0));
            System.out.println("FP32-ACC-CPU encoder fp16 relL2=" + e);
            assertThat(e).isLessThanOrEqualTo(1e-2);
        }
    }

    @Test
    void withoutItTheProductsComputeInF16() {
        List<Node> products = products(compiled(false));
        assertThat(products).isNotEmpty();
        assertThat(products).allSatisfy(n -> assertThat(dtype(n.output())).as(n.name()).isEqualTo(DType.FLOAT16));
    }
}
