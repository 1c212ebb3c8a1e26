package dev.kiln.passes.decompose;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.Kir;
import dev.kiln.passes.Numerics;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.PassRegistry;
import dev.kiln.passes.eval.GraphEvaluator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Each shipped decomposition computes what the op computes (libtorch on the CPU, random inputs). */
class DecompositionNumericTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "hardswish | aten::hardswish(%x)",
            "hardsigmoid | aten::hardsigmoid(%x)",
            "silu | aten::silu(%x)",
            "softplus | aten::softplus(%x, 2.0, 1)",
            "addcmul | aten::addcmul(%x, %y, %z, 0.25)",
            "gelu | aten::gelu(%x, \"none\")"})
    void decompositionMatchesTheOp(String name, String call) {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [4, 16]>, %y: tensor<f32, [4, 16]>, %z: tensor<f32, [16]>) {
                  %r : tensor<f32, [4, 16]> = CALL
                  return %r
                }
                """.replace("CALL", call));
        Graph reference = Graphs.copy(g);
        PassManager.builder().build().run(g, "decompose,cse,dce", PassContext.defaults());
        assertThat(g.nodes()).as("decomposed").noneMatch(n -> n.schema().name().equals("aten::" + name));
        List<ConstantTensor> in = Numerics.randomInputs(g, 7);
        Numerics.assertAllClose(GraphEvaluator.run(g, in), GraphEvaluator.run(reference, in), 1e-5, 1e-6, name);
    }

    @Test
    void linearDecompositionIsOptInAndExact() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [3, 5]>, %w: tensor<f32, [4, 5]>, %b: tensor<f32, [4]>) {
                  %r : tensor<f32, [3, 4]> = aten::linear(%x, %w, %b)
                  return %r
                }
                """);
        Graph reference = Graphs.copy(g);
        PassContext ctx = PassContext.defaults();
        ctx.put(DecompositionTable.class, DecompositionTable.standard().with(new StandardDecompositions.Linear()));
        PassManager.builder().build().run(g, "decompose", ctx);
        assertThat(g.opHistogram()).containsOnlyKeys("aten::t", "aten::matmul", "aten::add.Tensor");
        List<ConstantTensor> in = Numerics.randomInputs(g, 3);
        Numerics.assertAllClose(GraphEvaluator.run(g, in), GraphEvaluator.run(reference, in), 1e-5, 1e-6, "linear");
    }

    @Test
    void backendSupportDecidesWhatIsDecomposedAndUsersCanAddEntries() {
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [8]>) {
                  %a : tensor<f32, [8]> = aten::silu(%x)
                  %b : tensor<f32, [8]> = aten::hardswish(%a)
                  %c : tensor<f32, [8]> = aten::elu(%b, 1, 1, 1)
                  return %c
                }
                """);
        Graph reference = Graphs.copy(g);
        PassContext ctx = PassContext.defaults();
        // the backend converts silu itself; a user-supplied decomposition covers elu
        ctx.put(Decompose.Supported.class, n -> n.op().equals("aten::silu"));
        ctx.put(DecompositionTable.class, DecompositionTable.standard().with(new Decomposition() {
            @Override
            public String op() {
                return "aten::elu";
            }

            @Override
            public Optional<String> unsupported(Node n) {
                return n.doubleArg("alpha") == 1.0 ? Optional.empty() : Optional.of("only alpha=1");
            }

            @Override
            public List<Value> decompose(Node n, DecompositionBuilder b) {
                Value x = b.input(0);
                Value neg = b.call("aten::expm1", b.call("aten::clamp", x, dev.kiln.ir.Arg.NONE, new dev.kiln.ir.Arg.FloatLit(0)));
                return List.of(b.call("aten::add.Tensor", b.call("aten::relu", x), neg));
            }
        }));
        PassManager.builder().registry(PassRegistry.standard()).build().run(g, "decompose", ctx);
        assertThat(g.opHistogram()).containsKey("aten::silu").doesNotContainKeys("aten::hardswish", "aten::elu");
        List<ConstantTensor> in = Numerics.randomInputs(g, 11);
        Numerics.assertAllClose(GraphEvaluator.run(g, in), GraphEvaluator.run(reference, in), 1e-5, 1e-6, "mixed");
    }
}
