package dev.kiln.backend.torch;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.npy.Npz;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Deterministic native ownership: 1000 runs leave no JavaCPP pointer, tensor or owner behind. */
class InterpreterMemoryTest {
    @TempDir
    static Path dir;

    @Test
    void thousandRunsLeakNoPointers() {
        Graph g = TestFixtures.load("encoder.pt2", dir);
        List<ConstantTensor> xs = Npz.series(TestFixtures.npz("encoder", dir), "x", "encoder.npz");
        long pointersBefore;
        int ownersBefore;
        try (Interpreter in = new Interpreter(g, TorchDevice.cpu())) {
            // warm up once: libtorch and JavaCPP allocate their one-time tables on the first call
            in.runHost(xs);
            pointersBefore = Pointer.totalCount();
            ownersBefore = TorchTensors.liveOwners();
            for (int i = 0; i < 1000; i++) {
                List<TorchTensor> inputs = List.of(TorchTensors.fromConstant(xs.get(0)));
                List<TorchTensor> outs = in.run(inputs);
                outs.forEach(TorchTensor::close);
                inputs.forEach(TorchTensor::close);
            }
            assertThat(Pointer.totalCount()).as("live JavaCPP pointers after 1000 runs").isEqualTo(pointersBefore);
            assertThat(TorchTensors.liveOwners()).as("owners kept alive by libtorch").isEqualTo(ownersBefore);
        }
        assertThat(TorchTensors.liveOwners()).as("owners after close").isZero();
    }

    @Test
    void outputsOutliveTheInterpreterAndInputs() {
        Graph g = TestFixtures.load("mlp.pt2", dir);
        List<ConstantTensor> xs = Npz.series(TestFixtures.npz("mlp", dir), "x", "mlp.npz");
        ConstantTensor want = Npz.series(TestFixtures.npz("mlp", dir), "y", "mlp.npz").get(0);
        TorchTensor out;
        try (Interpreter in = new Interpreter(g, TorchDevice.cpu()); TorchTensor x = TorchTensors.fromConstant(xs.get(0))) {
            out = in.run(List.of(x)).get(0);
        }
        try (out) {
            InterpreterFixtureTest.assertClose("mlp y0", out.toConstant(), want, 1e-5);
        }
    }

    @Test
    void closedInterpreterRefusesToRun() {
        Graph g = TestFixtures.load("mlp.pt2", dir);
        Interpreter in = new Interpreter(g, TorchDevice.cpu());
        in.close();
        in.close();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> in.runHost(List.of()))
                .isInstanceOf(dev.kiln.ir.KilnException.class);
    }
}
