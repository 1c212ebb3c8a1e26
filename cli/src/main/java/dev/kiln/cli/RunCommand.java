package dev.kiln.cli;

import dev.kiln.backend.torch.Interpreter;
import dev.kiln.backend.torch.TorchDevice;
import dev.kiln.compiler.CompiledModule;
import dev.kiln.compiler.Kiln;
import dev.kiln.compiler.Models;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.npy.Npz;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code kiln run MODEL --inputs IN.npz --output OUT.npz [--precision ...]}: compiles the model in
 * memory (or loads a {@code .kiln} archive or a {@code .engine} file), runs it on the GPU with the arrays {@code x0, x1, ...} of
 * {@code IN.npz} and writes the outputs {@code y0, y1, ...} to {@code OUT.npz}. With
 * {@code --device cpu} it runs the program (.pt2 or TorchScript) with libtorch on the CPU instead: no
 * GPU, no TensorRT (backend-torch's {@link Interpreter}).
 *
 * <pre>{@code ./kiln run cnn.pt2 --inputs cnn.npz --output out.npz --precision fp16
 * ./kiln run cnn.traced.pt --device cpu --inputs cnn.npz --output out.npz}</pre>
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Compiles a model in memory (or loads a .kiln or .engine) and runs it on inputs from an .npz.")
public final class RunCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "a .pt2 or TorchScript model, a .kiln archive or an .engine file")
    Path model;

    @Option(names = "--inputs", required = true, paramLabel = "IN.npz", description = "inputs x0, x1, ... (IR names also accepted)")
    Path inputs;

    @Option(names = "--output", required = true, paramLabel = "OUT.npz", description = "where to write y0, y1, ...")
    Path output;

    @Option(names = "--device", paramLabel = "DEVICE", description = "cpu: run the program with libtorch on the CPU"
            + " (no GPU, no TensorRT); omit it to compile with TensorRT and run on the GPU")
    String device;

    @CommandLine.Mixin
    CompileCommand.BuildOptions build = new CompileCommand.BuildOptions();

    @Override
    public Integer call() {
        Map<String, ConstantTensor> in = Npz.read(inputs);
        if (device != null) {
            TorchDevice d = TorchDevice.parse(device);
            if (d.isCuda()) {
                throw new KilnException("--device " + device + ": only cpu is supported; omit --device to run with"
                        + " TensorRT on the GPU");
            }
            return runOnCpu(in);
        }
        try (CompiledModule m = compileOrLoad(model, build, in, inputs)) {
            long t0 = System.nanoTime();
            Map<String, ConstantTensor> out = m.forward(in);
            double ms = (System.nanoTime() - t0) / 1e6;
            Npz.write(output, out);
            java.io.PrintWriter w = spec.commandLine().getOut();
            printOutputs(w, out, m.outputNames());
            w.printf(Locale.ROOT, "wrote %s (first run %.1f ms; %s)%n", output, ms, m.program().describe());
            w.flush();
        }
        return 0;
    }

    /** Loads a {@code .kiln} or {@code .engine} file, or compiles any other model in memory with {@code build}. */
    static CompiledModule compileOrLoad(Path model, CompileCommand.BuildOptions build) {
        return compileOrLoad(model, build, null, null);
    }

    /**
     * As {@link #compileOrLoad(Path, CompileCommand.BuildOptions)}; a model to compile has {@code inputs} (when not
     * null; read from {@code inputsFile}) checked against its declared inputs first, so that a wrong .npz is refused
     * before the build.
     */
    static CompiledModule compileOrLoad(Path model, CompileCommand.BuildOptions build, Map<String, ConstantTensor> inputs,
                                        Path inputsFile) {
        String name = model.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".engine") || name.endsWith(".kiln")) {
            return CompiledModule.load(model);
        }
        ProgressBar bar = build.progressBar();
        try {
            dev.kiln.compiler.CompileSettings settings = build.settings(bar);
            Graph g;
            if (inputs != null && settings.inputs().isEmpty()
                    && dev.kiln.compiler.ModelFormat.detect(model) == dev.kiln.compiler.ModelFormat.TORCHSCRIPT) {
                // a TorchScript model records no input shapes: without --input, the .npz's are the ones it is
                // compiled for (static), as --device cpu runs it
                g = Models.load(model, Npz.series(inputs, "x", String.valueOf(inputsFile)).stream().map(ConstantTensor::type).toList());
            } else {
                g = Kiln.load(model, settings.inputs());
            }
            if (inputs != null) {
                try {
                    Kiln.checkInputs(g, inputs);
                } catch (KilnException e) {
                    throw new KilnException(inputsFile + ": " + e.getMessage() + " (" + model + ")", e);
                }
            }
            return Kiln.compile(g, settings);
        } finally {
            bar.finish();
        }
    }

    /** {@code --device cpu}: the whole program through libtorch, outputs written as y0, y1, ... */
    private int runOnCpu(Map<String, ConstantTensor> in) {
        dev.kiln.ir.InputFiles.require(model, "model file");
        List<ConstantTensor> xs = Npz.series(in, "x", inputs.toString());
        Graph g = Models.load(model, xs.stream().map(ConstantTensor::type).toList());
        List<ConstantTensor> args = new ArrayList<>(arguments(g, in, xs));
        // as on the GPU: an input of another float (integer) dtype than the model's is converted (NumPy writes f64
        // by default), one that cannot be is refused by the interpreter below, naming the input
        for (int i = 0; i < args.size() && i < g.inputs().size(); i++) {
            if (g.inputs().get(i).type() instanceof TensorType tt && tt.dtype().isPresent() && args.get(i).dtype() != tt.dtype().get()
                    && dev.kiln.backend.tensorrt.runtime.ExecutionSession.convertible(args.get(i).dtype(), tt.dtype().get())) {
                args.set(i, dev.kiln.backend.tensorrt.runtime.ExecutionSession.convert(args.get(i), tt.dtype().get(), "x" + i));
            }
        }
        long t0 = System.nanoTime();
        List<ConstantTensor> ys;
        try (Interpreter interpreter = new Interpreter(g, TorchDevice.cpu())) {
            ys = interpreter.runHost(args);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        Map<String, ConstantTensor> out = new LinkedHashMap<>();
        for (int i = 0; i < ys.size(); i++) {
            out.put("y" + i, ys.get(i));
        }
        Npz.write(output, out);
        java.io.PrintWriter w = spec.commandLine().getOut();
        printOutputs(w, out, g.outputs().stream().map(dev.kiln.ir.Value::name).toList());
        w.printf(Locale.ROOT, "wrote %s (libtorch on the cpu, %.1f ms)%n", output, ms);
        w.flush();
        return 0;
    }

    /**
     * One line per output written: its key in the .npz, the model's name for it when that is not the key
     * ({@code y0 (%logits): f32[4, 4]}, a returned dict's key), dtype and sizes.
     */
    private static void printOutputs(java.io.PrintWriter w, Map<String, ConstantTensor> out, List<String> names) {
        int i = 0;
        for (Map.Entry<String, ConstantTensor> e : out.entrySet()) {
            String name = i < names.size() ? names.get(i) : e.getKey();
            w.println(e.getKey() + (name.equals(e.getKey()) ? "" : " (%" + name + ")") + ": " + e.getValue().dtype().text()
                    + Arrays.toString(e.getValue().sizes()));
            i++;
        }
    }

    /** The graph's inputs from {@code x0, x1, ...}, or by the graph's input names when those are absent. */
    private List<ConstantTensor> arguments(Graph g, Map<String, ConstantTensor> in, List<ConstantTensor> xs) {
        if (xs.size() == g.inputs().size()) {
            return xs;
        }
        List<ConstantTensor> out = new ArrayList<>();
        for (Value v : g.inputs()) {
            ConstantTensor c = in.get(v.name());
            if (c == null) {
                throw new KilnException(inputs + ": the model takes " + g.inputs().size() + " inputs but the archive has "
                        + xs.size() + " arrays x0, x1, ... and none named '" + v.name() + "'");
            }
            out.add(c);
        }
        return out;
    }
}
