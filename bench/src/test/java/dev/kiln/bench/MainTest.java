package dev.kiln.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.kiln.bench.ResultsTest.m;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MainTest {
    @Test
    void mergeWritesJsonAndMarkdownAndSkipsMissingParts(@TempDir Path tmp) throws Exception {
        ObjectNode torch = Results.empty("torch");
        Results.put(torch, m("mobilenet_v3_large", 32, "eager-fp32", 8));
        ObjectNode kiln = Results.empty("kiln");
        Results.put(kiln, m("mobilenet_v3_large", 32, "kiln-fp32", 2));
        Results.write(tmp.resolve("torch.json"), torch);
        Results.write(tmp.resolve("kiln.json"), kiln);
        Path out = tmp.resolve("out");
        Main.run(BenchArgs.parse("merge", "--out", out.toString(), "--kiln-version", "v1",
                tmp.resolve("torch.json").toString(), tmp.resolve("absent.json").toString(), tmp.resolve("kiln.json").toString()));
        ObjectNode merged = Results.read(out.resolve("results.json"));
        assertThat(merged.get("measurements")).hasSize(2);
        assertThat(merged.path("env").path("kiln").asText()).isEqualTo("v1");
        assertThat(merged.path("env").path("date").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        String md = Files.readString(out.resolve("results.md"));
        assertThat(md).contains("## mobilenet_v3_large").contains("| 32 | kiln-fp32 | 2.000 |").contains("4.00×");
    }

    @Test
    void loopsRunsTheRnnInKilnAndTorchScriptAndWritesBothFiles(@TempDir Path tmp) throws Exception {
        // real runs on the CPU: the command refuses to time a Kiln result that differs from TorchScript's
        Main.run(BenchArgs.parse("loops", "--out", tmp.toString(), "--quick"));
        var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tmp.resolve("loops.json").toFile());
        assertThat(root.get("rows")).hasSize(2);
        for (var row : root.get("rows")) {
            assertThat(row.get("steps").asInt()).isEqualTo(100);
            assertThat(row.get("kiln_ms").asDouble()).isPositive();
            assertThat(row.get("torchscript_ms").asDouble()).isPositive();
            assertThat(row.get("max_abs_diff").asDouble()).isLessThanOrEqualTo(1e-4);
        }
        assertThat(root.path("env").path("javacpp_max_physical_bytes").asLong()).isZero();
        assertThat(Files.readString(tmp.resolve("loops.md"))).contains("| 64 | 100 |").contains("| 512 | 100 |");
        assertThatThrownBy(() -> BenchArgs.parse("loops")).hasMessageContaining("loops needs --out DIR");
    }

    @Test
    void manifestSelectsAndOrdersEntries(@TempDir Path tmp) throws Exception {
        Path manifest = tmp.resolve("manifest.json");
        Files.writeString(manifest, "{\"entries\": ["
                + "{\"model\": \"bert_base\", \"batch\": 16, \"pt2\": \"bert_base_b16.pt2\", \"npz\": \"bert_base_b16.npz\"},"
                + "{\"model\": \"resnet50\", \"batch\": 32, \"pt2\": \"r32.pt2\", \"onnx\": \"r32.onnx\", \"onnx_fp16\": \"r32.fp16.onnx\", \"npz\": \"r32.npz\"},"
                + "{\"model\": \"resnet50\", \"batch\": 1, \"pt2\": \"r1.pt2\", \"npz\": \"r1.npz\"}]}");
        List<GpuRunner.Entry> all = GpuRunner.entries(manifest, List.of(), List.of());
        assertThat(all).extracting(GpuRunner.Entry::key).containsExactly("resnet50_b1", "resnet50_b32", "bert_base_b16");
        assertThat(all.get(1).onnxFp16()).isEqualTo("r32.fp16.onnx");
        assertThat(all.get(0).onnx()).isEmpty();
        assertThat(GpuRunner.entries(manifest, List.of("resnet50"), List.of(32))).extracting(GpuRunner.Entry::key)
                .containsExactly("resnet50_b32");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GpuRunner.entries(tmp.resolve("none.json"), List.of(), List.of()))
                .hasMessageContaining("export_and_time.py");
    }
}
