package dev.kiln.cli;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.npy.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.kiln.cli.CliRun.fixture;
import static dev.kiln.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code kiln run --device cpu} and {@code kiln compile --dry-run}, on the CPU. */
class CpuRunAndDryRunTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mlp.pt2", "cnn.core.pt2", "dynbatch.pt2", "encoder.traced.pt", "cnn.scripted.pt", "dictout.pt2",
        "dictout.scripted.pt"})
    void runOnCpuMatchesPyTorch(String file) throws IOException {
        String model = file.substring(0, file.indexOf('.'));
        runMatches(file, model + ".npz");
    }

    /** Each output line names the model's output when it has a name of its own: a returned dict's key. */
    @Test
    void theOutputLinesNameADictsKeys() throws IOException {
        Path out = dir.resolve("dictout.out.npz");
        CliRun r = run("run", fixture(dir, "dictout.pt2").toString(), "--device", "cpu", "--inputs",
                fixture(dir, "dictout.npz").toString(), "--output", out.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("y0 (%logits): f32[4, 4]", "y1 (%hidden): f32[4, 32]", "y2 (%score): f32[4]");
        CliRun plain = run("run", fixture(dir, "mlp.pt2").toString(), "--device", "cpu", "--inputs",
                fixture(dir, "mlp.npz").toString(), "--output", dir.resolve("mlp.out.npz").toString());
        assertThat(plain.out()).containsPattern("(?m)^y0 \\(%[a-z_0-9]+\\): f32");
    }

    /**
     * torch.cond ({@code kiln::cond}, run by libtorch): each branch, the other taken with the inputs negated; and
     * torch.while_loop ({@code kiln::loop}): its trips and result, with more trips for inputs a hundred times larger.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"cond.pt2,cond.npz", "cond.pt2,cond.other.npz", "cond.core.pt2,cond.npz",
        "cond.core.pt2,cond.other.npz", "whileloop.pt2,whileloop.npz", "whileloop.pt2,whileloop.other.npz",
        "whileloop.core.pt2,whileloop.npz", "whileloop.core.pt2,whileloop.other.npz"})
    void controlFlowOfTorchExportMatchesPyTorch(String file, String io) throws IOException {
        runMatches(file, io);
    }

    /**
     * The same programs compiled to a {@code .kiln} archive (all in libtorch at FP32: too few nodes on either side for
     * an engine), which holds the branch's and the loop's number constants as operands, then run from the archive.
     */
    @ParameterizedTest
    @ValueSource(strings = {"cond", "whileloop"})
    void controlFlowOfTorchExportRunsFromACompiledArchive(String model) throws IOException {
        Path archive = dir.resolve(model + ".kiln");
        CliRun c = run("compile", fixture(dir, model + ".pt2").toString(), "-o", archive.toString());
        assertThat(c.rc()).as(c.err()).isZero();
        for (String io : List.of(model + ".npz", model + ".other.npz")) {
            Path npz = fixture(dir, io);
            Path out = dir.resolve(model + ".kiln.out.npz");
            CliRun r = run("run", archive.toString(), "--inputs", npz.toString(), "--output", out.toString());
            assertThat(r.rc()).as(r.err()).isZero();
            assertSameOutputs(npz, out);
        }
    }

    private void runMatches(String file, String io) throws IOException {
        String model = file.substring(0, file.indexOf('.'));
        Path npz = fixture(dir, io);
        Path out = dir.resolve(model + ".out.npz");
        CliRun r = run("run", fixture(dir, file).toString(), "--device", "cpu", "--inputs", npz.toString(), "--output", out.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote " + out).contains("libtorch on the cpu");
        assertSameOutputs(npz, out);
    }

    /** The outputs written to {@code out} are PyTorch's in {@code npz} ({@code y0, y1, ...}). */
    private static void assertSameOutputs(Path npz, Path out) throws IOException {
        List<ConstantTensor> want = Npz.series(Npz.read(npz), "y", "want");
        Map<String, ConstantTensor> got = Npz.read(out);
        assertThat(got.keySet()).hasSize(want.size());
        for (int i = 0; i < want.size(); i++) {
            ConstantTensor g = got.get("y" + i);
            assertThat(g.sizes()).containsExactly(want.get(i).sizes());
            for (long k = 0; k < g.numel(); k++) {
                assertThat(g.getDouble(k)).isCloseTo(want.get(i).getDouble(k), org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }

    @Test
    void f64InputsAreConvertedAsOnTheGpu() throws IOException {
        // NumPy writes f64 by default: the f32 model runs on the values converted, and gives PyTorch's outputs
        Map<String, ConstantTensor> npz = Npz.read(fixture(dir, "cnn.npz"));
        ConstantTensor x = npz.get("x0");
        java.nio.ByteBuffer b = ConstantTensor.allocate(dev.kiln.ir.DType.FLOAT64, x.sizes());
        for (long i = 0; i < x.numel(); i++) {
            b.putDouble((int) (i * 8), x.getDouble(i));
        }
        Path f64 = dir.resolve("x64.npz");
        Npz.write(f64, Map.of("x0", new ConstantTensor(dev.kiln.ir.DType.FLOAT64, x.sizes(), b)));
        Path out = dir.resolve("o64.npz");
        CliRun r = run("run", fixture(dir, "cnn.pt2").toString(), "--device", "cpu", "--inputs", f64.toString(), "--output", out.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        ConstantTensor want = npz.get("y0");
        ConstantTensor got = Npz.read(out).get("y0");
        for (long k = 0; k < want.numel(); k++) {
            assertThat(got.getDouble(k)).isCloseTo(want.getDouble(k), org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void wrongInputsAreRefusedBeforeTheCompile() throws IOException {
        // no GPU here: the refusal must come from the inputs, before anything loads CUDA or TensorRT
        Path bad = dir.resolve("bad.npz");
        Npz.write(bad, Map.of("x0", new ConstantTensor(dev.kiln.ir.DType.FLOAT32, new long[] {2, 3, 16, 15},
                ConstantTensor.allocate(dev.kiln.ir.DType.FLOAT32, 2, 3, 16, 15))));
        Path model = fixture(dir, "cnn.pt2");
        CliRun r = run("run", model.toString(), "--inputs", bad.toString(), "--output", dir.resolve("o.npz").toString());
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains(bad + ": input x0 (%x) has sizes [2, 3, 16, 15]").contains("dimension 3 must be 16")
                .contains(model.toString()).doesNotContain("CUDA");
        assertThat(dir.resolve("o.npz")).doesNotExist();
    }

    @Test
    void aTorchScriptModelWithoutInputSpecsIsCompiledForTheNpzShapes() throws IOException {
        // TorchScript records no input shapes: the .npz's are used, so the run gets as far as the GPU (none here),
        // instead of stopping at "give input x0 ... with --input"
        Path npz = fixture(dir, "cnn.npz");
        CliRun r = run("run", fixture(dir, "cnn.scripted.pt").toString(), "--inputs", npz.toString(), "--output",
                dir.resolve("o.npz").toString());
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).doesNotContain("does not record its input shapes").containsAnyOf("CUDA", "libcuda", "GPU");
    }

    @Test
    void runOnCudaDeviceIsRefusedClearly() throws IOException {
        CliRun r = run("run", fixture(dir, "mlp.pt2").toString(), "--device", "cuda", "--inputs", fixture(dir, "mlp.npz").toString(),
                "--output", dir.resolve("o.npz").toString());
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("only cpu is supported");
    }

    @Test
    void dryRunWithCalibrationShowsTheInt8MarkersInTensorRtAndWritesTheTable() throws IOException {
        // calibration data: the fixture's two samples, four times (samples along the first dimension)
        dev.kiln.ir.ConstantTensor x = Npz.read(fixture(dir, "cnn.npz")).get("x0");
        java.nio.ByteBuffer b = dev.kiln.ir.ConstantTensor.allocate(x.dtype(), 8, 3, 16, 16);
        for (int i = 0; i < 4; i++) {
            b.put(x.data());
        }
        b.flip();
        Path calib = dir.resolve("calib.npz");
        Npz.write(calib, Map.of("x0", new dev.kiln.ir.ConstantTensor(x.dtype(), new long[] {8, 3, 16, 16}, b)));
        Path table = dir.resolve("calib.json");
        CliRun r = run("compile", "--dry-run", fixture(dir, "cnn.pt2").toString(), "--precision", "fp16", "--calibration", calib.toString(),
                "--calibration-table", table.toString(), "--calibration-method", "percentile");
        assertThat(r.rc()).as(r.err()).isZero();
        // the markers are placed in TensorRT, converted by the int8 converters
        assertThat(r.out()).contains("aten::fake_quantize_per_tensor_affine").contains("aten::fake_quantize_per_channel_affine")
                .contains("converted by PerTensor").contains("converted by PerChannel");
        assertThat(java.nio.file.Files.readString(table)).contains("\"method\" : \"percentile\"").contains("\"batches\" : 4");
        // the table alone is enough for a later compile
        CliRun again = run("compile", "--dry-run", fixture(dir, "cnn.pt2").toString(), "--calibration-table", table.toString());
        assertThat(again.rc()).as(again.err()).isZero();
        assertThat(again.out()).contains("aten::fake_quantize_per_channel_affine");
        CliRun bad = run("compile", "--dry-run", fixture(dir, "cnn.pt2").toString(), "--calibration", calib.toString(),
                "--calibration-method", "median");
        assertThat(bad.rc()).isEqualTo(1);
        assertThat(bad.err()).contains("unknown calibration method 'median'; use max, percentile or entropy");
    }

    @Test
    void dryRunPrintsTheSupportReportAndWritesHtml() throws IOException {
        Path html = dir.resolve("report.html");
        CliRun r = run("compile", "--dry-run", fixture(dir, "cnn.pt2").toString(), "--report", html.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("partition of graph").contains("segments:").contains("nodes:").contains("aten::max_pool2d");
        // the reasons come from the converter registry (RegistryCapability names the converter)
        assertThat(r.out()).contains("converted by ").doesNotContain("converted by a tensorrt converter");
        String page = Files.readString(html);
        assertThat(page).contains("<svg").contains("aten::max_pool2d");
        for (String line : r.out().substring(r.out().indexOf("nodes:\n") + 7).split("\n")) {
            String name = line.strip().split("\\s+")[0];
            if (!name.equals("node") && !name.isEmpty()) {
                assertThat(page).as("node " + name).contains(">" + name + "<");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp.pt2", "cnn.core.pt2", "encoder.pt2", "encoder.core.pt2", "dynbatch.pt2"})
    void partitionAgreesWithTheConverterRegistry(String file) throws IOException {
        dev.kiln.ir.Graph g = dev.kiln.compiler.Kiln.load(fixture(dir, file));
        dev.kiln.backend.tensorrt.ConverterRegistry registry = dev.kiln.backend.tensorrt.ConverterRegistry.standard();
        dev.kiln.backend.tensorrt.ConverterSettings cs = dev.kiln.backend.tensorrt.EngineBuilder.settingsFor(g, dev.kiln.passes.Precision.FP32);
        dev.kiln.compiler.CompilePipeline.run(g, dev.kiln.passes.Precision.FP32, java.util.Set.of(), n -> registry.lookup(n, cs).supported());
        dev.kiln.partition.Partition p = dev.kiln.partition.Partitioner.partition(g,
                new dev.kiln.backend.tensorrt.partition.RegistryCapability(registry, cs), dev.kiln.partition.PartitionSettings.defaults());
        List<String> refused = dev.kiln.backend.tensorrt.UnsupportedNodes.find(g, registry, cs).stream()
                .map(x -> x.node().name() + ": " + x.reason()).toList();
        List<String> unsupported = p.placements().stream().filter(x -> x.why() == dev.kiln.partition.Why.UNSUPPORTED)
                .map(x -> x.node().name() + ": " + x.reason()).toList();
        assertThat(unsupported).isEqualTo(refused);
        // the dry run reports the compile's own decision: a graph that converts whole is one engine whatever its size
        dev.kiln.partition.Partition compiled = dev.kiln.compiler.hybrid.HybridCompiler.partition(g,
                new dev.kiln.backend.tensorrt.partition.RegistryCapability(registry, cs), dev.kiln.partition.PartitionSettings.defaults());
        if (refused.isEmpty()) {
            assertThat(compiled.tensorrtNodeCount()).isEqualTo(g.nodes().size());
        }
        CliRun r = run("compile", "--dry-run", fixture(dir, file).toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains(dev.kiln.partition.SupportReport.summary(compiled)).contains("min_block_size=5");
    }

    @Test
    void dryRunHonoursOverridesAndWritesJson() throws IOException {
        Path json = dir.resolve("report.json");
        CliRun r = run("compile", "--dry-run", fixture(dir, "mlp.pt2").toString(), "--torch-ops", "aten::relu",
                "--min-block-size", "1", "--report", json.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("user-op").contains("op aten::relu is forced to torch by the user");
        assertThat(Files.readString(json)).contains("\"torch_ops\": [\"aten::relu\"]").contains("\"why\": \"user-op\"");
    }

    @Test
    void requireFullCompilationListsTheForcedNodes() throws IOException {
        CliRun r = run("compile", "--dry-run", fixture(dir, "mlp.pt2").toString(), "--torch-ops", "aten::relu",
                "--require-full-compilation");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("require_full_compilation").contains("aten::relu");
    }

    @Test
    void compileWithoutOutputOrDryRunIsRefused() throws IOException {
        CliRun r = run("compile", fixture(dir, "mlp.pt2").toString());
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err()).contains("--output=ENGINE").contains("--dry-run");
    }
}
