package dev.kiln.cli;

import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.partition.RegistryCapability;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.backend.tensorrt.Profiles;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.compiler.CompilePipeline;
import dev.kiln.compiler.CompileSettings;
import dev.kiln.compiler.Int8Settings;
import dev.kiln.compiler.CompiledModule;
import dev.kiln.compiler.hybrid.EngineCache;
import dev.kiln.compiler.hybrid.Program;
import dev.kiln.compiler.Kiln;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.partition.Partition;
import dev.kiln.partition.PartitionSettings;
import dev.kiln.partition.SupportReport;
import dev.kiln.passes.Precision;
import dev.kiln.quantization.CalibrationMethod;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code kiln compile MODEL -o MODEL.kiln [--precision fp32|tf32|fp16|bf16] [--input x0=1..32x3x224x224]}:
 * compiles a model to a Kiln archive (TensorRT engines, plus libtorch segments for what TensorRT cannot
 * run or {@code --torch-ops}/{@code --torch-nodes} send there), drawing a progress bar on stderr;
 * {@code -o MODEL.engine} writes one bare TensorRT engine instead (every node must convert). Engines
 * are reused from the engine cache ({@code --engine-cache DIR}, {@code --no-engine-cache}). {@code --dry-run}
 * builds nothing: it runs the passes, partitions the graph between TensorRT and libtorch and prints
 * the support report (every node, where it runs and why); {@code --report FILE} writes it as HTML
 * (with a picture of the partitioned graph), JSON ({@code .json}) or text ({@code .txt}).
 *
 * <pre>{@code ./kiln compile resnet50.pt2 -o resnet50.kiln --precision fp16 --input x0=1..32x3x224x224
 * ./kiln compile resnet50.pt2 -o resnet50.engine --precision fp16
 * ./kiln compile --dry-run model.pt2 --torch-ops aten::softmax --min-block-size 3 --report report.html}</pre>
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = "Compiles a model (.pt2 or TorchScript) to a Kiln archive (.kiln) or a TensorRT engine (.engine).")
public final class CompileCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "the model: a torch.export program (.pt2)")
    Path model;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "where to write: X.kiln (engines and libtorch"
            + " segments) or X.engine (one TensorRT engine); not with --dry-run")
    Path output;

    @CommandLine.Mixin
    BuildOptions build = new BuildOptions();

    @CommandLine.Mixin
    PartitionOptions partitionOptions = new PartitionOptions();

    @Override
    public Integer call() {
        if (partitionOptions.dryRun) {
            return dryRun();
        }
        if (output == null) {
            // a usage error (exit code 2), as when -o was a required option
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Missing required option: '--output=ENGINE' (or --dry-run to only print the support report)");
        }
        if (!output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".engine")) {
            return compileArchive();
        }
        if (!partitionOptions.torchOps.isEmpty() || !partitionOptions.torchNodes.isEmpty()) {
            throw new KilnException("--torch-ops and --torch-nodes run nodes in libtorch, which an .engine file (one TensorRT"
                    + " engine) cannot hold; write a Kiln archive instead: -o " + stem(output) + ".kiln");
        }
        ProgressBar bar = build.progressBar();
        CompileSettings s = build.settings(bar);
        Graph g = Kiln.load(model, s.inputs());
        if (partitionOptions.report != null || partitionOptions.requireFull) {
            // on a copy: the build below runs the passes on g itself
            writeReport(partition(dev.kiln.ir.Graphs.copy(g), s));
        }
        BuiltEngine e;
        try {
            e = Kiln.build(g, s);
        } catch (KilnException ex) {
            if (ex.getMessage() != null && ex.getMessage().contains("cannot be converted")) {
                throw new KilnException(ex.getMessage() + "\n  an .engine file holds one TensorRT engine; write a Kiln archive (-o "
                        + stem(output) + ".kiln) to run those nodes in libtorch", ex);
            }
            throw ex;
        } finally {
            bar.finish();
        }
        Engine.writeAtomically(output, e.plan());
        java.io.PrintWriter out = spec.commandLine().getOut();
        List<String> shapes = new ArrayList<>();
        for (Profiles.InputProfile p : e.profile()) {
            shapes.add(p.toString());
        }
        out.printf(Locale.ROOT, "wrote %s (%.1f MiB, %s) in %.1f s; inputs: %s%n", output, e.plan().remaining() / 1048576.0,
                s.precision().name().toLowerCase(Locale.ROOT), e.buildSeconds(), String.join(", ", shapes));
        out.flush();
        return 0;
    }

    /** {@code -o X.kiln}: TensorRT engines plus libtorch segments for what TensorRT cannot run, in one archive. */
    private int compileArchive() {
        ProgressBar bar = build.progressBar();
        CompileSettings s = build.settings(bar).withPartition(partitionOptions.settings());
        Graph g = Kiln.load(model, s.inputs());
        CompiledModule m;
        try {
            m = Kiln.compile(g, s);
        } finally {
            bar.finish();
        }
        try (m) {
            m.partition().ifPresent(this::writeReport);
            m.save(output);
            Program p = m.program();
            long size;
            try {
                size = Files.size(output);
            } catch (IOException ex) {
                size = 0;
            }
            java.io.PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "wrote %s (%.1f MiB, %s) in %.1f s: %s%n", output, size / 1048576.0,
                    s.precision().name().toLowerCase(Locale.ROOT), m.buildSeconds(), p.describe());
            int torchNodes = 0;
            for (Program.StageSpec st : p.stages()) {
                if (st instanceof Program.TorchStage) {
                    torchNodes += st.nodeCount();
                }
            }
            if (torchNodes > 0) {
                out.printf(Locale.ROOT, "%d node(s) run in libtorch on the %s; see why with --dry-run or --report FILE%n", torchNodes,
                        dev.kiln.compiler.hybrid.TorchPlacement.device());
            }
            out.flush();
        }
        return 0;
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** {@code --dry-run}: passes, partition, report; no engine. */
    private int dryRun() {
        CompileSettings s = build.settings(build.progressBar());
        Graph g = Kiln.load(model, s.inputs());
        Partition p = partition(g, s);
        java.io.PrintWriter out = spec.commandLine().getOut();
        out.print(SupportReport.text(p));
        writeReport(p);
        out.flush();
        return 0;
    }

    /** Runs the compile pipeline on {@code g} (as a build would) and partitions the result. */
    private Partition partition(Graph g, CompileSettings s) {
        ConverterRegistry registry = ConverterRegistry.standard();
        ConverterSettings cs = EngineBuilder.settingsFor(g, s.precision());
        CompilePipeline.run(g, s, n -> registry.lookup(n, cs).supported());
        // the compile's own decision (a graph that converts whole is one engine whatever --min-block-size says)
        return dev.kiln.compiler.hybrid.HybridCompiler.partition(g, new RegistryCapability(registry, cs), partitionOptions.settings());
    }

    private void writeReport(Partition p) {
        Path f = partitionOptions.report;
        if (f == null) {
            return;
        }
        String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
        String text = name.endsWith(".json") ? SupportReport.json(p) : name.endsWith(".txt") ? SupportReport.text(p) : SupportReport.html(p);
        dev.kiln.ir.AtomicFile.write(f, "the support report", out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
        spec.commandLine().getErr().println("wrote support report " + f);
    }

    /** The partitioning options of {@code compile}. */
    public static final class PartitionOptions {
        @Option(names = "--dry-run", description = "build nothing: print where every node would run and why")
        boolean dryRun;

        @Option(names = "--report", paramLabel = "FILE", description = "write the support report: .html (with a picture), .json or .txt")
        Path report;

        @Option(names = "--torch-ops", paramLabel = "OP", split = ",", description = "ops to run in libtorch (aten::softmax, or"
                + " aten::add.Tensor for one overload); repeatable or comma-separated")
        List<String> torchOps = new ArrayList<>();

        @Option(names = "--torch-nodes", paramLabel = "NODE", split = ",", description = "node names to run in libtorch; repeatable or comma-separated")
        List<String> torchNodes = new ArrayList<>();

        @Option(names = "--min-block-size", paramLabel = "N", defaultValue = "5", description = "smallest TensorRT segment worth an engine (default: ${DEFAULT-VALUE})")
        int minBlockSize;

        @Option(names = "--require-full-compilation", description = "fail, listing every node that cannot run in TensorRT, instead of falling back")
        boolean requireFull;

        PartitionSettings settings() {
            return PartitionSettings.defaults().withMinBlockSize(minBlockSize).withTorchOps(torchOps).withTorchNodes(torchNodes)
                    .withRequireFullCompilation(requireFull);
        }
    }

    /** The build options {@code compile} and {@code run} share. */
    public static final class BuildOptions {
        @Option(names = "--precision", defaultValue = "fp32", description = "fp32 (TF32 off), tf32, fp16 or bf16 (default: ${DEFAULT-VALUE})")
        String precision;

        @Option(names = "--input", paramLabel = "SPEC", description = "an input's shape or range: x0=1x3x224x224,"
                + " x0=1..32x3x224x224 or x0=1..8..32x3x224x224 (min..opt..max); repeatable")
        List<String> inputs = new ArrayList<>();

        @Option(names = "--keep-fp32", paramLabel = "OP_OR_NODE", description = "an op (aten::softmax) or node name to keep in FP32; repeatable")
        List<String> keepFp32 = new ArrayList<>();

        @Option(names = "--fp32-acc", description = "fp16/bf16: matrix products (mm, bmm, addmm, matmul, linear) read their"
                + " operands in the low precision and accumulate in fp32, as Torch-TensorRT's use_fp32_acc (TensorRT 10.6"
                + " runs them as fp32 products: about fp32's speed; docs/precision.md)")
        boolean fp32Acc;

        @Option(names = "--workspace", paramLabel = "BYTES", description = "TensorRT workspace limit, e.g. 4G or 512M (default: TensorRT's)")
        String workspace;

        @Option(names = "--opt-level", paramLabel = "N", defaultValue = "-1", description = "TensorRT builder optimization level 0..5")
        int optLevel;

        @Option(names = "--timing-cache", paramLabel = "FILE", description = "a timing cache file, read and updated")
        Path timingCache;

        @Option(names = "--no-progress", description = "do not draw the progress bar")
        boolean noProgress;

        @Option(names = "--engine-cache", paramLabel = "DIR", description = "reuse TensorRT engines built before, kept in DIR"
                + " (default: ~/.cache/kiln/engines)")
        Path engineCache;

        @Option(names = "--no-engine-cache", description = "always build the engines; read and write no engine cache")
        boolean noEngineCache;

        @Option(names = "--isolated-build", description = "build each TensorRT engine in a child JVM, so that a crash inside"
                + " TensorRT's builder fails the compile with a message instead of ending the process (costs seconds per engine)")
        boolean isolatedBuild;

        @Option(names = "--sparse-weights", description = "let TensorRT use its 2:4 sparse kernels for convolution and linear"
                + " weights that are 2:4 sparse (pruned and fine-tuned that way); says how many are")
        boolean sparseWeights;

        @Option(names = "--calibration", paramLabel = "DATA.npz", description = "int8: calibrate convolutions, linear layers and"
                + " matrix products on these inputs (x0, x1, ...; samples along the first dimension) and run them in int8; the rest"
                + " keeps --precision (fp16 is the usual companion)")
        Path calibration;

        @Option(names = "--calibration-table", paramLabel = "FILE", description = "int8: with --calibration, write the measured"
                + " ranges here; without it, take the ranges from this file instead of calibrating")
        Path calibrationTable;

        @Option(names = "--calibration-method", paramLabel = "M", defaultValue = "entropy",
                description = "int8: entropy (TensorRT's default), max or percentile (default: ${DEFAULT-VALUE})")
        String calibrationMethod;

        @Option(names = "--calibration-percentile", paramLabel = "P", defaultValue = "99.99",
                description = "int8: the percentile of |x| that maps to 127, for --calibration-method percentile (default: ${DEFAULT-VALUE})")
        double calibrationPercentile;

        @Option(names = "--calibration-batch", paramLabel = "N", defaultValue = "8",
                description = "int8: samples per calibration batch when the model's batch size is symbolic (default: ${DEFAULT-VALUE})")
        int calibrationBatch;

        /** The int8 settings the calibration options ask for, or null. */
        Int8Settings int8() {
            if (calibration == null && calibrationTable == null) {
                return null;
            }
            Int8Settings q = calibration != null ? Int8Settings.calibrate(calibration).withTable(calibrationTable)
                    : Int8Settings.fromTable(calibrationTable);
            return q.withMethod(CalibrationMethod.parse(calibrationMethod)).withPercentile(calibrationPercentile)
                    .withBatchSize(calibrationBatch);
        }

        ProgressBar progressBar() {
            return new ProgressBar(System.err, System.console() != null);
        }

        CompileSettings settings(ProgressBar bar) {
            List<InputSpec> specs = new ArrayList<>();
            for (String i : inputs) {
                specs.add(InputSpec.parse(i));
            }
            CompileSettings s = CompileSettings.defaults().withPrecision(Precision.parse(precision)).withInputs(specs)
                    .withKeepFp32(new LinkedHashSet<>(keepFp32)).withOptimizationLevel(optLevel)
                    .withWorkspaceBytes(workspace == null ? 0 : parseBytes(workspace)).withTimingCache(timingCache)
                    .withIsolatedBuilds(isolatedBuild).withSparseWeights(sparseWeights).withInt8(int8())
                    .withFp32Accumulation(fp32Acc);
            if (!noEngineCache) {
                s = s.withEngineCache(engineCache != null ? engineCache : EngineCache.defaultDirectory());
            }
            return noProgress ? s : s.withProgress(bar);
        }
    }

    /** {@code 4G}, {@code 512M}, {@code 64k}, {@code 1000}: a byte count (binary units). */
    static long parseBytes(String s) {
        String t = s.strip().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long mult = 1;
        if (!t.isEmpty()) {
            char c = t.charAt(t.length() - 1);
            switch (c) {
                case 'K':
                    mult = 1L << 10;
                    break;
                case 'M':
                    mult = 1L << 20;
                    break;
                case 'G':
                    mult = 1L << 30;
                    break;
                case 'T':
                    mult = 1L << 40;
                    break;
                default:
                    break;
            }
            if (mult != 1) {
                t = t.substring(0, t.length() - 1);
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(t.strip()), mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new KilnException("cannot read '" + s + "' as a size; write bytes or a number with K, M, G or T");
        }
    }
}
