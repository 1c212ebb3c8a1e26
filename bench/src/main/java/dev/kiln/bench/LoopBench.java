package dev.kiln.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.backend.torch.Interpreter;
import dev.kiln.backend.torch.TorchDevice;
import dev.kiln.backend.torch.TorchTensor;
import dev.kiln.backend.torch.TorchTensors;
import dev.kiln.compiler.hybrid.Platform;
import dev.kiln.compiler.measure.Stats;
import dev.kiln.frontend.torchscript.TorchScriptFrontend;
import dev.kiln.frontend.torchscript.TorchScriptOptions;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.passes.eval.TorchEval;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Run-time loops on the CPU: an Elman RNN over a sequence whose length only the input says ({@code for i in
 * range(x.size(0))}, every step's state appended to a list and stacked), run by Kiln's libtorch stage ({@link
 * Interpreter}, what a compiled program runs a {@code kiln::loop} with) and by libtorch's own TorchScript interpreter
 * on the same saved module, for two hidden sizes and two sequence lengths. What it measures is the cost per trip
 * that Kiln adds around the same libtorch kernels; outputs are compared before timing. Writes {@code loops.json} and
 * {@code loops.md}. No GPU needed.
 *
 * <pre>{@code java -cp "$CP" dev.kiln.bench.Main loops --out bench-out}</pre>
 */
final class LoopBench {
    static final String SOURCE = ""
            + "def forward(self, x):\n"
            + "    h = torch.zeros_like(x[0])\n"
            + "    outs = []\n"
            + "    for i in range(x.size(0)):\n"
            + "        h = torch.tanh(torch.matmul(x[i], self.w_ih) + torch.matmul(h, self.w_hh) + self.b)\n"
            + "        outs.append(h)\n"
            + "    return torch.stack(outs)\n";

    private LoopBench() {
    }

    static void run(Path out, boolean quick) {
        int runs = quick ? 5 : 15;
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        ObjectNode env = root.putObject("env");
        env.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        env.put("kiln", Platform.kilnCommit());
        env.put("cpu_cores", Runtime.getRuntime().availableProcessors());
        env.put("torch_threads", torch.get_num_threads());
        env.put("java", System.getProperty("java.version"));
        env.put("javacpp_max_physical_bytes", org.bytedeco.javacpp.Pointer.maxPhysicalBytes());
        ArrayNode rows = root.putArray("rows");
        Path dir;
        try {
            Files.createDirectories(out);
            dir = Files.createTempDirectory("kiln-loops");
        } catch (IOException e) {
            throw new KilnException(out + ": cannot create the output folder: " + e.getMessage(), e);
        }
        try {
            for (int hidden : new int[] {64, 512}) {
                Path model = save(dir, hidden);
                Graph g = TorchScriptFrontend.load(model, TorchScriptOptions.defaults());
                for (int steps : quick ? new int[] {100} : new int[] {100, 1000}) {
                    rows.add(measure(json, model, g, hidden, steps, runs, quick ? 3 : Math.max(3, 20_000 / steps)));
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temporary folder left behind
            }
        }
        String md = markdown(root);
        try {
            Files.writeString(out.resolve("loops.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
            Files.writeString(out.resolve("loops.md"), md, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KilnException(out + ": cannot write loops.json / loops.md: " + e.getMessage(), e);
        }
        System.out.print(md);
    }

    /** The RNN with seeded weights, compiled by libtorch's TorchScript compiler and saved as torch.jit.save does. */
    private static Path save(Path dir, int hidden) {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(hidden);
            JitModule m = new JitModule(new QualifiedName("Rnn"));
            double scale = 1.0 / Math.sqrt(hidden);
            m.register_parameter("w_ih", torch.randn(hidden, hidden).mul(new org.bytedeco.pytorch.Scalar(scale)), false);
            m.register_parameter("w_hh", torch.randn(hidden, hidden).mul(new org.bytedeco.pytorch.Scalar(scale)), false);
            m.register_parameter("b", torch.randn(hidden).mul(new org.bytedeco.pytorch.Scalar(0.1)), false);
            m.define(SOURCE);
            Path file = dir.resolve("rnn" + hidden + ".pt");
            m.save(file.toString());
            return file;
        }
    }

    private static ObjectNode measure(ObjectMapper json, Path model, Graph g, int hidden, int steps, int runs, int warmups) {
        float[] v = new float[steps * hidden];
        java.util.Random r = new java.util.Random(steps * 31L + hidden);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        ConstantTensor x = ConstantTensor.ofFloats(new long[] {steps, 1, hidden}, v);
        double[] kiln = new double[runs];
        double[] script = new double[runs];
        double diff;
        try (Interpreter in = new Interpreter(g, TorchDevice.cpu()); TorchTensor xt = TorchTensors.fromConstant(x);
             PointerScope scope = new PointerScope()) {
            JitModule m = torch.load(model.toString());
            IValueVector args = new IValueVector();
            args.push_back(new IValue(TorchEval.toTorch(x).clone()));
            ConstantTensor want = TorchEval.toConstant(m.forward(args).toTensor());
            ConstantTensor got = in.runHost(List.of(x)).get(0);
            diff = maxAbsDiff(got, want);
            if (!(diff <= 1e-4)) {
                throw new KilnException("loops: Kiln's result differs from TorchScript's by " + diff + " (hidden " + hidden
                        + ", " + steps + " steps)");
            }
            // warm: the JIT compiles the interpreter's paths after some ten thousand trips
            for (int w = 0; w < warmups; w++) {
                in.run(List.of(xt)).forEach(TorchTensor::close);
                m.forward(args);
            }
            for (int k = 0; k < runs; k++) {
                // alternating, so that a slow stretch of a shared machine hits both alike
                long t0 = System.nanoTime();
                in.run(List.of(xt)).forEach(TorchTensor::close);
                kiln[k] = (System.nanoTime() - t0) / 1e6;
                t0 = System.nanoTime();
                m.forward(args);
                script[k] = (System.nanoTime() - t0) / 1e6;
            }
        }
        double kilnMs = Stats.of(kiln).median();
        double scriptMs = Stats.of(script).median();
        ObjectNode row = json.createObjectNode();
        row.put("hidden", hidden);
        row.put("steps", steps);
        row.put("runs", runs);
        row.put("kiln_ms", kilnMs);
        row.put("torchscript_ms", scriptMs);
        row.put("kiln_us_per_step", kilnMs * 1000 / steps);
        row.put("torchscript_us_per_step", scriptMs * 1000 / steps);
        row.put("added_us_per_step", (kilnMs - scriptMs) * 1000 / steps);
        row.put("max_abs_diff", diff);
        return row;
    }

    private static double maxAbsDiff(ConstantTensor a, ConstantTensor b) {
        if (!Arrays.equals(a.sizes(), b.sizes())) {
            throw new KilnException("loops: Kiln's result has shape " + Arrays.toString(a.sizes()) + ", TorchScript's "
                    + Arrays.toString(b.sizes()));
        }
        double d = 0;
        for (long i = 0; i < a.numel(); i++) {
            d = Math.max(d, Math.abs(a.getDouble(i) - b.getDouble(i)));
        }
        return d;
    }

    static String markdown(ObjectNode root) {
        StringBuilder sb = new StringBuilder();
        ObjectNode env = (ObjectNode) root.get("env");
        sb.append(String.format(Locale.ROOT, "Run-time loops on the CPU (%s, Kiln %s, %d cores, %d libtorch threads, JavaCPP"
                        + " maxPhysicalBytes %d): an RNN over x.size(0) steps, every state appended and stacked; median of %d"
                        + " runs each.%n%n", env.get("date").asText(), env.get("kiln").asText(), env.get("cpu_cores").asInt(),
                env.get("torch_threads").asInt(), env.get("javacpp_max_physical_bytes").asLong(),
                root.get("rows").size() == 0 ? 0 : root.get("rows").get(0).get("runs").asInt()));
        sb.append("| hidden | steps | Kiln ms | TorchScript ms | Kiln µs/step | TorchScript µs/step | added µs/step | max abs diff |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        List<String> lines = new ArrayList<>();
        root.get("rows").forEach(row -> lines.add(String.format(Locale.ROOT, "| %d | %d | %.2f | %.2f | %.1f | %.1f | %.1f | %.1e |%n",
                row.get("hidden").asInt(), row.get("steps").asInt(), row.get("kiln_ms").asDouble(), row.get("torchscript_ms").asDouble(),
                row.get("kiln_us_per_step").asDouble(), row.get("torchscript_us_per_step").asDouble(),
                row.get("added_us_per_step").asDouble(), row.get("max_abs_diff").asDouble())));
        lines.forEach(sb::append);
        return sb.toString();
    }
}
