package dev.kiln.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResultsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode m(String model, int batch, String peer, double median) {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", model);
        o.put("batch", batch);
        o.put("peer", peer);
        o.put("precision", Report.precisionOf(peer));
        o.put("status", "ok");
        o.putObject("latency_ms").put("median", median).put("p99", median * 1.1);
        o.put("throughput", batch / (median / 1000));
        return o;
    }

    @Test
    void putReplacesTheSameModelBatchAndPeer() {
        ObjectNode r = Results.empty("kiln");
        Results.put(r, m("resnet50", 1, "kiln-fp32", 2));
        Results.put(r, m("resnet50", 32, "kiln-fp32", 20));
        Results.put(r, m("resnet50", 1, "kiln-fp32", 1.5));
        assertThat(r.get("measurements")).hasSize(2);
        assertThat(r.get("measurements").get(0).path("latency_ms").path("median").asDouble()).isEqualTo(1.5);
    }

    @Test
    void aSeededReMeasureKeepsTheEarlierColdFigures() {
        ObjectNode first = Results.empty("kiln");
        Results.put(first, m("resnet50", 1, "kiln-fp16", 0.40).put("compile_cold_s", 52.6).put("compile_warm_s", 2.9)
                .put("build_s", 51.3));
        Results.put(first, m("resnet50", 1, "onnx-trt-fp16", 0.41).put("build_s", 48.5).put("timing_cache", "cold"));
        Results.put(first, m("resnet50", 32, "kiln-fp16", 1.1).put("compile_cold_s", 42.4));
        ObjectNode second = Results.empty("kiln");
        Results.put(second, m("resnet50", 1, "kiln-fp16", 0.38).put("timing_cache", "seeded").put("compile_seeded_s", 4.1)
                .put("build_seeded_s", 3.0));
        Results.put(second, m("resnet50", 1, "onnx-trt-fp16", 0.39).put("timing_cache", "seeded").put("build_seeded_s", 3.5));
        // not seeded: a later cold measurement replaces everything, as before
        Results.put(second, m("resnet50", 32, "kiln-fp16", 1.0).put("compile_cold_s", 40.0));
        ObjectNode merged = Results.merge(List.of(first, second));
        JsonNode k = find(merged, 1, "kiln-fp16");
        assertThat(k.path("latency_ms").path("median").asDouble()).isEqualTo(0.38);
        assertThat(k.path("compile_cold_s").asDouble()).isEqualTo(52.6);
        assertThat(k.path("compile_warm_s").asDouble()).isEqualTo(2.9);
        assertThat(k.path("build_s").asDouble()).isEqualTo(51.3);
        assertThat(k.path("compile_seeded_s").asDouble()).isEqualTo(4.1);
        assertThat(k.path("cold_figures").asText()).isEqualTo("earlier run");
        JsonNode o = find(merged, 1, "onnx-trt-fp16");
        assertThat(o.path("build_s").asDouble()).isEqualTo(48.5);
        assertThat(o.path("cold_timing_cache").asText()).isEqualTo("cold");
        assertThat(o.path("timing_cache").asText()).isEqualTo("seeded");
        assertThat(find(merged, 32, "kiln-fp16").path("compile_cold_s").asDouble()).isEqualTo(40.0);
        assertThat(find(merged, 32, "kiln-fp16").has("cold_figures")).isFalse();
        // seeded with nothing earlier: no cold figure is made up
        ObjectNode alone = Results.merge(List.of(second));
        assertThat(find(alone, 1, "kiln-fp16").has("compile_cold_s")).isFalse();
        assertThat(find(alone, 1, "onnx-trt-fp16").has("build_s")).isFalse();
    }

    @Test
    void aRowALaterRunOnlySkippedKeepsItsMeasurementAndSaysWhichRunMeasuredIt() {
        ObjectNode first = Results.empty("torch");
        first.with("env").put("date", "2026-12-05T10:00:00Z").put("kiln", "aaaaaaa").put("gpu", "H100");
        Results.put(first, m("resnet50", 32, "autotune-fp32", 10.5));
        Results.put(first, m("resnet50", 32, "kiln-fp16", 1.1));
        Results.put(first, m("resnet50", 32, "compile-fp32", 13.0).put("status", "skipped").put("error", "timed out"));
        ObjectNode second = Results.empty("torch");
        second.with("env").put("date", "2026-12-05T15:00:00Z").put("kiln", "bbbbbbb").put("gpu", "H100");
        Results.put(second, m("resnet50", 32, "autotune-fp32", 0).put("status", "skipped").put("error", "timed out after 257 s"));
        Results.put(second, m("resnet50", 32, "kiln-fp16", 0).put("status", "error").put("error", "KilnException: no converter"));
        Results.put(second, m("resnet50", 32, "compile-fp32", 13.4));
        ObjectNode merged = Results.merge(List.of(first, second));
        JsonNode kept = find(merged, 32, "autotune-fp32");
        assertThat(kept.path("status").asText()).isEqualTo("ok");
        assertThat(kept.path("latency_ms").path("median").asDouble()).isEqualTo(10.5);
        assertThat(kept.path("run").path("date").asText()).isEqualTo("2026-12-05T10:00:00Z");
        assertThat(kept.path("later_attempt").asText()).isEqualTo("skipped — timed out after 257 s");
        // an error is news (a regression shows), and a later measurement wins as before
        assertThat(find(merged, 32, "kiln-fp16").path("status").asText()).isEqualTo("error");
        assertThat(find(merged, 32, "compile-fp32").path("latency_ms").path("median").asDouble()).isEqualTo(13.4);
        String md = Report.markdown(merged);
        assertThat(md).contains("| 32 | autotune-fp32 | 10.50 |").doesNotContain("resnet50 batch 32 autotune-fp32: skipped");
        // merging again changes nothing
        assertThat(Results.merge(List.of(merged)).get("measurements")).isEqualTo(merged.get("measurements"));
    }

    static ObjectNode part(String source, String date, String runId) {
        ObjectNode p = Results.empty(source);
        p.with("env").put("date", date).put("run_id", runId).put("gpu", "NVIDIA H200").put("driver", "580.159.04");
        return p;
    }

    @Test
    void aLaterSessionsPyTorchOnlyPartIsTheHeadersRunAndTheEarlierRowsSayWhichRunMeasuredThem() {
        // one run of bench/run.sh: its PyTorch and Java parts share the work folder's run_id
        ObjectNode torch = part("torch", "2026-12-05T11:50:00Z", "2026-12-05T11:49:00Z");
        torch.with("env").put("mode", "PyTorch peers only, groups export,eager");
        Results.put(torch, m("resnet50", 1, "eager-fp32", 3.6));
        ObjectNode kiln = part("kiln", "2026-12-05T11:58:08Z", "2026-12-05T11:49:00Z");
        kiln.with("env").put("kiln", "33fce00").put("mode", "full, groups kiln").put("tensorrt", "10.6.0")
                .put("javacpp_max_physical_bytes", 0);
        Results.put(kiln, m("resnet50", 1, "kiln-fp32", 1.256));
        ObjectNode earlier = Results.merge(List.of(torch, kiln));
        assertThat(earlier.path("measurements")).allSatisfy(r -> assertThat(r.has("run")).isFalse());
        assertThat(earlier.path("env").path("date").asText()).isEqualTo("2026-12-05T11:58:08Z");
        // the header names every group of the run, the Java runner's and PyTorch's, once however often it is merged
        assertThat(earlier.path("env").path("mode").asText()).isEqualTo("full, groups kiln; PyTorch groups export,eager");
        assertThat(Results.merge(List.of(earlier, torch, kiln)).path("env").path("mode").asText())
                .isEqualTo("full, groups kiln; PyTorch groups export,eager");

        // a later session timed max-autotune alone (no Java), and its file is merged last
        ObjectNode later = part("torch", "2026-12-05T16:04:31Z", "2026-12-05T16:04:31Z");
        later.with("env").put("mode", "PyTorch peers only, groups autotune");
        Results.put(later, m("resnet50", 1, "autotune-fp32", 2.303));
        ObjectNode all = Results.merge(List.of(earlier, later));
        JsonNode env = all.path("env");
        assertThat(env.path("date").asText()).isEqualTo("2026-12-05T16:04:31Z");
        assertThat(env.path("mode").asText()).isEqualTo("PyTorch peers only, groups autotune");
        assertThat(env.has("kiln")).isFalse();
        assertThat(env.has("javacpp_max_physical_bytes")).isFalse();
        assertThat(env.path("tensorrt").asText()).isEqualTo("10.6.0"); // a library's version stays
        assertThat(find(all, 1, "kiln-fp32").path("run").path("kiln").asText()).isEqualTo("33fce00");
        assertThat(find(all, 1, "eager-fp32").path("run").path("date").asText()).isEqualTo("2026-12-05T11:58:08Z");
        assertThat(find(all, 1, "autotune-fp32").has("run")).isFalse();
        String md = Report.markdown(all);
        assertThat(md).contains("| date | 2026-12-05T16:04:31Z |")
                .contains("| Kiln | not in this run (PyTorch peers only) |")
                .contains("| run | PyTorch peers only, groups autotune |")
                .contains("the run of 2026-12-05T11:58:08Z (Kiln 33fce00, NVIDIA H200 driver 580.159.04): resnet50");

        // two PyTorch-only sessions: the first one's rows name their run too
        ObjectNode third = part("torch", "2026-12-06T09:00:00Z", "2026-12-06T09:00:00Z");
        Results.put(third, m("resnet50", 32, "autotune-fp32", 10.0));
        ObjectNode both = Results.merge(List.of(earlier, later, third));
        assertThat(find(both, 1, "autotune-fp32").path("run").path("date").asText()).isEqualTo("2026-12-05T16:04:31Z");
        assertThat(find(both, 32, "autotune-fp32").has("run")).isFalse();
        assertThat(Report.markdown(both)).contains("the run of 2026-12-05T16:04:31Z (PyTorch peers only, NVIDIA H200 driver 580.159.04)");
        // merging again changes nothing
        assertThat(Results.merge(List.of(both)).get("measurements")).isEqualTo(both.get("measurements"));
    }

    private static JsonNode find(JsonNode merged, int batch, String peer) {
        for (JsonNode m : merged.path("measurements")) {
            if (m.path("batch").asInt() == batch && m.path("peer").asText().equals(peer)) {
                return m;
            }
        }
        throw new AssertionError("no " + peer + " at batch " + batch);
    }

    @Test
    void mergeLetsLaterPartsWinAndSortsDeterministically() {
        ObjectNode torch = Results.empty("torch");
        torch.with("env").put("gpu", "H100").put("torch", "2.11.0");
        Results.put(torch, m("bert_base", 1, "eager-fp32", 9));
        Results.put(torch, m("resnet50", 32, "eager-fp32", 30));
        Results.put(torch, m("resnet50", 1, "eager-fp16", 4));
        Results.put(torch, m("resnet50", 1, "eager-fp32", 5));
        torch.withArray("skipped").add("autotune resnet50: deadline");
        ObjectNode kiln = Results.empty("kiln");
        kiln.with("env").put("gpu", "NVIDIA H100 80GB HBM3").put("tensorrt", "10.6.0");
        Results.put(kiln, m("resnet50", 1, "kiln-fp16", 1));
        Results.put(kiln, m("resnet50", 1, "eager-fp32", 6)); // a later re-measurement wins
        Results.put(kiln, m("mystery", 1, "kiln-fp32", 1));

        ObjectNode all = Results.merge(List.of(torch, kiln));
        List<String> keys = new ArrayList<>();
        all.get("measurements").forEach(x -> keys.add(Results.key(x)));
        assertThat(keys).containsExactly("resnet50|1|eager-fp32", "resnet50|1|eager-fp16", "resnet50|1|kiln-fp16",
                "resnet50|32|eager-fp32", "bert_base|1|eager-fp32", "mystery|1|kiln-fp32");
        assertThat(all.get("measurements").get(0).path("latency_ms").path("median").asDouble()).isEqualTo(6.0);
        assertThat(all.path("env").path("gpu").asText()).isEqualTo("NVIDIA H100 80GB HBM3");
        assertThat(all.path("env").path("torch").asText()).isEqualTo("2.11.0");
        assertThat(all.path("env").path("tensorrt").asText()).isEqualTo("10.6.0");
        assertThat(all.path("skipped")).hasSize(1);
        assertThat(all.path("sources").toString()).isEqualTo("[\"torch\",\"kiln\"]");
        // merging is idempotent: a merged file merges to itself
        assertThat(Results.merge(List.of(all)).get("measurements")).isEqualTo(all.get("measurements"));
    }

    @Test
    void writeAndReadRoundTrip(@TempDir Path tmp) {
        ObjectNode r = Results.empty("kiln");
        Results.put(r, m("vit_b_16", 32, "onnx-trt-fp16", 7.25));
        Path f = tmp.resolve("sub/kiln.json");
        Results.write(f, r);
        JsonNode back = Results.read(f);
        assertThat(back).isEqualTo(r);
    }

    @Test
    void readsPythonsNonFiniteNumbers(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("torch.json");
        java.nio.file.Files.writeString(f, "{\"measurements\": [{\"model\": \"bert_base\", \"batch\": 1, "
                + "\"peer\": \"eager-fp16\", \"status\": \"ok\", \"rel_l2\": NaN, "
                + "\"latency_ms\": {\"median\": 2.0, \"p99\": Infinity}}]}");
        ObjectNode merged = Results.merge(List.of(Results.read(f)));
        JsonNode m = merged.get("measurements").get(0);
        assertThat(m.path("rel_l2").asDouble()).isNaN();
        assertThat(m.path("latency_ms").path("p99").asDouble()).isInfinite();
        // a NaN accuracy is shown, never left blank as if not measured
        assertThat(Report.markdown(merged)).contains("| 1 | eager-fp16 | 2.000 |  | ").contains("| NaN |");
        Results.write(tmp.resolve("back.json"), merged);
        assertThat(Results.read(tmp.resolve("back.json")).get("measurements").get(0).path("rel_l2").asDouble()).isNaN();
    }

    @Test
    void unreadableFilesAreNamed(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("bad.json");
        java.nio.file.Files.writeString(f, "[1, 2]");
        assertThatThrownBy(() -> Results.read(f)).hasMessageContaining("bad.json").hasMessageContaining("JSON object");
        assertThatThrownBy(() -> Results.read(tmp.resolve("none.json"))).hasMessageContaining("none.json");
    }
}
