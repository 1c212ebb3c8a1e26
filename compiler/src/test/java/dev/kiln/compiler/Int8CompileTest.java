package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.npy.Npz;
import dev.kiln.passes.Ops;
import dev.kiln.passes.Precision;
import dev.kiln.passes.eval.GraphEvaluator;
import dev.kiln.quantization.CalibrationMethod;
import dev.kiln.quantization.CalibrationTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Int8 in the compile pipeline, on the CPU: the real CNN fixture (torch.export of a small conv net) is calibrated on
 * data, marked, and run by libtorch; its outputs stay close to PyTorch's FP32 outputs in the fixture, in FP32 and with
 * the rest of the graph in FP16. (The TensorRT engine of a marked graph is {@code Int8GpuTest}'s.)
 */
class Int8CompileTest {
    @TempDir
    Path tmp;

    /** Eight samples like the fixture's inputs (standard normal), as calibration data. */
    Path calibrationData(int rows) {
        Random r = new Random(3);
        float[] v = new float[rows * 3 * 16 * 16];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        Path f = tmp.resolve("calib.npz");
        Npz.write(f, Map.of("x0", ConstantTensor.ofFloats(new long[] {rows, 3, 16, 16}, v)));
        return f;
    }

    static Graph compiledGraph(Path model, CompileSettings s) {
        Graph g = Kiln.load(model);
        ConverterRegistry registry = ConverterRegistry.standard();
        ConverterSettings cs = EngineBuilder.settingsFor(g, s.precision());
        CompilePipeline.run(g, s, n -> registry.lookup(n, cs).supported());
        return g;
    }

    @Test
    void calibratedInt8GraphStaysCloseToPyTorchInFp32AndFp16() {
        Path model = Fixtures.copy("cnn.pt2", tmp);
        Map<String, ConstantTensor> io = Npz.read(Fixtures.copy("cnn.npz", tmp));
        Path table = tmp.resolve("cnn.calib.json");
        Int8Settings q = Int8Settings.calibrate(calibrationData(8)).withTable(table).withMethod(CalibrationMethod.MAX);
        for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
            Graph g = compiledGraph(model, CompileSettings.defaults().withPrecision(p).withInt8(q));
            long markers = g.nodes().stream().filter(Ops::isQuantizationMarker).count();
            // two convolutions and a linear layer: an activation and a weight marker each
            assertThat(markers).as(p + " markers").isGreaterThanOrEqualTo(6);
            ConstantTensor got = GraphEvaluator.run(g, Fixtures.inputs(io)).get(0);
            double e = Fixtures.relL2(got, io.get("y0"));
            System.out.printf(java.util.Locale.ROOT, "INT8-CPU model=cnn precision=%s markers=%d relL2=%.1e%n", p, markers, e);
            assertThat(e).as(p + " relative L2 against PyTorch FP32").isLessThan(0.05).isGreaterThan(1e-6);
        }
        // the table was written (four batches of the model's static batch of 2), and a later compile takes it instead
        CalibrationTable t = CalibrationTable.read(table);
        assertThat(t.batches()).isEqualTo(4);
        assertThat(t.method()).isEqualTo(CalibrationMethod.MAX);
        Graph again = compiledGraph(model, CompileSettings.defaults().withInt8(Int8Settings.fromTable(table)));
        assertThat(again.nodes().stream().filter(Ops::isQuantizationMarker).count()).isGreaterThanOrEqualTo(6);
    }

    @Test
    void weightMarkersSurviveThePipelineOnConstants() {
        Graph g = compiledGraph(Fixtures.copy("cnn.pt2", tmp),
                CompileSettings.defaults().withPrecision(Precision.FP16).withInt8(Int8Settings.calibrate(calibrationData(4))));
        List<Node> perChannel = g.nodes().stream().filter(n -> n.op().equals("aten::fake_quantize_per_channel_affine")).toList();
        assertThat(perChannel).isNotEmpty();
        for (Node n : perChannel) {
            // a constant weight (in the compile's precision) behind each: what the convolution converter takes as int8 weights
            assertThat(((dev.kiln.ir.Value) n.arg("self")).constant()).as(n.describe()).isPresent();
        }
    }

    @Test
    void badCalibrationInputsAreClearErrors() throws Exception {
        Path model = Fixtures.copy("cnn.pt2", tmp);
        assertThatThrownBy(() -> compiledGraph(model, CompileSettings.defaults().withInt8(Int8Settings.calibrate(calibrationData(1)))))
                .isInstanceOf(KilnException.class).hasMessageContaining("holds 1 samples, fewer than one batch of 2");
        Path two = tmp.resolve("two.npz");
        Npz.write(two, Map.of("x0", ConstantTensor.ofFloats(new long[] {2, 3, 16, 16}, new float[2 * 3 * 16 * 16]),
                "x1", ConstantTensor.ofFloats(new long[] {2}, 1f, 2f)));
        assertThatThrownBy(() -> compiledGraph(model, CompileSettings.defaults().withInt8(Int8Settings.calibrate(two))))
                .isInstanceOf(KilnException.class).hasMessageContaining("holds 2 inputs (x0, x1, ...) but the model takes 1");
        assertThatThrownBy(() -> compiledGraph(model, CompileSettings.defaults().withInt8(Int8Settings.fromTable(tmp.resolve("none.json")))))
                .isInstanceOf(KilnException.class).hasMessageContaining("none.json: no such calibration table");
        assertThatThrownBy(() -> new Int8Settings(java.util.Optional.empty(), java.util.Optional.empty(), CalibrationMethod.MAX, 99, 8))
                .hasMessageContaining("int8 needs calibration data");
        assertThat(Files.exists(tmp.resolve("none.json"))).isFalse();
        assertThatThrownBy(() -> compiledGraph(model, CompileSettings.defaults().withPrecision(Precision.BF16)
                .withInt8(Int8Settings.calibrate(calibrationData(4))))).isInstanceOf(KilnException.class)
                .hasMessageContaining("not bf16").hasMessageContaining("--precision fp16");
        assertThat(DType.FLOAT32.isFloatingPoint()).isTrue();
    }

    @Test
    void theGpuTestCountsConvolutionsTheInspectorShowsInInt8() {
        String json = "{\"Layers\": [{\"Name\": \"conv1\", \"LayerType\": \"CaskConvolution\", \"ParameterType\": \"Convolution\","
                + " \"Inputs\": [{\"Name\": \"x\", \"Format/Datatype\": \"Channel major INT8 format\"}],"
                + " \"Weights\": {\"Type\": \"Int8\", \"Count\": 432},"
                + " \"TacticName\": \"sm80_xmma_fprop_implicit_gemm_interleaved_i8i8_i8i32_f32\"},"
                + " {\"Name\": \"conv2\", \"ParameterType\": \"Convolution\", \"Weights\": {\"Type\": \"Half\"}},"
                + " {\"Name\": \"q\", \"LayerType\": \"Quantize\", \"Outputs\": [{\"Format/Datatype\": \"Row major INT8\"}]}]}";
        // conv1 runs in int8; conv2 does not; the lone quantize layer is no convolution
        assertThat(Int8GpuTest.int8Layers(json)).isEqualTo(1);
        assertThat(Int8GpuTest.int8Layers("{\"Layers\": [\"conv1\", \"relu\"]}")).isZero();
    }
}
