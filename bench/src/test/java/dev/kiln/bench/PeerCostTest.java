package dev.kiln.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PeerCostTest {
    /** The sixth session's ViT-B/16 and BERT-base records (build and warm times from results.json), one with peer_s. */
    private static final JsonNode MEASURED = json("""
            {"measurements": [
             {"model": "vit_b_16", "batch": 1, "peer": "kiln-fp16", "status": "ok", "build_s": 105.27, "compile_warm_s": 5.7},
             {"model": "vit_b_16", "batch": 1, "peer": "onnx-trt-fp16", "status": "ok", "build_s": 89.5},
             {"model": "vit_b_16", "batch": 1, "peer": "kiln-fp32", "status": "ok", "peer_s": 21.4, "build_s": 6.47},
             {"model": "bert_base", "batch": 1, "peer": "kiln-fp16", "status": "ok", "peer_s": 90.0},
             {"model": "bert_base", "batch": 16, "peer": "kiln-fp16", "status": "skipped"},
             {"model": "gpt2_blocks", "batch": 1, "peer": "kiln-fp16", "status": "error", "peer_s": 3.0}
            ]}""").path("measurements");

    private static JsonNode json(String text) {
        try {
            return Results.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aRecordTakesItsPeerSecondsOrItsBuildPlusTiming() {
        assertThat(PeerCost.seconds(MEASURED.get(2)).getAsDouble()).isEqualTo(21.4);
        assertThat(PeerCost.seconds(MEASURED.get(0)).getAsDouble()).isCloseTo(105.27 + 5.7 + PeerCost.TIMING_S, within(1e-9));
        assertThat(PeerCost.seconds(MEASURED.get(4))).isEmpty();
    }

    @Test
    void theSamePeerAtAnotherBatchComesFirstAndALargerBatchCostsMore() {
        // vit kiln-fp16 at 32 from batch 1: (105.27 + 5.7 + 15) x 1.25
        assertThat(PeerCost.expectedSeconds(MEASURED, "vit_b_16", 32, "kiln-fp16").getAsDouble())
                .isCloseTo((105.27 + 5.7 + PeerCost.TIMING_S) * PeerCost.LARGER_BATCH, within(1e-9));
        // bert kiln-fp16 at 16: batch 1's 90 s (the skipped batch-16 record says nothing)
        assertThat(PeerCost.expectedSeconds(MEASURED, "bert_base", 16, "kiln-fp16").getAsDouble()).isCloseTo(90 * 1.25, within(1e-9));
    }

    @Test
    void otherwiseTheOtherEngineOfTheSameModelAndPrecision() {
        // bert's parser peer at batch 1: Kiln's 90 s at the same batch
        assertThat(PeerCost.expectedSeconds(MEASURED, "bert_base", 1, "onnx-trt-fp16").getAsDouble()).isEqualTo(90.0);
        // vit's parser FP32 peer: nothing of its own, Kiln's FP32 at batch 1
        assertThat(PeerCost.expectedSeconds(MEASURED, "vit_b_16", 1, "onnx-trt-fp32").getAsDouble()).isEqualTo(21.4);
        // an error record is not a guide; neither is another model
        assertThat(PeerCost.expectedSeconds(MEASURED, "gpt2_blocks", 1, "kiln-fp16")).isEmpty();
        assertThat(PeerCost.expectedSeconds(MEASURED, "resnet50", 1, "kiln-fp32")).isEmpty();
    }

    @Test
    void anOnnxBuildFromKilnsTimingCacheIsExpectedToTakeAWarmCompile() {
        // vit onnx-trt-fp16 at batch 1 after Kiln's FP16 build (warm compile 5.7 s): not its own cold 89.5 s
        assertThat(PeerCost.expectedSeconds(MEASURED, "vit_b_16", 1, "onnx-trt-fp16", true).getAsDouble())
                .isCloseTo(5.7 + PeerCost.TIMING_S, within(1e-9));
        // without it, Kiln's cold FP16 build at the same batch (its own record at this batch is itself, not a guide)
        assertThat(PeerCost.expectedSeconds(MEASURED, "vit_b_16", 1, "onnx-trt-fp16", false).getAsDouble())
                .isCloseTo(105.27 + 5.7 + PeerCost.TIMING_S, within(1e-9));
        // with 30 s left it starts when it shares the cache, not otherwise
        assertThat(PeerCost.wontFinish(MEASURED, "vit_b_16", 1, "onnx-trt-fp16", 30, true, "")).isEmpty();
        assertThat(PeerCost.wontFinish(MEASURED, "vit_b_16", 1, "onnx-trt-fp16", 30, false, "")).isPresent();
    }

    @Test
    void aPeerThatCannotEndBeforeTheDeadlineIsNotStarted() {
        // bert kiln-fp16 at 16 expects 112.5 s
        assertThat(PeerCost.wontFinish(MEASURED, "bert_base", 16, "kiln-fp16", 200)).isEmpty();
        assertThat(PeerCost.wontFinish(MEASURED, "bert_base", 16, "kiln-fp16", 100)).hasValueSatisfying(why -> assertThat(why)
                .contains("about 113 s expected").contains("from this model's other builds").contains("100 s left"));
        // nothing comparable in the folder: earlier sessions' slowest build of the model, with margin (resnet50 FP16:
        // 51.4 s * 1.5 + 15 = 92.1 s)
        assertThat(PeerCost.wontFinish(MEASURED, "resnet50", 1, "kiln-fp16", 93)).isEmpty();
        assertThat(PeerCost.wontFinish(MEASURED, "resnet50", 1, "kiln-fp16", 90))
                .hasValueSatisfying(why -> assertThat(why).contains("about 92 s expected").contains("earlier sessions' builds"));
        // the GPT-2 blocks' FP16 builds fit in the 115 s the eleventh session's first call had left
        assertThat(PeerCost.wontFinish(MEASURED, "gpt2_blocks", 1, "kiln-fp16", 115)).isEmpty();
        // a model no session has built: the defaults by precision
        assertThat(PeerCost.wontFinish(MEASURED, "convnext", 1, "kiln-fp32", PeerCost.DEFAULT_FP32_S + 1)).isEmpty();
        assertThat(PeerCost.wontFinish(MEASURED, "convnext", 1, "kiln-fp16", PeerCost.DEFAULT_FP32_S + 1))
                .hasValueSatisfying(why -> assertThat(why).contains("nothing comparable measured yet"));
        // an FP32 build that fits still runs after an FP16 one that did not
        assertThat(PeerCost.wontFinish(MEASURED, "vit_b_16", 1, "onnx-trt-fp32", 30)).isEmpty();
    }

    @Test
    void earlierSessionsBuildsAreTakenFromTheSameKindOfGpu() {
        // ViT-B/16 FP16 with nothing of the model in the folder and 155 s left (the twenty-second session's first
        // call of its batch 1 block, on an H100): the H100's slowest build, 73.3 s * 1.5 + 15 = 125 s, starts it;
        // the H200's, 122.7 s * 1.5 + 15 = 199 s, does not
        assertThat(PeerCost.earlierSeconds("NVIDIA H100 80GB HBM3", "vit_b_16", "kiln-fp16").getAsDouble())
                .isCloseTo(73.3 * PeerCost.EARLIER_MARGIN + PeerCost.TIMING_S, within(1e-9));
        JsonNode none = Results.JSON.createArrayNode();
        assertThat(PeerCost.wontFinish(none, "vit_b_16", 1, "kiln-fp16", 155, false,
                "NVIDIA H100 80GB HBM3")).isEmpty();
        assertThat(PeerCost.wontFinish(none, "vit_b_16", 1, "kiln-fp16", 155, false,
                "NVIDIA H200")).hasValueSatisfying(why -> assertThat(why).contains("about 199 s expected"));
        // a GPU no session measured, or none named: the slowest kind's figure (EfficientNet-B0 FP32: the H100's
        // 52.2 s, above the H200's 48.3 s)
        assertThat(PeerCost.earlierSeconds("NVIDIA A100-SXM4-80GB", "efficientnet_b0", "onnx-trt-fp32").getAsDouble())
                .isCloseTo(52.2 * PeerCost.EARLIER_MARGIN + PeerCost.TIMING_S, within(1e-9));
        assertThat(PeerCost.earlierSeconds("", "efficientnet_b0", "onnx-trt-fp16").getAsDouble())
                .isCloseTo(124.6 * PeerCost.EARLIER_MARGIN + PeerCost.TIMING_S, within(1e-9));
        assertThat(PeerCost.earlierSeconds("NVIDIA H100 80GB HBM3", "convnext", "kiln-fp16")).isEmpty();
    }
}
