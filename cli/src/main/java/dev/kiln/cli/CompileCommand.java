package dev.kiln.cli;

import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.backend.tensorrt.Profiles;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.compiler.CompileSettings;
import dev.kiln.compiler.Kiln;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.passes.Precision;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code kiln compile MODEL -o MODEL.engine [--precision fp32|tf32|fp16|bf16] [--input x0=1..32x3x224x224]}:
 * compiles a model to a TensorRT engine file, drawing a progress bar on stderr.
 *
 * <pre>{@code ./kiln compile resnet50.pt2 -o resnet50.engine --precision fp16 --input x0=1..32x3x224x224}</pre>
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = "Compiles a model (.pt2) to a TensorRT engine.")
public final class CompileCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "the model: a torch.export program (.pt2)")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "ENGINE", description = "where to write the engine")
    Path output;

    @CommandLine.Mixin
    BuildOptions build = new BuildOptions();

    @Override
    public Integer call() {
        ProgressBar bar = build.progressBar();
        CompileSettings s = build.settings(bar);
        Graph g = Kiln.load(model, s.inputs());
        BuiltEngine e;
        try {
            e = Kiln.build(g, s);
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

    /** The build options {@code compile} and {@code run} share. */
    public static final class BuildOptions {
        @Option(names = "--precision", defaultValue = "fp32", description = "fp32 (TF32 off), tf32, fp16 or bf16 (default: ${DEFAULT-VALUE})")
        String precision;

        @Option(names = "--input", paramLabel = "SPEC", description = "an input's shape or range: x0=1x3x224x224,"
                + " x0=1..32x3x224x224 or x0=1..8..32x3x224x224 (min..opt..max); repeatable")
        List<String> inputs = new ArrayList<>();

        @Option(names = "--keep-fp32", paramLabel = "OP_OR_NODE", description = "an op (aten::softmax) or node name to keep in FP32; repeatable")
        List<String> keepFp32 = new ArrayList<>();

        @Option(names = "--workspace", paramLabel = "BYTES", description = "TensorRT workspace limit, e.g. 4G or 512M (default: TensorRT's)")
        String workspace;

        @Option(names = "--opt-level", paramLabel = "N", defaultValue = "-1", description = "TensorRT builder optimization level 0..5")
        int optLevel;

        @Option(names = "--timing-cache", paramLabel = "FILE", description = "a timing cache file, read and updated")
        Path timingCache;

        @Option(names = "--no-progress", description = "do not draw the progress bar")
        boolean noProgress;

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
                    .withWorkspaceBytes(workspace == null ? 0 : parseBytes(workspace)).withTimingCache(timingCache);
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
