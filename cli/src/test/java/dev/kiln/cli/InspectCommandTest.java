package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.kiln.cli.CliRun.fixture;
import static dev.kiln.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTest {
    @TempDir
    Path dir;

    @Test
    void jsonSummaryOfTheDynamicBatchModel() throws IOException {
        CliRun r = run("inspect", fixture(dir, "dynbatch.pt2").toString(), "--format", "json");
        assertThat(r.rc()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("format").asText()).isEqualTo("pt2");
        assertThat(j.get("nodes").asInt()).isEqualTo(8);
        assertThat(j.get("ops").get("aten::conv2d").asInt()).isEqualTo(1);
        assertThat(j.get("ops").get("aten::softmax.int").asInt()).isEqualTo(1);
        assertThat(j.get("ops").get("aten::sym_size.int").asInt()).isEqualTo(1);
        JsonNode x = j.get("inputs").get(0);
        assertThat(x.get("dtype").asText()).isEqualTo("f32");
        assertThat(x.get("shape").toString()).isEqualTo("[{\"name\":\"s77\",\"min\":1,\"max\":64},3,8,8]");
        assertThat(j.get("outputs").get(0).get("shape").get(1).asInt()).isEqualTo(6);
    }

    @Test
    void theOutputsOfAModelThatReturnsADictAreNamedAfterItsKeys() throws IOException {
        CliRun r = run("inspect", fixture(dir, "dictout.pt2").toString(), "--format", "json");
        assertThat(r.rc()).as(r.err()).isZero();
        JsonNode outs = new ObjectMapper().readTree(r.out()).get("outputs");
        assertThat(outs).extracting(o -> o.get("name").asText()).containsExactly("logits", "hidden", "score");
        assertThat(outs.get(2).get("shape").toString()).isEqualTo("[4]");
    }

    @Test
    void opsOfTheCoreIrUseExactOverloads() throws IOException {
        CliRun r = run("inspect", fixture(dir, "cnn.core.pt2").toString(), "--format=json");
        assertThat(r.rc()).as(r.err()).isZero();
        JsonNode ops = new ObjectMapper().readTree(r.out()).get("ops");
        assertThat(ops.get("aten::convolution").asInt()).isEqualTo(2);
        assertThat(ops.get("aten::_native_batch_norm_legit_no_training").asInt()).isEqualTo(2);
        assertThat(ops.get("aten::mean.dim").asInt()).isEqualTo(1);
        assertThat(ops.has("aten::convolution.default")).isFalse();
    }

    @Test
    void textSummaryAndIr() throws IOException {
        CliRun r = run("inspect", fixture(dir, "mlp.pt2").toString(), "--print-ir");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("format     pt2").contains("input      %x: tensor<f32, [4, 16]>")
                .contains("aten::linear  2").contains("nodes      3")
                .contains("aten::relu(");
    }

    @Test
    void aBrokenFileIsOneClearLine() throws IOException {
        Path bad = dir.resolve("model.pt2");
        byte[] good = Files.readAllBytes(fixture(dir, "mlp.pt2"));
        Files.write(bad, java.util.Arrays.copyOf(good, good.length / 2));
        CliRun r = run("inspect", bad.toString());
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).startsWith("kiln: ").contains("model.pt2").doesNotContain("Exception");
    }

    @Test
    void torchScriptGivesTheSameJsonAsItsPt2Twin() throws IOException {
        // named .bin: the format comes from the contents, not the file name
        Path ts = Files.move(fixture(dir, "mlp.traced.pt"), dir.resolve("mlp-model.bin"));
        CliRun r = run("inspect", ts.toString(), "--format", "json", "--example-inputs", fixture(dir, "mlp.npz").toString());
        assertThat(r.rc()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        JsonNode twin = new ObjectMapper().readTree(run("inspect", fixture(dir, "mlp.pt2").toString(), "--format", "json").out());
        assertThat(j.get("format").asText()).isEqualTo("torchscript");
        assertThat(j.get("model").asText()).isEqualTo("mlp-model.bin");
        assertThat(j.get("ops")).isEqualTo(twin.get("ops"));
        assertThat(j.get("nodes")).isEqualTo(twin.get("nodes"));
        assertThat(j.get("inputs").get(0).get("dtype").asText()).isEqualTo("f32");
        assertThat(j.get("inputs").get(0).get("shape").toString()).isEqualTo("[4,16]");
        assertThat(j.get("constants")).isEqualTo(twin.get("constants"));
        assertThat(j.get("constant_bytes")).isEqualTo(twin.get("constant_bytes"));
        java.util.List<String> keys = new java.util.ArrayList<>();
        j.fieldNames().forEachRemaining(keys::add);
        java.util.List<String> twinKeys = new java.util.ArrayList<>();
        twin.fieldNames().forEachRemaining(twinKeys::add);
        twinKeys.removeAll(java.util.List.of("layout", "dialect", "torch_version"));
        assertThat(keys).containsExactlyElementsOf(twinKeys);
    }

    @Test
    void torchScriptWithoutExampleInputsHasUnknownInputTypes() throws IOException {
        CliRun r = run("inspect", fixture(dir, "cnn.scripted.pt").toString(), "--format=json");
        assertThat(r.rc()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("ops").get("aten::conv2d").asInt()).isEqualTo(2);
        assertThat(j.get("inputs").get(0).get("dtype").isNull()).isTrue();
        assertThat(j.get("inputs").get(0).get("shape").isNull()).isTrue();
    }

    @Test
    void aBrokenTorchScriptArchiveIsOneClearLine() throws IOException {
        Path bad = dir.resolve("model.pt");
        Files.write(bad, new byte[] {'P', 'K', 3, 4, 0, 0, 0});
        CliRun r = run("inspect", bad.toString());
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).startsWith("kiln: ").contains("model.pt").doesNotContain("Exception");
    }
}
