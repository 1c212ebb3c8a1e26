package dev.kiln.frontend.torchscript;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.npy.Npz;
import java.util.Map;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FixtureLoadTest {
    @TempDir
    static Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mlp.traced.pt", "mlp.scripted.pt", "cnn.traced.pt", "cnn.scripted.pt",
        "encoder.traced.pt", "encoder.scripted.pt", "dynbatch.traced.pt", "dynbatch.scripted.pt"})
    void dump(String file) {
        String model = file.substring(0, file.indexOf('.'));
        List<TensorType> specs = InputSpecs.fromNpz(Fixtures.path(model + ".npz", dir));
        Graph g = TorchScriptFrontend.load(Fixtures.path(file, dir), TorchScriptOptions.defaults().withInputTypes(specs));
        System.out.println("== " + file + " " + g.opHistogram());
        for (Value v : g.inputs()) System.out.println("  in %" + v.name() + " : " + v.type());
        for (Value v : g.constants()) System.out.println("  const %" + v.name() + " = " + v.constant().get());
        for (Node n : g.nodes()) System.out.println("  " + n.outputs() + " = " + n.op() + n.args() + " @ " + n.location().orElse(null));
        System.out.println("  return " + g.outputs());
        assertThat(g.nodes()).isNotEmpty();
        Map<String, ConstantTensor> io = Npz.read(Fixtures.path(model + ".npz", dir));
        List<ConstantTensor> ys = Eval.run(g, List.of(io.get("x0")));
        ConstantTensor y = io.get("y0");
        assertThat(ys.get(0).sizes()).containsExactly(y.sizes());
        for (long i = 0; i < y.numel(); i++) {
            assertThat(ys.get(0).getDouble(i)).isCloseTo(y.getDouble(i), org.assertj.core.data.Offset.offset(1e-5));
        }
    }
}
