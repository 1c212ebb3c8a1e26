package dev.kiln.backend.torch;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.npy.Npz;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CUDA paths of backend-torch. Needs libtorch's GPU build on the test class path
 * ({@value TorchDevice#GPU_ARTIFACT} in place of the linux-x86_64 jar) and a GPU.
 */
@Tag("gpu")
class CudaInterpreterGpuTest {
    @TempDir
    static Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mlp.pt2", "cnn.core.pt2", "encoder.pt2", "dynbatch.pt2", "encoder.scripted.pt"})
    void fixturesMatchOnCuda(String file) {
        String model = file.substring(0, file.indexOf('.'));
        List<ConstantTensor> xs = Npz.series(TestFixtures.npz(model, dir), "x", model);
        List<ConstantTensor> ys = Npz.series(TestFixtures.npz(model, dir), "y", model);
        Graph g = TestFixtures.load(file, dir);
        try (Interpreter in = new Interpreter(g, TorchDevice.cuda(0))) {
            List<TorchTensor> outs = in.run(xs.stream().map(x -> TorchTensors.fromConstant(x, TorchDevice.cuda(0))).toList());
            for (int i = 0; i < ys.size(); i++) {
                try (TorchTensor o = outs.get(i)) {
                    assertThat(o.device()).isEqualTo(TorchDevice.cuda(0));
                    // TF32 and other kernels: a looser bound than the CPU's 1e-5
                    InterpreterFixtureTest.assertClose(file + " y" + i, o.toConstant(), ys.get(i), 1e-3);
                }
            }
        }
    }

    @Test
    void devicePointerIsWrappedWithoutCopyAndOwnerKeptAlive() {
        try (TorchTensor src = TorchTensors.fromConstant(ConstantTensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4), TorchDevice.cuda(0))) {
            int before = TorchTensors.liveOwners();
            try (TorchTensor view = TorchTensors.fromAddress(src.dataAddress(), DType.FLOAT32, new long[] {4}, TorchDevice.cuda(0), src)) {
                assertThat(view.dataAddress()).isEqualTo(src.dataAddress());
                assertThat(view.device()).isEqualTo(TorchDevice.cuda(0));
                assertThat(view.toConstant().getDouble(3)).isEqualTo(4.0);
                assertThat(TorchTensors.liveOwners()).isEqualTo(before + 1);
            }
            assertThat(TorchTensors.liveOwners()).isEqualTo(before);
        }
    }

    @Test
    void thousandCudaRunsLeakNoPointers() {
        Graph g = TestFixtures.load("mlp.pt2", dir);
        ConstantTensor x = Npz.series(TestFixtures.npz("mlp", dir), "x", "mlp").get(0);
        try (Interpreter in = new Interpreter(g, TorchDevice.cuda(0)); TorchTensor xd = TorchTensors.fromConstant(x, TorchDevice.cuda(0))) {
            in.run(List.of(xd)).forEach(TorchTensor::close);
            long before = Pointer.totalCount();
            for (int i = 0; i < 1000; i++) {
                in.run(List.of(xd)).forEach(TorchTensor::close);
            }
            assertThat(Pointer.totalCount()).isEqualTo(before);
        }
    }
}
