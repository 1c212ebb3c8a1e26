package dev.kiln.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.kiln.bench.ResultsTest.m;
import static org.assertj.core.api.Assertions.assertThat;

class ReportTest {
    static ObjectNode sample() {
        ObjectNode torch = Results.empty("torch");
        torch.with("env").put("gpu", "NVIDIA H100 80GB HBM3").put("driver", "580.65").put("torch", "2.11.0");
        Results.put(torch, m("resnet50", 1, "eager-fp32", 10).put("rel_l2", 0.0).put("peak_mem_mib", 120.5));
        Results.put(torch, m("resnet50", 1, "eager-fp16", 6).put("rel_l2", 1.2e-3));
        ObjectNode failed = m("resnet50", 1, "compile-fp32", 1);
        failed.put("status", "skipped").put("error", "timed out after 240 s");
        Results.put(torch, failed);
        Results.put(torch, m("resnet50", 1, "compile-fp16", 0.9).put("compile_s", 14.25).put("inductor_cache", "warm"));
        Results.put(torch, m("resnet50", 1, "autotune-fp16", 0.8).put("compile_s", 95.0).put("inductor_cache", "cold"));
        ObjectNode kiln = Results.empty("kiln");
        kiln.with("env").put("tensorrt", "10.6.0").put("date", "2026-11-22T04:00:00Z").put("kiln", "abc123");
        Results.put(kiln, m("resnet50", 1, "onnx-trt-fp32", 3).put("build_s", 21.5).put("layers", 80));
        Results.put(kiln, m("resnet50", 1, "onnx-trt-fp16", 1.2).put("layers", 60).put("build_s", 9.0)
                .put("timing_cache", "shared"));
        ObjectNode k32 = m("resnet50", 1, "kiln-fp32", 2).put("compile_cold_s", 30.25).put("compile_warm_s", 8.5)
                .put("engine_load_s", 0.12).put("layers", 85).put("fused_layers", 30)
                .put("myelin_layers", 0).put("reformat_layers", 4).put("gpu_mem_mib", 130.0).put("rel_l2", 2e-6);
        k32.putObject("overhead").put("forward_us", 2100.0).put("bare_us", 2080.0).put("overhead_us", 20.0)
                .put("paired_overhead_us", 3.5).put("pairs", 300);
        Results.put(kiln, k32);
        Results.put(kiln, m("resnet50", 1, "kiln-fp16", 1.0).put("rel_l2", 8e-4));
        ObjectNode broken = m("bert_base", 16, "kiln-fp16", 1);
        broken.put("status", "error").put("error", "KilnException: no converter for aten::foo\nat node 3 | more");
        Results.put(kiln, broken);
        return Results.merge(List.of(torch, kiln));
    }

    @Test
    void onnxBuildTimesSayHowTheyWereMeasured() {
        assertThat(Report.onnxBuildSeconds(m("gpt2_blocks", 1, "onnx-trt-fp16", 0.5).put("build_s", 10.04)))
                .isEqualTo("10.0");
        assertThat(Report.onnxBuildSeconds(m("gpt2_blocks", 1, "onnx-trt-fp16", 0.5).put("build_s", 6.1)
                .put("timing_cache", "shared"))).isEqualTo("6.1 (warm cache)");
        assertThat(Report.onnxBuildSeconds(m("gpt2_blocks", 1, "onnx-trt-fp16", 0.5).put("build_seeded_s", 9.11)
                .put("timing_cache", "seeded"))).isEqualTo("9.1 (seeded)");
        ObjectNode failed = m("bert_base", 1, "onnx-trt-fp16", 0.5).put("build_s", 3.0);
        failed.put("status", "error");
        assertThat(Report.onnxBuildSeconds(failed)).isEmpty();
    }

    @Test
    void torchCompileTimesSayHowTheyWereMeasured() {
        assertThat(Report.torchCompileSeconds(m("vit_b_16", 1, "autotune-fp32", 1).put("compile_s", 212.34)
                .put("inductor_cache", "cold").put("concurrent_compiles", 3))).isEqualTo("212.3 (3 compiling at once)");
        assertThat(Report.torchCompileSeconds(m("vit_b_16", 1, "autotune-fp16", 1).put("compile_s", 40.0)
                .put("inductor_cache", "warm").put("compile_timed_out_s", 300.0).put("concurrent_compiles", 3)))
                .isEqualTo("40.0 (warm cache, after a 300 s time-out, 3 compiling at once)");
        assertThat(Report.torchCompileSeconds(m("mobilenet_v3_large", 1, "autotune-fp32", 1).put("compile_s", 95.0)
                .put("inductor_cache", "seeded")))
                .isEqualTo("95.0 (autotuning results of an earlier session)");
        assertThat(Report.torchCompileSeconds(m("vit_b_16", 1, "compile-fp16", 1).put("compile_s", 12.0)
                .put("inductor_cache", "cold").put("concurrent_compiles", 1))).isEqualTo("12.0");
        assertThat(Report.torchCompileSeconds(m("resnet50", 1, "autotune-fp32", 2.1).put("compile_s", 124.07)
                .put("inductor_cache", "cold").put("inductor_pool", "split")))
                .isEqualTo("124.1 (candidates compiled in-process)");
        assertThat(Report.torchCompileSeconds(m("resnet50", 1, "autotune-fp32", 2.1).put("compile_s", 300.0)
                .put("inductor_cache", "warm").put("inductor_pool", "threads"))).isEqualTo("300.0 (warm cache, no compile pool)");
        ObjectNode failed = m("vit_b_16", 1, "autotune-fp16", 1).put("compile_s", 12.0);
        failed.put("status", "error");
        assertThat(Report.torchCompileSeconds(failed)).isEmpty();
    }

    @Test
    void headerNamesTheMachineAndVersions() {
        String md = Report.markdown(sample());
        assertThat(md).startsWith("# Kiln bench results");
        assertThat(md).contains("| date | 2026-11-22T04:00:00Z |");
        assertThat(md).contains("| GPU | NVIDIA H100 80GB HBM3 (driver 580.65) |");
        assertThat(md).contains("| TensorRT | 10.6.0");
        assertThat(md).contains("| torch | 2.11.0");
        assertThat(md).contains("| Kiln | abc123 |");
    }

    @Test
    void modelTableHasSpeedupsAndKilnRatios() {
        String md = Report.markdown(sample());
        assertThat(md).contains("## resnet50");
        // eager fp32 10 ms; eager fp16 6 ms is 1.67x eager, and Kiln fp16 (1 ms) is 6x faster than it
        assertThat(md).contains("| 1 | eager-fp16 | 6.000 | 6.600 | 167 | 1.67× | 6.00× | 1.2e-03 |  |");
        assertThat(md).contains("| 1 | eager-fp32 | 10.00 | 11.00 | 100 | 1.00× | 5.00× | 0.0e+00 | 121 |");
        // ONNX->TRT fp32 3 ms against Kiln fp32 2 ms
        assertThat(md).contains("| 1 | onnx-trt-fp32 | 3.000 | 3.300 | 333 | 3.33× | 1.50× |");
        // Kiln's own rows have no ratio to themselves
        assertThat(md).contains("| 1 | kiln-fp32 | 2.000 | 2.200 | 500 | 5.00× |  | 2.0e-06 | 130 |");
        assertThat(md).contains("| 1 | compile-fp32 | skipped |");
        int eager = md.indexOf("| eager-fp32 |");
        int onnx = md.indexOf("| onnx-trt-fp32 |");
        int kiln = md.indexOf("| kiln-fp32 |");
        assertThat(eager).isLessThan(onnx);
        assertThat(onnx).isLessThan(kiln);
    }

    @Test
    void kilnTableAndProblems() {
        String md = Report.markdown(sample());
        assertThat(md).contains("## Kiln compile, engines and per-call overhead");
        // the torch.compile peer at fp32 was skipped and max-autotune never ran: blank, not zero
        assertThat(md).contains("| resnet50 | 1 | fp32 | 30.3 | 8.5 | 0.12 | 21.5 |  |  |  | 85 / 30 / 0 / 4 | 80 | 2100.0 | 2080.0 | 20.0 | 3.5 |");
        assertThat(md).contains("| resnet50 | 1 | fp16 |").contains("| 9.0 (warm cache) | 14.3 (warm cache) | 95.0 |");
        assertThat(md).contains("## Not measured");
        assertThat(md).contains("- resnet50 batch 1 compile-fp32: skipped — timed out after 240 s");
        // multi-line errors and table pipes never break the Markdown
        assertThat(md).contains("- bert_base batch 16 kiln-fp16: error — KilnException: no converter for aten::foo at node 3 / more");
    }

    /** {@code m} with a CUDA-graph replay median, as the graph group records it. */
    static ObjectNode withGraph(ObjectNode m, double median) {
        m.putObject("graph").putObject("latency_ms").put("median", median);
        return m;
    }

    @Test
    void graphTablePutsBothEnginesSideBySide() {
        ObjectNode kiln = Results.empty("kiln");
        Results.put(kiln, withGraph(m("mobilenet", 1, "kiln-fp16", 0.9), 0.25));
        Results.put(kiln, withGraph(m("mobilenet", 1, "onnx-trt-fp16", 0.6), 0.30));
        ObjectNode k32 = m("mobilenet", 32, "kiln-fp32", 2.0).put("graph_error", "enqueueV3 failed");
        Results.put(kiln, k32);
        Results.put(kiln, m("mobilenet", 32, "onnx-trt-fp32", 2.2));
        String md = Report.markdown(Results.merge(List.of(kiln)));
        assertThat(md).contains("## Kiln and ONNX→TensorRT engines replayed from a CUDA graph");
        // from a graph Kiln is 1.2x faster although its stream timing was 0.67x the ONNX engine's
        assertThat(md).contains("| mobilenet | 1 | fp16 | 0.250 | 0.300 | 1.20× | 0.900 | 0.600 | 0.67× |");
        // an engine TensorRT could not capture says so; the stream columns stay
        assertThat(md).contains("| mobilenet | 32 | fp32 | not capturable |  |  | 2.000 | 2.200 | 1.10× |");
        // runs without the graph group have no such table
        assertThat(Report.markdown(sample())).doesNotContain("replayed from a CUDA graph");
    }

    @Test
    void maxAutotuneWhichReplaysCudaGraphsIsSetBesideKilnFromACudaGraph() {
        ObjectNode torch = Results.empty("torch");
        Results.put(torch, m("efficientnet_b0", 1, "autotune-fp32", 0.896));
        Results.put(torch, m("efficientnet_b0", 1, "autotune-fp16", 1.243));
        Results.put(torch, m("efficientnet_b0", 32, "autotune-fp32", 3.247));
        ObjectNode failed = m("efficientnet_b0", 32, "autotune-fp16", 1);
        failed.put("status", "skipped").put("error", "timed out after 310 s");
        Results.put(torch, failed);
        ObjectNode kiln = Results.empty("kiln");
        Results.put(kiln, withGraph(m("efficientnet_b0", 1, "kiln-fp32", 0.988), 0.590));
        Results.put(kiln, withGraph(m("efficientnet_b0", 1, "kiln-fp16", 0.896), 0.425));
        Results.put(kiln, m("efficientnet_b0", 32, "kiln-fp32", 2.901));  // no graph group: no row
        Results.put(kiln, withGraph(m("efficientnet_b0", 32, "kiln-fp16", 1.5), 1.4));  // no autotune to set beside
        Results.put(kiln, withGraph(m("efficientnet_b0", 1, BenchArgs.FP32_ACC_PEER, 1.4), 1.3));
        String md = Report.markdown(Results.merge(List.of(torch, kiln)));
        assertThat(md).contains("## Kiln from a CUDA graph against max-autotune");
        // per call Kiln's host-bound 0.988 ms reads slower than max-autotune's graph replay; from a graph, 1.52x faster
        assertThat(md).contains("| efficientnet_b0 | 1 | fp32 | 0.590 | 0.896 | 1.52× | 0.988 | 0.91× |");
        // the model's own table carries the graph ratio beside the per-call one, where Kiln has a graph row
        assertThat(md).contains("| 1 | autotune-fp32 | 0.896 | 0.986 | 1116 |  | 0.91× (graph 1.52×) |");
        assertThat(md).contains("| 32 | autotune-fp32 | 3.247 | 3.572 | 9855 |  | 1.12× |");
        assertThat(md).contains("| efficientnet_b0 | 1 | fp16 | 0.425 | 1.243 | 2.92× | 0.896 | 1.39× |");
        String section = md.substring(md.indexOf("## Kiln from a CUDA graph against max-autotune"));
        section = section.substring(0, section.indexOf("\n## "));
        assertThat(section).doesNotContain("| efficientnet_b0 | 32 |").doesNotContain("fp32 acc");
        // runs without autotune or without graphs have no such table
        assertThat(Report.markdown(sample())).doesNotContain("against max-autotune");
    }

    @Test
    void theSummaryGivesEachPeersRangeOverEveryCellNamingTheCellsAtItsEnds() {
        ObjectNode torch = Results.empty("torch");
        Results.put(torch, m("vit_b_16", 32, "autotune-fp32", 29.09));
        Results.put(torch, m("resnet50", 1, "autotune-fp16", 0.764));
        Results.put(torch, m("resnet50", 1, "eager-fp16", 4.78));
        ObjectNode kiln = Results.empty("kiln");
        Results.put(kiln, withGraph(m("vit_b_16", 32, "kiln-fp32", 28.70), 28.52));
        Results.put(kiln, m("vit_b_16", 32, "onnx-trt-fp32", 28.79));
        ObjectNode r = withGraph(m("resnet50", 1, "kiln-fp16", 0.382), 0.36);
        r.putObject("turns").put("kiln_ms", 0.38).put("onnx_ms", 0.40).put("ratio", 1.05).put("pairs", 300);
        Results.put(kiln, r);
        Results.put(kiln, m("resnet50", 1, "onnx-trt-fp16", 0.378));
        Results.put(kiln, m("mobilenet", 1, "kiln-fp32", 0.5));  // no peer beside it: no cell
        Results.put(kiln, m("resnet50", 1, BenchArgs.FP32_ACC_PEER, 0.1));  // not Kiln's own precision: no cell
        String md = Report.markdown(Results.merge(List.of(torch, kiln)));
        // first, before the model tables
        assertThat(md.indexOf("## Kiln against each peer, every cell")).isPositive().isLessThan(md.indexOf("## vit_b_16"));
        // per call: ViT 28.79 / 28.70 = 1.00x, ResNet-50 0.378 / 0.382 = 0.99x; median of the two 1.00x
        assertThat(md).contains("| ONNX→TensorRT, per call | 2 | 0.99× (resnet50 b1 fp16) | 1.00× | 1.00× (vit_b_16 b32 fp32) |");
        assertThat(md).contains("| ONNX→TensorRT, in turns | 1 | 1.05× (resnet50 b1 fp16) | 1.05× | 1.05× (resnet50 b1 fp16) |");
        // max-autotune: 29.09 / 28.70 = 1.01x and 0.764 / 0.382 = 2.00x per call; from Kiln's graph 1.02x and 2.12x
        assertThat(md).contains("| max-autotune, per call | 2 | 1.01× (vit_b_16 b32 fp32) | 1.51× | 2.00× (resnet50 b1 fp16) |");
        assertThat(md).contains("| max-autotune, against Kiln's graph | 2 | 1.02× (vit_b_16 b32 fp32) | 1.57× | 2.12× (resnet50 b1 fp16) |");
        assertThat(md).contains("| eager, per call | 1 | 12.51× (resnet50 b1 fp16) | 12.51× | 12.51× (resnet50 b1 fp16) |");
        // no ONNX graph replay and no torch.compile default here: no such rows
        assertThat(md).doesNotContain("ONNX→TensorRT, from a CUDA graph |").doesNotContain("torch.compile (default), per call |")
                .doesNotContain("mobilenet b1").doesNotContain("0.1×");
        // a run without Kiln rows has no summary
        ObjectNode onlyTorch = Results.empty("torch");
        Results.put(onlyTorch, m("resnet50", 1, "eager-fp32", 5));
        assertThat(Report.markdown(Results.merge(List.of(onlyTorch)))).doesNotContain("every cell");
    }

    @Test
    void turnsTablePutsThePairedRatioBesideTheRatioOfTheTwoTimingsApart() {
        ObjectNode kiln = Results.empty("kiln");
        ObjectNode k1 = m("mobilenet", 1, "kiln-fp32", 0.702);
        k1.putObject("turns").put("kiln_ms", 0.52).put("onnx_ms", 0.533).put("ratio", 1.02).put("pairs", 300);
        Results.put(kiln, k1);
        Results.put(kiln, m("mobilenet", 1, "onnx-trt-fp32", 0.533));
        Results.put(kiln, m("mobilenet", 32, "kiln-fp16", 0.828).put("turns_error", "the run's deadline had passed"));
        Results.put(kiln, m("mobilenet", 32, "onnx-trt-fp16", 0.806));
        String md = Report.markdown(Results.merge(List.of(kiln)));
        assertThat(md).contains("## Kiln and ONNX→TensorRT engines timed in turns");
        // timed apart Kiln read 0.76x the parser; in turns, the same two engines 1.02x
        assertThat(md).contains("| mobilenet | 1 | fp32 | 0.520 | 0.533 | 1.02× | 300 | 0.76× |");
        assertThat(md).contains("| mobilenet | 32 | fp16 | not timed: the run's deadline had passed | | | | 0.97× |");
        // the model's own table carries the turns ratio beside the ratio apart, where the two were timed in turns
        assertThat(md).contains("| 1 | onnx-trt-fp32 | 0.533 | 0.586 | 1876 |  | 0.76× (turns 1.02×) |");
        assertThat(md).contains("| 32 | onnx-trt-fp16 | 0.806 | 0.887 | 39702 |  | 0.97× |");
        // runs without the turns group have no such table
        assertThat(Report.markdown(sample())).doesNotContain("timed in turns");
    }

    @Test
    void theFp32AccumulationPeerHasItsOwnRowsBesideKilnsFp16() {
        ObjectNode kiln = Results.empty("kiln");
        Results.put(kiln, withGraph(m("bert_base", 1, "kiln-fp16", 0.5), 0.42));
        Results.put(kiln, withGraph(m("bert_base", 1, BenchArgs.FP32_ACC_PEER, 0.6).put("fp32_acc", true)
                .put("compile_cold_s", 120.0), 0.5));
        Results.put(kiln, withGraph(m("bert_base", 1, "onnx-trt-fp16", 0.55), 0.45));
        Results.put(kiln, m("bert_base", 1, "eager-fp32", 6.0));
        String md = Report.markdown(Results.merge(List.of(kiln)));
        // the model table: after Kiln's FP16 row, in table order, with its speed-up over eager and no ratio to itself
        assertThat(md.indexOf("| 1 | kiln-fp16 |")).isPositive().isLessThan(md.indexOf("| 1 | " + BenchArgs.FP32_ACC_PEER + " |"));
        assertThat(md).contains("| 1 | " + BenchArgs.FP32_ACC_PEER + " | 0.600 | 0.660 | 1667 | 10.00× |  |");
        // the graph and compile tables label it
        assertThat(md).contains("| bert_base | 1 | fp16 (fp32 acc) | 0.500 | 0.450 | 0.90× | 0.600 | 0.550 | 0.92× |");
        assertThat(md).contains("| bert_base | 1 | fp16 (fp32 acc) | 120.0 |");
    }

    @Test
    void rowsOfAnEarlierRunMergedInSayWhichRunMeasuredThem() {
        // an earlier session's merged results (--include), then this call's own parts
        ObjectNode earlierTorch = Results.empty("torch");
        Results.put(earlierTorch, m("resnet50", 1, "eager-fp32", 10));
        Results.put(earlierTorch, m("resnet50", 32, "eager-fp32", 40));
        ObjectNode earlierKiln = Results.empty("kiln");
        earlierKiln.with("env").put("date", "2026-12-04T19:10:01Z").put("kiln", "5ac1baf").put("gpu", "NVIDIA H200").put("driver", "580");
        Results.put(earlierKiln, m("resnet50", 1, "kiln-fp32", 2));
        Results.put(earlierKiln, m("resnet50", 32, "kiln-fp32", 8));
        ObjectNode earlier = Results.merge(List.of(earlierTorch, earlierKiln));
        ObjectNode kiln = Results.empty("kiln");
        kiln.with("env").put("date", "2026-12-05T10:00:00Z").put("kiln", "f11a36d").put("gpu", "NVIDIA H200").put("driver", "580");
        Results.put(kiln, m("resnet50", 32, "onnx-trt-fp16", 3));
        Results.put(kiln, m("vit_b_16", 1, "kiln-fp16", 1));
        ObjectNode merged = Results.merge(List.of(earlier, kiln));
        // the earlier rows carry their run; this call's do not
        assertThat(merged.path("measurements")).filteredOn(x -> x.path("model").asText().equals("resnet50")
                && !x.path("peer").asText().equals("onnx-trt-fp16")).allMatch(x -> x.path("run").path("kiln").asText().equals("5ac1baf"));
        assertThat(merged.path("measurements")).filteredOn(x -> x.path("peer").asText().equals("onnx-trt-fp16")).noneMatch(x -> x.has("run"));
        String md = Report.markdown(merged);
        assertThat(md).contains("| Kiln | f11a36d |")
                .contains("| earlier runs merged in | the run of 2026-12-04T19:10:01Z (Kiln 5ac1baf, NVIDIA H200 driver 580): resnet50 (each table says which rows) |");
        assertThat(md).contains("Measured in batch 1: the run of 2026-12-04T19:10:01Z (Kiln 5ac1baf, NVIDIA H200 driver 580); batch 32: the run of "
                + "2026-12-04T19:10:01Z (Kiln 5ac1baf, NVIDIA H200 driver 580) and this run (rows of different runs).");
        // vit_b_16 is all this run's: no such line
        assertThat(md.substring(md.indexOf("## vit_b_16"))).doesNotContain("Measured in batch");
        // a model whose rows all come from one earlier run says it once
        ObjectNode later = Results.empty("kiln");
        later.with("env").put("date", "2026-12-05T10:00:00Z").put("kiln", "f11a36d");
        ObjectNode onlyEarlier = Results.merge(List.of(earlier, later));
        assertThat(Report.markdown(onlyEarlier)).contains("Measured in the run of 2026-12-04T19:10:01Z (Kiln 5ac1baf, NVIDIA H200 driver 580).\n");
        // merging the merged file again changes nothing
        assertThat(Results.merge(List.of(merged)).get("measurements")).isEqualTo(merged.get("measurements"));
    }

    @Test
    void peersWhoseSamplesDidNotSettleAreNamedUnderTheirTable() {
        ObjectNode torch = Results.empty("torch");
        ObjectNode bimodal = m("bert_base", 1, "eager-fp32", 11.11);
        bimodal.with("latency_ms").put("min", 5.38);
        Results.put(torch, bimodal);
        ObjectNode steady = m("bert_base", 1, "eager-fp16", 7.8);
        steady.with("latency_ms").put("min", 7.28);
        Results.put(torch, steady);
        Results.put(torch, m("bert_base", 1, "compile-fp32", 4.8));   // no min recorded: nothing said
        ObjectNode r50 = m("resnet50", 1, "eager-fp32", 3.0);
        r50.with("latency_ms").put("min", 2.9);
        Results.put(torch, r50);
        ObjectNode kiln = Results.empty("kiln");
        ObjectNode hostBound = m("bert_base", 1, "kiln-fp16", 0.9);
        hostBound.with("latency_ms").put("min", 0.55);
        hostBound.putObject("sm_clock").put("mhz", 1755).put("max_mhz", 1980).putArray("reasons").add("gpu_idle");
        Results.put(kiln, hostBound);
        String md = Report.markdown(Results.merge(List.of(torch, kiln)));
        String bert = section(md, "## bert_base");
        assertThat(bert).contains("Unsteady samples (median 1.5× the fastest sample or more;")
                .contains(": batch 1 eager-fp32 (fastest 5.380, median 11.11 ms), ")
                // the GPU's clock read after the loop, where the runner recorded it
                .contains("batch 1 kiln-fp16 (fastest 0.550, median 0.900 ms; SM clock after the loop 1755 of 1980 MHz, gpu_idle).");
        assertThat(bert).doesNotContain("eager-fp16 (fastest").doesNotContain("compile-fp32 (fastest");
        assertThat(section(md, "## resnet50")).doesNotContain("Unsteady");
    }

    /** From the heading to the next "## " heading. */
    static String section(String md, String heading) {
        int start = md.indexOf(heading);
        int end = md.indexOf("\n## ", start + 1);
        return md.substring(start, end < 0 ? md.length() : end);
    }

    @Test
    void emptyResultsStillRender() {
        String md = Report.markdown(Results.merge(List.of()));
        assertThat(md).contains("# Kiln bench results").contains("| GPU | ? (driver ?) |").doesNotContain("## Not measured");
    }
}
