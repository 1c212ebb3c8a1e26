package dev.kiln.compiler.hybrid;

import dev.kiln.backend.tensorrt.EngineOptions;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Engine cache keys (stable; any part changes them) and entries (round trip, damage detected and removed). */
class EngineCacheTest {
    static final Platform H200 = new Platform("10.6.0", "12.6", "NVIDIA H200", "9.0");

    @TempDir
    Path dir;

    static Graph graph(String addAlpha) {
        return graph(addAlpha, "seg", "y");
    }

    static Graph graph(String addAlpha, String name, String output) {
        return IrParser.parse("""
                graph @NAME(%a: tensor<f32, [s0, 2]>) {
                  symbol s0 in [1, 8]
                  const %w : tensor<f32, [2]> = dense<"0x0000803F00000040">
                  %OUT : tensor<f32, [s0, 2]> = aten::add.Tensor(%a, %w, ALPHA)
                  return %OUT
                }
                """.replace("ALPHA", addAlpha).replace("NAME", name).replace("OUT", output), name, SchemaRegistry.standard());
    }

    @Test
    void keysAreStableAndChangeWithEveryPart() {
        EngineOptions o = EngineOptions.defaults();
        String base = EngineCache.Key.of(graph("1"), o, H200).hash();
        assertThat(base).hasSize(64).isEqualTo(EngineCache.Key.of(graph("1"), o, H200).hash());
        Set<String> all = new TreeSet<>();
        all.add(base);
        all.add(EngineCache.Key.of(graph("2"), o, H200).hash());
        Graph otherWeights = graph("1");
        otherWeights.constants().get(0).setConstant(ConstantTensor.ofFloats(new long[] {2}, 1f, 3f));
        all.add(EngineCache.Key.of(otherWeights, o, H200).hash());
        all.add(EngineCache.Key.of(graph("1"), o.withPrecision(Precision.FP16), H200).hash());
        all.add(EngineCache.Key.of(graph("1"), o.withInputs(List.of(InputSpec.parse("x0=1..4x2"))), H200).hash());
        all.add(EngineCache.Key.of(graph("1"), o.withWorkspaceBytes(1 << 20), H200).hash());
        all.add(EngineCache.Key.of(graph("1"), o.withOptimizationLevel(5), H200).hash());
        all.add(EngineCache.Key.of(graph("1"), o.withDetailedLayerInfo(true), H200).hash());
        all.add(EngineCache.Key.of(graph("1"), o.withSparseWeights(true), H200).hash());
        all.add(EngineCache.Key.of(graph("1"), o, new Platform("10.7.0", "12.6", "NVIDIA H200", "9.0")).hash());
        all.add(EngineCache.Key.of(graph("1"), o, new Platform("10.6.0", "12.6", "NVIDIA H100", "9.0")).hash());
        all.add(EngineCache.Key.of(graph("1"), o, new Platform("10.6.0", "12.6", "NVIDIA H200", "9.1")).hash());
        EngineCache.Key k = EngineCache.Key.of(graph("1"), o, H200);
        all.add(new EngineCache.Key(k.ir(), k.settings(), "9.9.9", H200).hash());
        // another commit of the same snapshot version: its converters may build another plan
        all.add(new EngineCache.Key(k.ir(), k.settings(), Platform.kilnVersion() + "+0000000", H200).hash());
        assertThat(all).hasSize(14);
        assertThat(k.kiln()).isEqualTo(Platform.kilnBuild());
        if (!Platform.kilnCommit().equals("unknown")) {
            assertThat(k.kiln()).isEqualTo(Platform.kilnVersion() + "+" + Platform.kilnCommit());
        }
        // options that are off leave the settings text (and so every key made before them) as it was
        assertThat(EngineCache.settingsText(o)).isEqualTo("precision=fp32;inputs=;workspace=0;opt_level=-1");
        assertThat(EngineCache.settingsText(o.withSparseWeights(true))).endsWith(";sparse_weights=1");
        // not part of the plan: the timing cache file and the progress callback
        assertThat(EngineCache.Key.of(graph("1"), o.withTimingCache(dir.resolve("t")), H200).hash()).isEqualTo(base);
    }

    @Test
    void aSegmentsNameIsNotPartOfItsKey() {
        // seg2 of one compile is seg3 of the next when a node further up goes to libtorch: the same engine
        Graph renamed = graph("1", "seg3", "y");
        assertThat(EngineCache.segmentText(renamed)).isEqualTo(EngineCache.segmentText(graph("1"))).startsWith("graph @segment(");
        assertThat(EngineCache.Key.of(renamed, EngineOptions.defaults(), H200).hash())
                .isEqualTo(EngineCache.Key.of(graph("1"), EngineOptions.defaults(), H200).hash());
        // a value's name still counts (it is how the engine's inputs and outputs are bound)
        Graph other = graph("1", "seg", "z");
        assertThat(EngineCache.Key.of(other, EngineOptions.defaults(), H200).hash())
                .isNotEqualTo(EngineCache.Key.of(graph("1"), EngineOptions.defaults(), H200).hash());
    }

    @Test
    void storesAndFindsPlans() {
        EngineCache c = new EngineCache(dir.resolve("cache"));
        EngineCache.Key k = EngineCache.Key.of(graph("1"), EngineOptions.defaults(), H200);
        assertThat(c.get(k)).isEmpty();
        c.put(k, plan("a plan"));
        assertThat(StandardCharsets.US_ASCII.decode(c.get(k).orElseThrow()).toString()).isEqualTo("a plan");
        assertThat(c.hits()).isEqualTo(1);
        assertThat(c.misses()).isEqualTo(1);
        assertThat(c.file(k).getFileName().toString()).isEqualTo(k.hash() + ".plan");
    }

    @Test
    void aDamagedEntryIsDeletedAndReportedAsAMiss() throws IOException {
        EngineCache c = new EngineCache(dir);
        EngineCache.Key k = EngineCache.Key.of(graph("1"), EngineOptions.defaults(), H200);
        c.put(k, plan("a plan to corrupt"));
        byte[] b = Files.readAllBytes(c.file(k));
        b[b.length - 3] ^= 0x20;
        Files.write(c.file(k), b);
        assertThat(c.get(k)).isEmpty();
        assertThat(c.corrupted()).isEqualTo(1);
        assertThat(c.file(k)).doesNotExist();
        // rebuilt and stored again: found intact
        c.put(k, plan("a plan to corrupt"));
        assertThat(c.get(k)).isPresent();
        // truncated, and not an entry at all
        Files.write(c.file(k), java.util.Arrays.copyOf(b, 10));
        assertThat(c.get(k)).isEmpty();
        Files.writeString(c.file(k), "hello");
        assertThat(c.get(k)).isEmpty();
        assertThat(c.corrupted()).isEqualTo(3);
        try (var s = Files.list(dir)) {
            assertThat(s.filter(p -> p.toString().endsWith(".tmp"))).isEmpty();
        }
    }

    @Test
    void defaultDirectoryIsUnderTheUsersCache() {
        assertThat(EngineCache.defaultDirectory().toString()).endsWith("kiln/engines".replace('/', java.io.File.separatorChar));
    }

    private static ByteBuffer plan(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }
}
