package dev.kiln.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.ir.KilnException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The bench runner's entry point: {@code run} (GPU: Kiln and ONNX→TensorRT peers, see {@link GpuRunner}),
 * {@code merge} (CPU: partial result files into {@code results.json} and {@code results.md}, see
 * {@link Results} and {@link Report}) and {@code kernels} (GPU: the engines {@code run} left, profiled kernel by
 * kernel, see {@link KernelRunner}). {@code bench/run.sh} calls them.
 *
 * <pre>{@code java -cp "$CP" dev.kiln.bench.Main merge --out "$OUT" work/results/torch.json work/results/kiln.json}</pre>
 */
public final class Main {
    static {
        dev.kiln.ir.JavaCppDefaults.apply(); // before anything loads JavaCPP
    }

    private Main() {
    }

    public static void main(String[] argv) {
        try {
            run(BenchArgs.parse(argv));
        } catch (KilnException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(2);
        }
    }

    static void run(BenchArgs a) {
        if (a.command().equals("merge")) {
            merge(a.inputs(), a.out().orElseThrow(), a.kilnVersion().orElse(null));
        } else if (a.command().equals("kernels")) {
            KernelRunner.run(a);
        } else if (a.command().equals("loops")) {
            LoopBench.run(a.out().orElseThrow(), a.quick());
        } else {
            new GpuRunner(a).run();
        }
    }

    /** Merges the existing files among {@code inputs} into {@code outDir}/results.json and results.md. */
    public static ObjectNode merge(List<Path> inputs, Path outDir, String kilnVersion) {
        List<ObjectNode> parts = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isRegularFile(p)) {
                parts.add(Results.read(p));
            } else {
                System.err.println("bench: no " + p + "; merging the others");
            }
        }
        ObjectNode merged = Results.merge(parts);
        ObjectNode env = (ObjectNode) merged.get("env");
        if (!env.has("date")) {
            env.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        }
        if (kilnVersion != null) {
            env.put("kiln", kilnVersion);
        }
        Results.write(outDir.resolve("results.json"), merged);
        try {
            Files.writeString(outDir.resolve("results.md"), Report.markdown(merged), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KilnException(outDir + ": cannot write results.md: " + e.getMessage(), e);
        }
        return merged;
    }
}
