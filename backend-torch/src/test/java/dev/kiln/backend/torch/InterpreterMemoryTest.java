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

    /** A run-time branch whose then branch writes its operand in place and passes another through. */
    static final String BRANCH = """
            graph @g(%x: tensor<f32, [4]>, %t: tensor<f32, []>) {
              const %w : tensor<f32, [4]> = dense<"0x0000803F000000400000404000008040">
              %p : tensor<bool, []> = aten::gt.Scalar(%t, 0.0)
              %b : bool = aten::Bool.Tensor(%p)
              %y : tensor<f32, [4]>, %z : tensor<f32, [4]> = kiln::cond(%b, [%x, %w, %t]) {
                graph @then(%a: tensor<f32, [4]>, %c: tensor<f32, [4]>, %s: tensor<f32, []>) {
                  %r : tensor<f32, [4]> = aten::mul.Tensor(%a, %s)
                  %q : tensor<f32, [4]> = aten::relu_(%a)
                  return %r, %c
                }
                graph @else(%a: tensor<f32, [4]>, %c: tensor<f32, [4]>, %s: tensor<f32, []>) {
                  %n : tensor<f32, [4]> = aten::neg(%a)
                  %m : tensor<f32, [4]> = aten::mul.Tensor(%n, %c)
                  return %m, %a
                }
              }
              %u : tensor<f32, [4]> = aten::add.Tensor(%y, %x, 1)
              return %u, %z
            }
            """;

    @Test
    void branchesAgreeWithTheEvaluatorAndLeakNothing() {
        Graph g = dev.kiln.ir.text.IrParser.parse(BRANCH, "branch.kir", dev.kiln.ir.schema.SchemaRegistry.standard());
        ConstantTensor x = ConstantTensor.ofFloats(new long[] {4}, -1f, 2f, -3f, 4f);
        List<List<ConstantTensor>> cases = List.of(List.of(x, ConstantTensor.scalar(dev.kiln.ir.DType.FLOAT32, 2.0)),
                List.of(x, ConstantTensor.scalar(dev.kiln.ir.DType.FLOAT32, -1.0)));
        try (Interpreter in = new Interpreter(g, TorchDevice.cpu())) {
            for (List<ConstantTensor> c : cases) {
                List<ConstantTensor> want = dev.kiln.passes.eval.GraphEvaluator.run(g, c);
                List<ConstantTensor> got = in.runHost(c);
                for (int k = 0; k < 2; k++) {
                    for (long i = 0; i < 4; i++) {
                        assertThat(got.get(k).getDouble(i)).as("output " + k + " element " + i).isEqualTo(want.get(k).getDouble(i));
                    }
                }
            }
            // then: y = x * 2, the relu_ writes a copy of x, so u = 2x + x; z is the constant passed through
            List<ConstantTensor> then = in.runHost(cases.get(0));
            assertThat(then.get(0).getDouble(0)).isEqualTo(-3.0);
            assertThat(then.get(1).getDouble(3)).isEqualTo(4.0);
            // else: y = -x * w, z = x
            List<ConstantTensor> otherwise = in.runHost(cases.get(1));
            assertThat(otherwise.get(0).getDouble(1)).isEqualTo(-2.0 * 2 + 2);
            assertThat(otherwise.get(1).getDouble(2)).isEqualTo(-3.0);
            assertThat(x.getDouble(0)).as("the caller's input").isEqualTo(-1.0);
            long pointersBefore = Pointer.totalCount();
            int ownersBefore = TorchTensors.liveOwners();
            for (int i = 0; i < 500; i++) {
                List<TorchTensor> inputs = List.of(TorchTensors.fromConstant(cases.get(i % 2).get(0)),
                        TorchTensors.fromConstant(cases.get(i % 2).get(1)));
                List<TorchTensor> outs = in.run(inputs);
                outs.forEach(TorchTensor::close);
                inputs.forEach(TorchTensor::close);
            }
            assertThat(Pointer.totalCount()).as("live JavaCPP pointers after 500 runs down both branches").isEqualTo(pointersBefore);
            assertThat(TorchTensors.liveOwners()).isEqualTo(ownersBefore);
        }
        assertThat(TorchTensors.liveOwners()).as("owners after close").isZero();
    }

    /** sum_{i < n} x * i with a run-time trip count; the body writes its carried accumulator in place. */
    static final String LOOP = """
            graph @g(%x: tensor<f32, [4]>, %n: int) {
              const %z : tensor<f32, [4]> = dense<"0x00000000000000000000000000000000">
              const %t : tensor<bool, []> = dense<"0x01">
              %acc : tensor<f32, [4]>, %xc : tensor<f32, [4]>, %tc : tensor<bool, []>, %k : int = kiln::loop(%n, true, [%z, %x, %t, 0]) {
                graph @body(%i: int, %a: tensor<f32, [4]>, %v: tensor<f32, [4]>, %c: tensor<bool, []>, %j: int) {
                  %s : tensor<f32, [4]> = aten::mul.Scalar(%v, %i)
                  %w : tensor<f32, [4]> = aten::add_.Tensor(%a, %s, 1)
                  %j2 : int = aten::add.int(%j, 1)
                  return %c, %w, %v, %c, %j2
                }
              }
              %r : tensor<f32, [4]> = aten::mul.Scalar(%acc, %k)
              return %r, %acc
            }
            """;

    /** 200 runs of {@code in} (a graph of {@code (x, n)}) for 0 to 3 trips leave no JavaCPP pointer or tensor owner behind. */
    private static void assertLoopRunsLeakNothing(Interpreter in, ConstantTensor x) {
        long pointersBefore = Pointer.totalCount();
        int ownersBefore = TorchTensors.liveOwners();
        for (int r = 0; r < 200; r++) {
            List<TorchTensor> inputs = List.of(TorchTensors.fromConstant(x), TorchTensors.fromConstant(ConstantTensor.ofLongs(new long[0], r % 4)));
            List<TorchTensor> outs = in.run(inputs);
            outs.forEach(TorchTensor::close);
            inputs.forEach(TorchTensor::close);
        }
        assertThat(Pointer.totalCount()).as("live JavaCPP pointers after 200 runs of 0 to 3 trips").isEqualTo(pointersBefore);
        assertThat(TorchTensors.liveOwners()).isEqualTo(ownersBefore);
    }

    @Test
    void loopsAgreeWithTheEvaluatorForAnyTripCountAndLeakNothing() {
        Graph g = dev.kiln.ir.text.IrParser.parse(LOOP, "loop.kir", dev.kiln.ir.schema.SchemaRegistry.standard());
        ConstantTensor x = ConstantTensor.ofFloats(new long[] {4}, 1f, -2f, 0.5f, 3f);
        try (Interpreter in = new Interpreter(g, TorchDevice.cpu())) {
            for (long n : new long[] {0, 1, 5}) {
                List<ConstantTensor> args = List.of(x, ConstantTensor.ofLongs(new long[0], n));
                List<ConstantTensor> want = dev.kiln.passes.eval.GraphEvaluator.run(g, args);
                List<ConstantTensor> got = in.runHost(args);
                double triangle = n * (n - 1) / 2.0; // sum of i below n
                for (long i = 0; i < 4; i++) {
                    assertThat(got.get(1).getDouble(i)).as(n + " trips").isEqualTo(x.getDouble(i) * triangle);
                    assertThat(got.get(0).getDouble(i)).isEqualTo(x.getDouble(i) * triangle * n);
                    assertThat(got.get(0).getDouble(i)).isEqualTo(want.get(0).getDouble(i));
                }
            }
            // the constant the body writes into (as its first carried value) is never changed
            assertThat(g.constants().get(0).constant().orElseThrow().getDouble(0)).isZero();
            assertLoopRunsLeakNothing(in, x);
        }
    }

    /** A loop with scan outputs: each trip's state (x * 2^(i+1)) stacked, and the trip number as a tensor; [s, 4] after s trips. */
    static final String SCAN = """
            graph @g(%x: tensor<f32, [4]>, %n: int) {
              symbol s in [0, 64]
              const %t : tensor<bool, []> = dense<"0x01">
              %h : tensor<f32, [4]>, %tc : tensor<bool, []>, %rows : tensor<f32, [s, 4]>, %trips : tensor<i64, [s]> = kiln::loop(%n, true, [%x, %t]) {
                graph @body(%i: int, %a: tensor<f32, [4]>, %c: tensor<bool, []>) {
                  %b : tensor<f32, [4]> = aten::mul.Scalar(%a, 2.0)
                  %k : tensor<i64, []> = aten::scalar_tensor(%i, dtype<i64>, none, none, none)
                  return %c, %b, %c, %b, %k
                }
              }
              return %h, %rows, %trips
            }
            """;

    @Test
    void scanOutputsStackEveryTripAndLeakNothing() {
        Graph g = dev.kiln.ir.text.IrParser.parse(SCAN, "scan.kir", dev.kiln.ir.schema.SchemaRegistry.standard());
        ConstantTensor x = ConstantTensor.ofFloats(new long[] {4}, 1f, -2f, 0.5f, 3f);
        try (Interpreter in = new Interpreter(g, TorchDevice.cpu())) {
            for (long n : new long[] {0, 1, 4}) {
                List<ConstantTensor> args = List.of(x, ConstantTensor.ofLongs(new long[0], n));
                List<ConstantTensor> want = dev.kiln.passes.eval.GraphEvaluator.run(g, args);
                List<ConstantTensor> got = in.runHost(args);
                // no trip: empty [0, 4] and [0], of the declared dtypes
                assertThat(got.get(1).sizes()).as(n + " trips").containsExactly(n, 4);
                assertThat(got.get(2).sizes()).containsExactly(n);
                assertThat(got.get(2).dtype()).isEqualTo(dev.kiln.ir.DType.INT64);
                for (long t = 0; t < n; t++) {
                    assertThat(got.get(2).getLong(t)).isEqualTo(t);
                    for (long i = 0; i < 4; i++) {
                        assertThat(got.get(1).getDouble(t * 4 + i)).isEqualTo(x.getDouble(i) * Math.pow(2, t + 1));
                    }
                }
                for (int k = 0; k < 3; k++) {
                    assertThat(got.get(k).sizes()).containsExactly(want.get(k).sizes());
                    for (long i = 0; i < want.get(k).numel(); i++) {
                        assertThat(got.get(k).getDouble(i)).isEqualTo(want.get(k).getDouble(i));
                    }
                }
            }
            assertLoopRunsLeakNothing(in, x);
        }
    }

    @Test
    void aScanOfSymbolicElementsAfterNoTripTakesItsSizesFromWhatIsAlive() {
        // the element [w]: w is the width of %x, alive where the loop runs
        Graph g = dev.kiln.ir.text.IrParser.parse(SCAN.replace("[4]", "[w]").replace("[s, 4]", "[s, w]")
                .replace("symbol s in [0, 64]", "symbol s in [0, 64]\n  symbol w in [1, 64]")
                .replace("%c: tensor<bool, []>) {", "%c: tensor<bool, []>) {\n  symbol w in [1, 64]"), "scan.kir",
                dev.kiln.ir.schema.SchemaRegistry.standard());
        ConstantTensor x = ConstantTensor.ofFloats(new long[] {3}, 1f, 2f, 3f);
        try (Interpreter in = new Interpreter(g, TorchDevice.cpu())) {
            for (long n : new long[] {0, 2}) {
                List<ConstantTensor> args = List.of(x, ConstantTensor.ofLongs(new long[0], n));
                assertThat(in.runHost(args).get(1).sizes()).as(n + " trips").containsExactly(n, 3);
                assertThat(dev.kiln.passes.eval.GraphEvaluator.run(g, args).get(1).sizes()).containsExactly(n, 3);
            }
        }
    }

    @Test
    void aScanWhoseElementShapeIsUnknownAfterNoTripIsAClearError() {
        Graph g = dev.kiln.ir.text.IrParser.parse(SCAN.replace("%rows : tensor<f32, [s, 4]>", "%rows : tensor<f32>"), "scan.kir",
                dev.kiln.ir.schema.SchemaRegistry.standard());
        try (Interpreter in = new Interpreter(g, TorchDevice.cpu())) {
            List<ConstantTensor> args = List.of(ConstantTensor.ofFloats(new long[] {4}, 1f, 2f, 3f, 4f), ConstantTensor.ofLongs(new long[0], 0));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> in.runHost(args)).isInstanceOf(dev.kiln.ir.KilnException.class)
                    .hasMessageContaining("kiln::loop").hasMessageContaining("ran no trips").hasMessageContaining("%rows");
        }
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
