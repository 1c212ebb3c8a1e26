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
     * Why {@code peer} should not start with {@code leftSeconds} until the deadline (a message for the skipped
     * measurement), or empty when it is expected to finish in time.
     */
    static Optional<String> wontFinish(JsonNode measurements, String model, int batch, String peer, double leftSeconds) {
        return wontFinish(measurements, model, batch, peer, leftSeconds, false);
    }

    /** As {@link #wontFinish(JsonNode, String, int, String, double)}, with the ONNX builds sharing Kiln's timing caches or not. */
    static Optional<String> wontFinish(JsonNode measurements, String model, int batch, String peer, double leftSeconds,
                                       boolean sharedCache) {
        OptionalDouble known = expectedSeconds(measurements, model, batch, peer, sharedCache);
        double expected = known.orElse(defaultSeconds(peer));
        if (expected <= leftSeconds) {
            return Optional.empty();
        }
        return Optional.of(String.format(java.util.Locale.ROOT,
                "not started: it would not end before the run's deadline (about %.0f s expected, %s; %.0f s left)", expected,
                known.isPresent() ? "from this model's other builds" : "nothing comparable measured yet", Math.max(0, leftSeconds)));
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
