package dev.kiln.frontend.fx;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;
import dev.kiln.ir.verify.Verifier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loads a large export (resnet50, 100 MB of weights, exported on the GPU machine) named by
 * {@code -Dkiln.large.pt2=PATH}: the load takes under 2 s and the heap grows by less than a quarter
 * of the weight bytes, since weights stay in the file's mapping. Prints both figures.
 * Run: {@code mvn -Pgpu -pl frontend-fx -am test -Dtest=LargeModelLoadTest -Dkiln.large.pt2=/path/resnet50.pt2}
 */
@Tag("gpu")
class LargeModelLoadTest {
    @Test
    void largeModelLoadsFastWithWeightsOffHeap() {
        String prop = System.getProperty("kiln.large.pt2", "");
        assertThat(prop).as("set -Dkiln.large.pt2=PATH to a 100 MB+ .pt2 (tools/gpu/export_models.py writes resnet50)").isNotBlank();
        Path file = Path.of(prop);
        assertThat(file).exists();

        // one-time start-up (class loading, the schema registry) is not the load being measured
        Pt2Loader.load(Fixtures.path("mlp.pt2"));
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        settle();
        long heapBefore = mem.getHeapMemoryUsage().getUsed();

        long t0 = System.nanoTime();
        Graph g = Pt2Loader.load(file);
        long millis = (System.nanoTime() - t0) / 1_000_000;

        settle();
        long heapGrowth = mem.getHeapMemoryUsage().getUsed() - heapBefore;
        long weightBytes = 0;
        for (Value c : g.constants()) {
            weightBytes += c.constant().orElseThrow().byteSize();
        }
        long fileBytes;
        try {
            fileBytes = Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        System.out.printf("LargeModelLoadTest: %s (%d bytes): %d nodes, %d constants, %d weight bytes; load %d ms; "
                        + "heap growth %d bytes (%.1f%% of the weights)%n", file.getFileName(), fileBytes, g.nodes().size(),
                g.constants().size(), weightBytes, millis, heapGrowth, 100.0 * heapGrowth / Math.max(1, weightBytes));
        Verifier.verify(g);
        assertThat(weightBytes).isGreaterThan(50L << 20);
        assertThat(millis).as("load time in ms").isLessThan(2000);
        assertThat(heapGrowth).as("heap growth in bytes").isLessThan(weightBytes / 4);
        assertThat(g.nodes()).isNotEmpty(); // keeps g reachable through the measurement
    }

    private static void settle() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
