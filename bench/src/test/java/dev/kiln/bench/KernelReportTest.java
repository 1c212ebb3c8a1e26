package dev.kiln.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Kernel records summed by name, an engine's profile record, and the side-by-side kernels.md. */
class KernelReportTest {
    @Test
    void theCollectorSumsLaunchesByNameMostTimeFirst() {
        KernelProfile.Collector c = new KernelProfile.Collector();
        c.add("gemm", 3000);
        c.add("softmax", 500);
        c.add("gemm", 3500);
        c.add("negative", -20); // a record whose end precedes its start counts as no time
        assertThat(c.kernels()).containsExactly(new KernelProfile.Kernel("gemm", 2, 6500), new KernelProfile.Kernel("softmax", 1, 500),
                new KernelProfile.Kernel("negative", 1, 0));
        c.clear();
        assertThat(c.kernels()).isEmpty();
    }

    static ObjectNode profile(String peer, Object... nameLaunchesNanos) {
        ObjectNode rec = Results.JSON.createObjectNode().put("model", "bert_base").put("batch", 1).put("precision", "fp32").put("peer", peer);
        List<KernelProfile.Kernel> ks = new java.util.ArrayList<>();
        for (int i = 0; i < nameLaunchesNanos.length; i += 3) {
            ks.add(new KernelProfile.Kernel((String) nameLaunchesNanos[i], (Integer) nameLaunchesNanos[i + 1], (Long) nameLaunchesNanos[i + 2]));
        }
        KernelRunner.fill(rec, ks, 10);
        return rec;
    }

    @Test
    void aProfileRecordIsPerRun() {
        ObjectNode rec = profile("kiln-fp32", "gemm_tn", 120, 1_200_000L, "__myl_MulSelMaxSubExpSumDivMul", 120, 240_000L);
        assertThat(rec.path("runs").asInt()).isEqualTo(10);
        assertThat(rec.path("kernels_per_run").asDouble()).isEqualTo(24.0);
        assertThat(rec.path("gpu_us_per_run").asDouble()).isEqualTo(144.0);
        assertThat(rec.path("kernels").get(0).path("name").asText()).isEqualTo("gemm_tn");
        assertThat(rec.path("kernels").get(0).path("launches_per_run").asDouble()).isEqualTo(12.0);
        assertThat(rec.path("kernels").get(0).path("us_per_run").asDouble()).isEqualTo(120.0);
    }

    @Test
    void kilnAndTheParserSideBySideLargestDifferenceFirst() {
        ObjectNode root = Results.JSON.createObjectNode();
        ArrayNode ps = root.putArray("profiles");
        ps.add(profile("kiln-fp32", "gemm_tn_128x32", 120, 1_300_000L, "ln", 240, 500_000L, "softmax_sel", 120, 200_000L));
        ps.add(profile("onnx-trt-fp32", "gemm_nn_32x32", 120, 1_100_000L, "ln", 240, 500_000L, "softmax_add", 120, 190_000L));
        ObjectNode broken = ps.addObject().put("model", "vit_b_16").put("batch", 1).put("precision", "fp16").put("peer", "kiln-fp16");
        broken.put("error", "KilnException: CUPTI (libcupti.so.12) is not usable | here");
        String md = KernelReport.markdown(root);
        assertThat(md).contains("## bert_base batch 1 fp32");
        assertThat(md).contains("Kiln: 200.0 µs of GPU time per run in 48 kernel launches; ONNX→TRT: 179.0 µs of GPU time per run in 48 kernel launches.");
        // 130 µs only in Kiln's engine, 110 µs only in the parser's, then the softmax kernels; ln is the same in both
        int tn = md.indexOf("| gemm_tn_128x32 | 130.00 | 12 |  |  | +130.00 |");
        int nn = md.indexOf("| gemm_nn_32x32 |  |  | 110.00 | 12 | -110.00 |");
        int sel = md.indexOf("| softmax_sel | 20.00 | 12 |  |  | +20.00 |");
        int ln = md.indexOf("| ln | 50.00 | 24 | 50.00 | 24 | +0.00 |");
        assertThat(tn).isPositive();
        assertThat(nn).isGreaterThan(tn);
        assertThat(sel).isGreaterThan(nn);
        assertThat(ln).isGreaterThan(sel);
        // an engine that could not be profiled says why, and the table does not break
        assertThat(md).contains("## vit_b_16 batch 1 fp16").contains("Kiln: not profiled (KilnException: CUPTI (libcupti.so.12) is not usable / here); ONNX→TRT: no engine.");
    }

    @Test
    void kernelsAreNamedAfterTheLayersWhoseTacticTheyAre(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path layers = tmp.resolve("bert_base_b1-kiln-fp32.json");
        java.nio.file.Files.writeString(layers, "{\"Layers\": [{\"Name\": \"aten__linear linear_3_4_myl0_6\", \"TacticName\": \"gemm_tn_128x32\"},"
                + " {\"Name\": \"aten__linear linear_9_4_myl0_16\", \"TacticName\": \"gemm_tn_128x32\"},"
                + " {\"Name\": \"__myl_MulSel_myl0_4\", \"TacticName\": \"__myl_MulSel_0x4a34\"}, \"Reformatting CopyNode\"]}");
        ObjectNode rec = profile("kiln-fp32", "gemm_tn_128x32", 120, 1_300_000L, "void __myl_MulSel_0x4a34(float*)", 120, 200_000L,
                "unmatched", 10, 1000L);
        KernelRunner.addLayers(rec, layers);
        assertThat(rec.path("kernels").get(0).path("layers").get(0).asText()).isEqualTo("aten__linear linear_3_4_myl0_6");
        assertThat(rec.path("kernels").get(0).path("layer_count").asInt()).isEqualTo(2);
        // a kernel name that holds a tactic's name (a signature around it) finds its layer
        assertThat(rec.path("kernels").get(1).path("layers").get(0).asText()).isEqualTo("__myl_MulSel_myl0_4");
        assertThat(rec.path("kernels").get(2).has("layers")).isFalse();
        ObjectNode root = Results.JSON.createObjectNode();
        root.putArray("profiles").add(rec);
        assertThat(KernelReport.markdown(root)).contains("| gemm_tn_128x32 | 130.00 | 12 |  |  | +130.00 | aten__linear linear_3_4_myl0_6 (+1);  |");
        // no layer file: nothing added
        ObjectNode bare = profile("kiln-fp32", "gemm", 1, 1L);
        KernelRunner.addLayers(bare, tmp.resolve("missing.json"));
        assertThat(bare.path("kernels").get(0).has("layers")).isFalse();
    }

    @Test
    void longKernelNamesAreCut() {
        assertThat(KernelReport.name("a".repeat(200))).hasSize(90).endsWith("...");
        assertThat(KernelReport.name("x|y")).isEqualTo("x/y");
    }

    @Test
    void theKernelsCommandParses() {
        BenchArgs a = BenchArgs.parse("kernels", "--work", "/tmp/w", "--models", "bert_base", "--batches", "1", "--out", "/tmp/o");
        assertThat(a.command()).isEqualTo("kernels");
        assertThat(a.models()).containsExactly("bert_base");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BenchArgs.parse("kernels", "--models", "x"))
                .hasMessageContaining("kernels needs --work DIR");
    }
}
