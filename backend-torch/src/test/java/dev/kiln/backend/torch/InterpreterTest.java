package dev.kiln.backend.torch;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.npy.Npz;
import dev.kiln.ir.schema.SchemaRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InterpreterTest {
    static final TensorType F4 = new TensorType(Optional.of(DType.FLOAT32), Shape.of(4));

    @TempDir
    static Path dir;

    @Test
    void inPlaceOpsNeverWriteIntoConstantsOrCallerInputs() {
        Graph g = new Graph("inplace");
        Value x = g.addInput("x", F4);
        Value c = g.addConstant("c", ConstantTensor.ofFloats(new long[] {4}, 1, 2, 3, 4));
        SchemaRegistry r = SchemaRegistry.standard();
        Node a = g.append(r.get("aten::add_.Tensor"), List.of(c, x, new Arg.IntLit(1)), List.of(F4));
        Node b = g.append(r.get("aten::mul_.Tensor"), List.of(x, a.output()), List.of(F4));
        g.setOutputs(List.of(b.output()));
        ConstantTensor in = ConstantTensor.ofFloats(new long[] {4}, 10, 20, 30, 40);
        try (Interpreter interp = new Interpreter(g, TorchDevice.cpu())) {
            for (int run = 0; run < 2; run++) {
                ConstantTensor y = interp.runHost(List.of(in)).get(0);
                assertThat(y.getDouble(0)).as("run " + run).isEqualTo(10 * 11.0);
                assertThat(y.getDouble(3)).isEqualTo(40 * 44.0);
            }
        }
        assertThat(c.constant().orElseThrow().getDouble(0)).isEqualTo(1.0);
        assertThat(in.getDouble(0)).isEqualTo(10.0);
    }

    @Test
    void intInputsAndScalarOutputs() {
        Graph g = new Graph("ints");
        Value x = g.addInput("x", F4);
        Value n = g.addInput("n", PrimitiveType.INT);
        SchemaRegistry r = SchemaRegistry.standard();
        Node size = g.append(r.get("aten::sym_size.int"), List.of(x, new Arg.IntLit(0)), List.of(PrimitiveType.INT));
        Node mul = g.append(r.get("aten::mul.int"), List.of(size.output(), n), List.of(PrimitiveType.INT));
        g.setOutputs(List.of(mul.output()));
        try (Interpreter interp = new Interpreter(g, TorchDevice.cpu())) {
            List<ConstantTensor> out = interp.runHost(List.of(ConstantTensor.ofFloats(new long[] {4}, 1, 2, 3, 4),
                    ConstantTensor.ofLongs(new long[0], 5)));
            assertThat(out.get(0).dtype()).isEqualTo(DType.INT64);
            assertThat(out.get(0).getLong(0)).isEqualTo(20);
        }
    }

    @Test
    void badInputsAreExplained() {
        Graph g = TestFixtures.load("mlp.pt2", dir);
        try (Interpreter interp = new Interpreter(g, TorchDevice.cpu())) {
            assertThatThrownBy(() -> interp.runHost(List.of())).isInstanceOf(KilnException.class).hasMessageContaining("takes 1 inputs");
            assertThatThrownBy(() -> interp.runHost(List.of(ConstantTensor.ofLongs(new long[] {2}, 1, 2))))
                    .isInstanceOf(KilnException.class).hasMessageContaining("declared").hasMessageContaining("i64");
            assertThatThrownBy(() -> interp.runHost(List.of(ConstantTensor.ofFloats(new long[] {2}, 1, 2))))
                    .isInstanceOf(KilnException.class).hasMessageContaining("shape");
        }
    }

    @Test
    void libtorchErrorsNameTheNode() {
        Graph g = new Graph("bad");
        Value x = g.addInput("x", TensorType.unknown());
        Value y = g.addInput("y", TensorType.unknown());
        Node mm = g.append(SchemaRegistry.standard().get("aten::mm"), List.of(x, y), List.of(TensorType.unknown()));
        mm.setName("matmul_1");
        g.setOutputs(List.of(mm.output()));
        try (Interpreter interp = new Interpreter(g, TorchDevice.cpu())) {
            assertThatThrownBy(() -> interp.runHost(List.of(ConstantTensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6),
                    ConstantTensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))))
                    .isInstanceOf(KilnException.class).hasMessageContaining("matmul_1").hasMessageContaining("aten::mm");
        }
    }

    @Test
    void concurrentRunsAgree() throws Exception {
        Graph g = TestFixtures.load("cnn.pt2", dir);
        List<ConstantTensor> xs = Npz.series(TestFixtures.npz("cnn", dir), "x", "cnn");
        ConstantTensor want = Npz.series(TestFixtures.npz("cnn", dir), "y", "cnn").get(0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Interpreter interp = new Interpreter(g, TorchDevice.cpu())) {
            List<Future<ConstantTensor>> fs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                fs.add(pool.submit(() -> interp.runHost(xs).get(0)));
            }
            for (Future<ConstantTensor> f : fs) {
                InterpreterFixtureTest.assertClose("cnn y0", f.get(), want, 1e-5);
            }
        } finally {
            pool.shutdown();
        }
    }
}
