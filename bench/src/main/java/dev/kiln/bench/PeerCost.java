package dev.kiln.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;
import java.util.OptionalDouble;

/**
 * How long a Kiln or ONNX peer is expected to take (its TensorRT build, warm rebuild, timing and layer dump), from
 * what the same work folder measured of the same model: so that the runner does not start a build that cannot end
 * before the call's deadline. A TensorRT build cannot be interrupted, and one started just before the deadline
 * used to be killed with the JVM, its minutes of device time lost. A cold FP16 build of a bench model takes
 * 40-125 s on the H200 and an FP32 one 5-50 s; the same peer at another batch size, or the other peer at the
 * same one, is the best guide.
 *
 * <pre>{@code OptionalDouble s = PeerCost.expectedSeconds(result.path("measurements"), "bert_base", 16, "kiln-fp16");
 * Optional<String> why = PeerCost.wontFinish(result.path("measurements"), "bert_base", 16, "kiln-fp16", 60);}</pre>
 */
final class PeerCost {
    /** Used when nothing comparable was measured: about the slowest cold builds seen (2026-12-04, H200). */
    static final double DEFAULT_FP16_S = 130;
    static final double DEFAULT_FP32_S = 50;
    /** A larger batch builds and times somewhat longer (ViT-B/16 FP16: 107.5 s at batch 1, 124.7 s at 32). */
    static final double LARGER_BATCH = 1.25;
    /** Timing, accuracy and the layer dump besides the build, where a record has only build times. */
    static final double TIMING_S = 15;
    /**
     * The slowest cold TensorRT build (Kiln's or the parser's, any batch) of each bench model at each precision in
     * the committed runs, in seconds, by the kind of GPU that built it: the guide for a work folder that has
     * measured nothing of the model yet. H200: {@code bench/results/2026-12-05-h200-s10-all.json} (the GPT-2 blocks
     * from {@code 2026-12-05-h100-s11-gpt2.json}, an H100). H100: {@code 2026-12-05-h100-s23-all.json} (BERT-base from its
     * twenty-third session blocks; the twenty-second's {@code -s22-all} had the seventeenth session's 66.9 s FP16
     * build), where the H200's figures had the first call of each block skip its FP16 builds (ViT-B/16: 199 s
     * expected with 155 s left; they took 49 s each in the next call). Without a guide the first call of the eleventh session expected
     * 130 s for each of the GPT-2 blocks' FP16 builds, skipped them with 115 s left, and they took 14 s each.
     */
    static final java.util.Map<String, java.util.Map<String, Double>> EARLIER_BUILDS_S = java.util.Map.of(
            "H200", builds("resnet50", 17.2, 51.4, "efficientnet_b0", 48.3, 124.6, "mobilenet_v3_large", 39.2, 97.5,
                    "vit_b_16", 11.9, 122.7, "bert_base", 6.4, 102.3, "gpt2_blocks", 8.0, 14.3),
            "H100", builds("resnet50", 13.2, 50.1, "efficientnet_b0", 52.2, 120.6, "mobilenet_v3_large", 37.5, 100.9,
                    "vit_b_16", 9.6, 73.3, "bert_base", 4.8, 44.2, "gpt2_blocks", 8.0, 12.7));

    /** {@code model/fp32} and {@code model/fp16} seconds from triples (model, FP32 seconds, FP16 seconds). */
    private static java.util.Map<String, Double> builds(Object... modelFp32Fp16) {
        java.util.Map<String, Double> m = new java.util.HashMap<>();
        for (int i = 0; i < modelFp32Fp16.length; i += 3) {
            m.put(modelFp32Fp16[i] + "/fp32", (Double) modelFp32Fp16[i + 1]);
            m.put(modelFp32Fp16[i] + "/fp16", (Double) modelFp32Fp16[i + 2]);
        }
        return java.util.Map.copyOf(m);
    }

    /** Margin on {@link #EARLIER_BUILDS_S}: another GPU or TensorRT's tactic timing may build slower. */
    static final double EARLIER_MARGIN = 1.5;

    private PeerCost() {
    }

    /** Seconds one measurement took: its {@code peer_s}, or its build times plus {@link #TIMING_S}; empty when neither. */
    static OptionalDouble seconds(JsonNode m) {
        if (m.has("peer_s")) {
            return OptionalDouble.of(m.path("peer_s").asDouble());
        }
        double build = m.has("build_s") ? m.path("build_s").asDouble() : m.path("build_seeded_s").asDouble(-1);
        if (build < 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(build + m.path("compile_warm_s").asDouble(0) + TIMING_S);
    }

    /**
     * The expected seconds of {@code peer} ({@code kiln-fp16}, {@code onnx-trt-fp32}, ...) for {@code model} at
     * {@code batch}: the same peer at the nearest other batch, else the other engine at this batch, else the other
     * engine at another batch (at the same precision); scaled by {@link #LARGER_BATCH} from a smaller batch.
     * Empty when the folder holds nothing comparable.
     */
    static OptionalDouble expectedSeconds(JsonNode measurements, String model, int batch, String peer) {
        return expectedSeconds(measurements, model, batch, peer, false);
    }

    /**
     * As {@link #expectedSeconds(JsonNode, String, int, String)}; with {@code sharedCache} an ONNX peer whose Kiln
     * counterpart (same batch and precision) was built starts from that build's timing cache, so it is expected to
     * take what Kiln's warm compile took ({@code compile_warm_s}, else a quarter of its build) plus {@link #TIMING_S}.
     */
    static OptionalDouble expectedSeconds(JsonNode measurements, String model, int batch, String peer, boolean sharedCache) {
        String precision = peer.substring(peer.lastIndexOf('-') + 1);
        String other = peer.startsWith("kiln-") ? "onnx-trt-" + precision : "kiln-" + precision;
        JsonNode counterpart = nearest(measurements, model, batch, other, true);
        if (sharedCache && peer.startsWith("onnx-trt-") && counterpart != null && counterpart.path("batch").asInt() == batch) {
            double warm = counterpart.has("compile_warm_s") ? counterpart.path("compile_warm_s").asDouble()
                    : counterpart.path("build_s").asDouble(counterpart.path("build_seeded_s").asDouble(0)) / 4;
            return OptionalDouble.of(warm + TIMING_S);
        }
        JsonNode same = nearest(measurements, model, batch, peer, false);
        return same != null ? scaled(same, batch) : counterpart != null ? scaled(counterpart, batch) : OptionalDouble.empty();
    }

    private static double defaultSeconds(String peer) {
        return peer.endsWith("fp16") || peer.endsWith("bf16") ? DEFAULT_FP16_S : DEFAULT_FP32_S;
    }

    /**
     * What earlier sessions' builds of {@code model} at {@code peer}'s precision suggest, with margin and timing, on
     * {@code gpu} (the device's name, e.g. "NVIDIA H100 80GB HBM3"): that kind's figure where {@link #EARLIER_BUILDS_S}
     * has one, else the slowest of all kinds; empty for other models.
     */
    static OptionalDouble earlierSeconds(String gpu, String model, String peer) {
        String key = model + "/" + peer.substring(peer.lastIndexOf('-') + 1);
        OptionalDouble s = EARLIER_BUILDS_S.entrySet().stream()
                .filter(kind -> gpu.contains(kind.getKey()) && kind.getValue().containsKey(key))
                .mapToDouble(kind -> kind.getValue().get(key))
                .findFirst();
        if (s.isEmpty()) {
            s = EARLIER_BUILDS_S.values().stream().filter(m -> m.containsKey(key)).mapToDouble(m -> m.get(key)).max();
        }
        return s.isEmpty() ? s : OptionalDouble.of(s.getAsDouble() * EARLIER_MARGIN + TIMING_S);
    }

    /**
     * Why {@code peer} should not start with {@code leftSeconds} until the deadline (a message for the skipped
     * measurement), or empty when it is expected to finish in time.
     */
    static Optional<String> wontFinish(JsonNode measurements, String model, int batch, String peer, double leftSeconds) {
        return wontFinish(measurements, model, batch, peer, leftSeconds, false, "");
    }

    /**
     * As {@link #wontFinish(JsonNode, String, int, String, double)}, with the ONNX builds sharing Kiln's timing caches
     * or not, on {@code gpu} (the device's name; "" when unknown).
     */
    static Optional<String> wontFinish(JsonNode measurements, String model, int batch, String peer, double leftSeconds,
                                       boolean sharedCache, String gpu) {
        OptionalDouble known = expectedSeconds(measurements, model, batch, peer, sharedCache);
        OptionalDouble earlier = earlierSeconds(gpu, model, peer);
        double expected = known.orElse(earlier.orElse(defaultSeconds(peer)));
        if (expected <= leftSeconds) {
            return Optional.empty();
        }
        String basis = known.isPresent() ? "from this model's other builds"
                : earlier.isPresent() ? "from earlier sessions' builds of this model" : "nothing comparable measured yet";
        return Optional.of(String.format(java.util.Locale.ROOT,
                "not started: it would not end before the run's deadline (about %.0f s expected, %s; %.0f s left)", expected,
                basis, Math.max(0, leftSeconds)));
    }

    /** The ok measurement of {@code peer} for {@code model} nearest to {@code batch} ({@code batch} itself only if allowed), or null. */
    private static JsonNode nearest(JsonNode measurements, String model, int batch, String peer, boolean sameBatchToo) {
        JsonNode best = null;
        for (JsonNode m : measurements) {
            if (!m.path("model").asText().equals(model) || !m.path("peer").asText().equals(peer)
                    || !"ok".equals(m.path("status").asText()) || seconds(m).isEmpty()) {
                continue;
            }
            int b = m.path("batch").asInt();
            if (b == batch && !sameBatchToo) {
                continue;
            }
            if (best == null || Math.abs(b - batch) < Math.abs(best.path("batch").asInt() - batch)) {
                best = m;
            }
        }
        return best;
    }

    /** What {@code m} took, scaled by {@link #LARGER_BATCH} when it ran a smaller batch than {@code batch}. */
    private static OptionalDouble scaled(JsonNode m, int batch) {
        double s = seconds(m).getAsDouble();
        return OptionalDouble.of(m.path("batch").asInt() < batch ? s * LARGER_BATCH : s);
    }
}
