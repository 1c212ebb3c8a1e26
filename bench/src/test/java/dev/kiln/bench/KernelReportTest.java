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

    static KernelProfile.Interval k(long start, long end) {
        return new KernelProfile.Interval(KernelProfile.Activity.KERNEL, start, end);
    }

    @Test
    void aRunsSpanRunsFromTheFirstStartToTheLastEndAndItsIdleTimeIsWhatNoActivityCovers() {
        // two kernels overlapping (10-30, 20-40), a 10 ns gap, a copy (50-60), a 40 ns gap, a memset (100-105)
        KernelProfile.Run r = KernelProfile.Run.of(List.of(k(20, 40), new KernelProfile.Interval(KernelProfile.Activity.MEMSET, 100, 105),
                k(10, 30), new KernelProfile.Interval(KernelProfile.Activity.COPY, 50, 60)));
        assertThat(r.spanNs()).isEqualTo(95);
        assertThat(r.busyNs()).isEqualTo(30 + 10 + 5);
        assertThat(r.idleNs()).isEqualTo(50);
        assertThat(r.kernels()).isEqualTo(2);
        assertThat(r.copies()).isEqualTo(1);
        assertThat(r.copyNs()).isEqualTo(10);
        assertThat(r.memsets()).isEqualTo(1);
        // a kernel inside another adds nothing; touching ones leave no gap; an end before its start counts as none
        assertThat(KernelProfile.Run.of(List.of(k(0, 100), k(10, 20), k(100, 150), k(160, 150)))).isEqualTo(
                new KernelProfile.Run(160, 150, 4, 0, 0, 0));
        assertThat(KernelProfile.Run.of(List.of())).isEqualTo(new KernelProfile.Run(0, 0, 0, 0, 0, 0));
    }

    @Test
    void aTimelineGivesMediansAndCountsOnlyWhereEveryRunAgrees() {
        KernelProfile.Timeline t = new KernelProfile.Timeline(List.of(
                KernelProfile.Run.of(List.of(k(0, 1000), k(3000, 4000))),
                KernelProfile.Run.of(List.of(k(0, 1000), k(2000, 3000))),
                KernelProfile.Run.of(List.of(k(0, 1000), k(1000, 2000), new KernelProfile.Interval(KernelProfile.Activity.COPY, 2000, 2500)))));
        assertThat(t.medianSpanMicros()).isEqualTo(3.0);
        assertThat(t.medianIdleMicros()).isEqualTo(1.0);
        assertThat(t.kernelsPerRun()).isEqualTo(2);
        assertThat(t.copiesPerRun()).isEqualTo(-1);
        assertThat(t.memsetsPerRun()).isZero();
        ObjectNode rec = Results.JSON.createObjectNode();
        KernelRunner.fillTimeline(rec, t);
        assertThat(rec.toString()).isEqualTo("{\"runs\":3,\"span_us\":3.0,\"idle_us\":1.0,\"kernels\":2,\"copies\":-1,\"copy_us\":0.0,\"memsets\":0}");
        // an engine a graph cannot capture: the reason, no figures
        ObjectNode failed = Results.JSON.createObjectNode();
        KernelRunner.timeline(failed, () -> {
            throw new dev.kiln.ir.KilnException("TensorRT's work cannot be captured into a CUDA graph");
        });
        assertThat(failed.path("error").asText()).isEqualTo("KilnException: TensorRT's work cannot be captured into a CUDA graph");
        assertThat(failed.has("span_us")).isFalse();
    }

    @Test
    void theTwoEnginesTimelinesStandAboveTheKernelTable() {
        ObjectNode kiln = profile("kiln-fp32", "gemm", 10, 10_000L);
        KernelRunner.fillTimeline(kiln.putObject("stream"), new KernelProfile.Timeline(List.of(KernelProfile.Run.of(List.of(k(0, 1000), k(1500, 2000))))));
        KernelRunner.fillTimeline(kiln.putObject("graph"), new KernelProfile.Timeline(List.of(KernelProfile.Run.of(List.of(k(0, 1000), k(1100, 1600))))));
        ObjectNode onnx = profile("onnx-trt-fp32", "gemm", 10, 10_000L);
        KernelRunner.fillTimeline(onnx.putObject("stream"), new KernelProfile.Timeline(List.of(KernelProfile.Run.of(List.of(k(0, 1000), k(1200, 1700),
                new KernelProfile.Interval(KernelProfile.Activity.COPY, 1700, 1800))))));
        onnx.putObject("graph").put("error", "KilnException: cannot | capture");
        ObjectNode root = Results.JSON.createObjectNode();
        root.putArray("profiles").add(kiln).add(onnx);
        String md = KernelReport.markdown(root);
        assertThat(md).contains("| per run (median) | Kiln | ONNX→TRT | Kiln − ONNX |\n|---|---:|---:|---:|\n"
                + "| per call: GPU span µs | 2.0 | 1.8 | +0.2 |\n"
                + "| per call: idle µs | 0.5 | 0.2 | +0.3 |\n"
                + "| from a CUDA graph: GPU span µs | 1.6 |  |  |\n"
                + "| from a CUDA graph: idle µs | 0.1 |  |  |\n"
                + "| copies (µs), memsets per call | 0 (0.0), 0 | 1 (0.1), 0 | |\n"
                + "\nonnx-trt-fp32 graph: not profiled (KilnException: cannot / capture)\n");
        assertThat(md.indexOf("| per run (median)")).isLessThan(md.indexOf("| kernel | Kiln µs"));
        // profiles without timelines (earlier runs' kernels.json) give the kernel table alone
        assertThat(KernelReport.markdown(Results.JSON.createObjectNode().set("profiles", Results.JSON.createArrayNode()
                .add(profile("kiln-fp32", "gemm", 10, 10_000L))))).doesNotContain("per run (median)");
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
