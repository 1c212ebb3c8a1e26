package dev.kiln.cli;

import dev.kiln.compiler.CompiledModule;
import dev.kiln.compiler.Kiln;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.npy.Npz;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code kiln run MODEL --inputs IN.npz --output OUT.npz [--precision ...]}: compiles the model in
 * memory (or loads a {@code .engine} file), runs it on the GPU with the arrays {@code x0, x1, ...} of
 * {@code IN.npz} and writes the outputs {@code y0, y1, ...} to {@code OUT.npz}.
 *
 * <pre>{@code ./kiln run cnn.pt2 --inputs cnn.npz --output out.npz --precision fp16}</pre>
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Compiles a model in memory (or loads an .engine) and runs it on inputs from an .npz.")
public final class RunCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "a .pt2 program or an .engine file")
    Path model;

    @Option(names = "--inputs", required = true, paramLabel = "IN.npz", description = "inputs x0, x1, ... (IR names also accepted)")
    Path inputs;

    @Option(names = "--output", required = true, paramLabel = "OUT.npz", description = "where to write y0, y1, ...")
    Path output;

    @CommandLine.Mixin
    CompileCommand.BuildOptions build = new CompileCommand.BuildOptions();

    @Override
    public Integer call() {
        Map<String, ConstantTensor> in = Npz.read(inputs);
        CompiledModule m;
        if (model.getFileName().toString().endsWith(".engine")) {
            m = CompiledModule.load(model);
        } else {
            ProgressBar bar = build.progressBar();
            try {
                m = Kiln.compile(model, build.settings(bar));
            } finally {
                bar.finish();
            }
        }
        try (m) {
            long t0 = System.nanoTime();
            Map<String, ConstantTensor> out = m.forward(in);
            double ms = (System.nanoTime() - t0) / 1e6;
            Npz.write(output, out);
            java.io.PrintWriter w = spec.commandLine().getOut();
            for (Map.Entry<String, ConstantTensor> e : out.entrySet()) {
                w.println(e.getKey() + ": " + e.getValue().dtype().text() + Arrays.toString(e.getValue().sizes()));
            }
            w.printf(Locale.ROOT, "wrote %s (first run %.1f ms)%n", output, ms);
            w.flush();
        }
        return 0;
    }
}
