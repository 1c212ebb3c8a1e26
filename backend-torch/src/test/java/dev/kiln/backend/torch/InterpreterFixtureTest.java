package dev.kiln.backend.torch;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.npy.Npz;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every committed fixture, through both frontends, run by the interpreter on the CPU, matches PyTorch. */
class InterpreterFixtureTest {
    @TempDir
    static Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mlp.pt2", "mlp.core.pt2", "mlp.v27.pt2", "mlp.v28.pt2", "cnn.pt2", "cnn.core.pt2",
        "encoder.pt2", "encoder.core.pt2", "dynbatch.pt2", "dynbatch.core.pt2",
        "mlp.traced.pt", "mlp.scripted.pt", "cnn.traced.pt", "cnn.scripted.pt",
        "encoder.traced.pt", "encoder.scripted.pt", "dynbatch.traced.pt", "dynbatch.scripted.pt"})
    void matchesPyTorchOnCpu(String file) {
        String model = file.substring(0, file.indexOf('.'));
        Map<String, ConstantTensor> io = TestFixtures.npz(model, dir);
        List<ConstantTensor> xs = Npz.series(io, "x", model + ".npz");
        List<ConstantTensor> ys = Npz.series(io, "y", model + ".npz");
        Graph g = TestFixtures.load(file, dir);
        List<ConstantTensor> got;
        try (Interpreter in = new Interpreter(g, TorchDevice.cpu())) {
            got = in.runHost(xs);
        }
        assertThat(got).hasSameSizeAs(ys);
        for (int i = 0; i < ys.size(); i++) {
            assertClose(file + " y" + i, got.get(i), ys.get(i), 1e-5);
        }
    }

    static void assertClose(String what, ConstantTensor got, ConstantTensor want, double tol) {
        assertThat(got.dtype()).as(what).isEqualTo(want.dtype());
        assertThat(got.sizes()).as(what).containsExactly(want.sizes());
        double worst = 0;
        for (long k = 0; k < want.numel(); k++) {
            double a = got.getDouble(k);
            double b = want.getDouble(k);
            worst = Math.max(worst, Math.abs(a - b) / Math.max(1, Math.abs(b)));
        }
        assertThat(worst).as(what + " worst relative error").isLessThanOrEqualTo(tol);
    }
}
