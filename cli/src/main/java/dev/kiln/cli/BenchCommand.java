package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.backend.tensorrt.runtime.DeviceBuffer;
import dev.kiln.backend.tensorrt.runtime.DeviceTensor;
import dev.kiln.compiler.measure.Accuracy;
import dev.kiln.compiler.measure.Stats;
import dev.kiln.compiler.CompiledModule;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.npy.Npz;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code kiln bench MODEL --inputs IN.npz [--iters N] [--warmup N] [--cuda-graphs] [--format text|json]}:
 * compiles the model once (or loads a {@code .kiln} or {@code .engine}), then times it as a Java service
 * calls it. The device loop is {@code forwardInto} with the inputs already on the GPU and the same output
 * buffers every call (host wall time per call, stream sync included); the host loop is {@code forward} on
 * host tensors (upload, run, download). With {@code --cuda-graphs} the module replays CUDA graphs
 * ({@link CompiledModule#useCudaGraphs}). When {@code IN.npz} carries reference outputs {@code y0, y1, ...}
 * (as the repo's fixtures and PyTorch exports do) the error of the outputs is reported too. For the
 * comparison with PyTorch and ONNX→TensorRT see the {@code bench} module.
 *
 * <pre>{@code ./kiln bench cnn.pt2 --inputs cnn.npz --precision fp16 --cuda-graphs --format json}</pre>
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Compiles (or loads) a model and times forward calls on the GPU, device-resident and from host tensors.")
public final class BenchCommand implements Callable<Integer> {
    enum Format { text, json }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "a .pt2 or TorchScript model, a .kiln archive or an .engine file")
    Path model;

    @Option(names = "--inputs", required = true, paramLabel = "IN.npz", description = "inputs x0, x1, ...; reference outputs y0, y1, ... if present")
    Path inputs;

    @Option(names = "--iters", defaultValue = "200", description = "timed calls per loop (default: ${DEFAULT-VALUE})")
    int iters;

    @Option(names = "--warmup", defaultValue = "20", description = "untimed calls before each loop (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--cuda-graphs", description = "replay each engine as a CUDA graph when shapes and buffers repeat")
    boolean cudaGraphs;

    @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE})")
    Format format;

    @CommandLine.Mixin
    CompileCommand.BuildOptions build = new CompileCommand.BuildOptions();

    @Override
    public Integer call() {
        if (iters < 1 || warmup < 0) {
            throw new KilnException("--iters must be at least 1 and --warmup at least 0 (got " + iters + " and " + warmup + ")");
        }
        if (!Files.isRegularFile(inputs)) {
            throw new KilnException(inputs + ": no such .npz file (arrays x0, x1, ... for the model's inputs)");
        }
        Map<String, ConstantTensor> npz = Npz.read(inputs);
        List<ConstantTensor> xs = Npz.series(npz, "x", inputs.toString());
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("model", model.toString());
        report.put("cuda_graphs", cudaGraphs);
        long t0 = System.nanoTime();
        Map<String, ConstantTensor> named = new LinkedHashMap<>();
        for (int i = 0; i < xs.size(); i++) {
            named.put("x" + i, xs.get(i));
        }
        try (CompiledModule m = RunCommand.compileOrLoad(model, build, named, inputs)) {
            report.put("compile_or_load_s", seconds(t0));
            report.put("program", m.program().describe());
            m.useCudaGraphs(cudaGraphs);
            long t1 = System.nanoTime();
            List<ConstantTensor> first = m.forward(xs);
            report.put("first_call_ms", (System.nanoTime() - t1) / 1e6);
            report.put("outputs", shapes(first));
            Map<String, Object> errors = errors(npz, first);
            if (!errors.isEmpty()) {
                report.put("rel_l2", errors);
            }
            report.put("device", deviceLoop(m, xs, first));
            report.put("host", stats(time(() -> m.forward(xs))));
            report.put("stats", m.stats().toString());
        }
        print(report);
        return 0;
    }

    /** forwardInto with inputs on the GPU and one set of output buffers for every call. */
    private Map<String, Object> deviceLoop(CompiledModule m, List<ConstantTensor> xs, List<ConstantTensor> first) {
        List<DeviceTensor> in = new ArrayList<>();
        List<DeviceBuffer> out = new ArrayList<>();
        try {
            for (ConstantTensor x : xs) {
                in.add(DeviceTensor.upload(x));
            }
            for (ConstantTensor y : first) {
                out.add(new DeviceBuffer(Math.max(1, y.numel() * y.dtype().byteSize())));
            }
            return stats(time(() -> m.forwardInto(in, out)));
        } finally {
            in.forEach(DeviceTensor::close);
            out.forEach(DeviceBuffer::close);
        }
    }

    private double[] time(Runnable call) {
        return Stats.wallTimes(call, warmup, iters, 1e6);
    }

    /** Median, p99 (nearest rank), mean and min of {@code ms}, as the bench module computes them ({@link Stats}). */
    static Map<String, Object> stats(double[] ms) {
        Stats s = Stats.of(ms);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("iters", s.n());
        o.put("median_ms", s.median());
        o.put("p99_ms", s.p99());
        o.put("mean_ms", s.mean());
        o.put("min_ms", s.min());
        o.put("calls_per_s", 1000.0 / s.median());
        return o;
    }

    /** Relative L2 error of each output against y0, y1, ... of the .npz, for those present. */
    static Map<String, Object> errors(Map<String, ConstantTensor> npz, List<ConstantTensor> got) {
        Map<String, Object> e = new LinkedHashMap<>();
        for (int i = 0; i < got.size(); i++) {
            ConstantTensor want = npz.get("y" + i);
            if (want != null) {
                e.put("y" + i, relL2(got.get(i), want));
            }
        }
        return e;
    }

    /** {@link Accuracy#relL2}, after checking that the shapes agree (a wrong reference is named, not a NaN). */
    static double relL2(ConstantTensor got, ConstantTensor want) {
        if (!Arrays.equals(got.sizes(), want.sizes())) {
            throw new KilnException("output has shape " + Arrays.toString(got.sizes()) + " but the reference in the .npz has "
                    + Arrays.toString(want.sizes()));
        }
        return Accuracy.relL2(got, want);
    }

    private static List<String> shapes(List<ConstantTensor> ts) {
        List<String> out = new ArrayList<>();
        for (ConstantTensor t : ts) {
            out.add(t.dtype().text() + Arrays.toString(t.sizes()));
        }
        return out;
    }

    private static double seconds(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e7) / 100.0;
    }

    private void print(Map<String, Object> report) {
        PrintWriter w = spec.commandLine().getOut();
        if (format == Format.json) {
            try {
                w.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
            } catch (JsonProcessingException e) {
                throw new KilnException("cannot write the report as JSON: " + e.getOriginalMessage());
            }
        } else {
            w.printf(Locale.ROOT, "%s: %s, compiled or loaded in %.2f s%n", report.get("model"), report.get("program"),
                    (double) report.get("compile_or_load_s"));
            w.printf(Locale.ROOT, "outputs %s%s%n", report.get("outputs"),
                    report.containsKey("rel_l2") ? ", rel L2 against the .npz " + report.get("rel_l2") : "");
            for (String loop : List.of("device", "host")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> s = (Map<String, Object>) report.get(loop);
                w.printf(Locale.ROOT, "%-6s median %.3f ms  p99 %.3f ms  min %.3f ms  (%d calls%s)%n", loop, (double) s.get("median_ms"),
                        (double) s.get("p99_ms"), (double) s.get("min_ms"), (int) s.get("iters"),
                        cudaGraphs ? ", CUDA graphs" : "");
            }
        }
        w.flush();
    }
}
