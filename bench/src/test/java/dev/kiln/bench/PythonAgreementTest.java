package dev.kiln.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.compiler.measure.Stats;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code export_and_time.py} (its helpers import no torch) summarizes timings with the same rules as
 * {@link Stats}, and its command line parses: both halves of a table must be computed alike. Skipped
 * where there is no {@code python3}.
 */
class PythonAgreementTest {
    private static final Path SCRIPT = Path.of("export_and_time.py").toAbsolutePath();

    private static String python(String code, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("python3", "-c", code));
        cmd.addAll(List.of(args));
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(SCRIPT.getParent().toFile()).redirectErrorStream(true);
            pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            p = pb.start();
        } catch (IOException e) {
            Assumptions.abort("no python3 here: " + e.getMessage());
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void summariesAgreeWithStats() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(SCRIPT), "run from the bench module");
        Random r = new Random(7);
        StringBuilder lists = new StringBuilder("[");
        double[][] samples = new double[6][];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = new double[1 + r.nextInt(i == 0 ? 1 : 250)];
            for (int k = 0; k < samples[i].length; k++) {
                samples[i][k] = Math.round(r.nextDouble() * 1e6) / 1e3;
            }
            lists.append(i > 0 ? "," : "").append(java.util.Arrays.toString(samples[i]));
        }
        lists.append("]");
        String out = python("import json, sys; import export_and_time as e; "
                + "print(json.dumps([e.summarize(s) for s in json.loads(sys.argv[1])]))", lists.toString());
        JsonNode got = new ObjectMapper().readTree(out.strip());
        for (int i = 0; i < samples.length; i++) {
            Stats s = Stats.of(samples[i]);
            assertThat(got.get(i).get("median").asDouble()).isCloseTo(s.median(), within(1e-9));
            assertThat(got.get(i).get("p99").asDouble()).isEqualTo(s.p99());
            assertThat(got.get(i).get("min").asDouble()).isEqualTo(s.min());
            assertThat(got.get(i).get("n").asInt()).isEqualTo(s.n());
        }
    }

    @Test
    void compareLayersPutsBothEnginesSideBySide(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(SCRIPT), "run from the bench module");
        Files.writeString(tmp.resolve("resnet50_b1-kiln-fp16.json"), "{\"Layers\": [\"conv_1 + relu_2\", "
                + "\"Reformatting CopyNode for Input Tensor 0 to fc\", \"fc_9\"]}");
        Files.writeString(tmp.resolve("resnet50_b1-onnx-trt-fp16.json"), "{\"Layers\": [{\"Name\": "
                + "\"/conv1/Conv + /relu/Relu\"}, {\"Name\": \"/fc/Gemm\"}]}");
        Files.writeString(tmp.resolve("vit_b_16_b1-kiln-fp16.json"), "{\"Layers\": []}"); // no ONNX partner
        String out = python("import sys, compare_layers as c; sys.exit(c.main(sys.argv[1:]))", tmp.toString());
        assertThat(out).contains("## resnet50_b1 fp16").doesNotContain("vit_b_16");
        assertThat(out).contains("| layers | 3 | 2 |").contains("| fused (' + ') | 1 | 1 |").contains("| reformat | 1 | 0 |");
        assertThat(out).contains("Kiln: 1 reformat/cast/shuffle/Myelin layers").contains("Reformatting CopyNode");
        // names only: no kernel table
        assertThat(out).doesNotContain("Kernels (TacticName)");
    }

    @Test
    void compareLayersListsTheKernelsOneEngineUsesMore(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(SCRIPT), "run from the bench module");
        // detailed layer information, as TensorRT's inspector writes it with ProfilingVerbosity kDETAILED
        Files.writeString(tmp.resolve("m_b1-kiln-fp16.json"), "{\"Layers\": [{\"Name\": \"a\", \"TacticName\": \"sm90_dw_k3\"},"
                + " {\"Name\": \"b\", \"TacticName\": \"sm90_dw_k3\"}, {\"Name\": \"c\", \"TacticName\": \"gemm_x\"}]}");
        Files.writeString(tmp.resolve("m_b1-onnx-trt-fp16.json"), "{\"Layers\": [{\"Name\": \"a\", \"TacticName\": \"sm80_dw_generic\"},"
                + " {\"Name\": \"b\", \"TacticName\": \"sm90_dw_k3\"}, {\"Name\": \"c\", \"TacticName\": \"gemm_x\"}]}");
        String out = python("import sys, compare_layers as c; sys.exit(c.main(sys.argv[1:]))", tmp.toString());
        assertThat(out).contains("Kernels (TacticName): Kiln 2 distinct in 3 layers, ONNX->TRT 3 in 3; 2 used a different number of times:");
        assertThat(out).contains("| sm80_dw_generic | 0 | 1 |").contains("| sm90_dw_k3 | 2 | 1 |").doesNotContain("| gemm_x |");
    }

    @Test
    void pendingCountsWhatTheWorkFolderStillLacks(@org.junit.jupiter.api.io.TempDir Path work) throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(SCRIPT), "run from the bench module");
        Files.createDirectories(work.resolve("models"));
        Files.createDirectories(work.resolve("results"));
        Files.writeString(work.resolve("models/manifest.json"), "{\"entries\": [{\"model\": \"bert_base\", \"batch\": 1},"
                + " {\"model\": \"bert_base\", \"batch\": 16}]}");
        Files.writeString(work.resolve("results/torch.json"), "{\"measurements\": ["
                + "{\"model\": \"bert_base\", \"batch\": 1, \"peer\": \"compile-fp32\", \"status\": \"ok\"},"
                + "{\"model\": \"bert_base\", \"batch\": 1, \"peer\": \"compile-fp16\", \"status\": \"skipped\"},"
                + "{\"model\": \"bert_base\", \"batch\": 16, \"peer\": \"compile-fp32\", \"status\": \"ok\"},"
                + "{\"model\": \"bert_base\", \"batch\": 16, \"peer\": \"compile-fp16\", \"status\": \"ok\"}]}");
        String code = "import sys, export_and_time as e; sys.exit(e.main(sys.argv[1:]))";
        String w = work.toString();
        // a skipped peer is still to measure
        assertThat(python(code, w, "--models", "bert_base", "--groups", "compile", "--pending").strip()).isEqualTo("1");
        assertThat(python(code, w, "--models", "bert_base", "--groups", "compile", "--batches-seq", "16", "--pending").strip())
                .isEqualTo("0");
        // gpt2_blocks: two exports and four compile peers missing, besides bert's one
        assertThat(python(code, w, "--models", "bert_base,gpt2_blocks", "--groups", "export,compile", "--pending").strip())
                .isEqualTo("7");
        assertThat(python(code, w, "--models", "bert_base", "--groups", "compile", "--redo", "--pending").strip()).isEqualTo("4");
    }

    @Test
    void eachTorchCompileWorkerHasItsOwnInductorCacheAndSaysWhetherItStartedWarm(@org.junit.jupiter.api.io.TempDir Path work)
            throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(SCRIPT), "run from the bench module");
        String code = "import sys, export_and_time as e; print(*e.inductor_cache(sys.argv[1], sys.argv[2], sys.argv[3]))";
        String w = work.toString();
        Path dir = work.resolve("inductor/autotune-resnet50");
        assertThat(python(code, w, "autotune", "resnet50").strip()).isEqualTo(dir + " cold");
        assertThat(dir).isDirectory();
        // still empty (the worker wrote nothing): still cold
        assertThat(python(code, w, "autotune", "resnet50").strip()).isEqualTo(dir + " cold");
        Files.writeString(dir.resolve("fxgraph"), "x");
        assertThat(python(code, w, "autotune", "resnet50").strip()).isEqualTo(dir + " warm");
        // another group or model starts cold
        assertThat(python(code, w, "compile", "resnet50").strip()).endsWith("compile-resnet50 cold");
    }

    @Test
    void commandLineParsesAndNamesTheModels() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(SCRIPT), "run from the bench module");
        String help = python("import sys, export_and_time as e; sys.argv = ['x', '--help']; e.main()");
        assertThat(help).contains("--groups").contains("--quick").contains("--deadline");
        String models = python("import export_and_time as e; print(','.join(e.MODELS))");
        assertThat(models.strip().split(",")).containsExactlyElementsOf(Results.MODELS);
    }
}
