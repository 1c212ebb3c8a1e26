package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.Profiles;
import dev.kiln.backend.tensorrt.runtime.DeviceBuffer;
import dev.kiln.backend.tensorrt.runtime.DeviceTensor;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.compiler.hybrid.HybridRuntime;
import dev.kiln.compiler.hybrid.KilnArchive;
import dev.kiln.compiler.hybrid.ModuleStats;
import dev.kiln.compiler.hybrid.Platform;
import dev.kiln.compiler.hybrid.Program;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;
import dev.kiln.partition.Partition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A compiled model: a {@link Program} of TensorRT engines and libtorch segments run by a
 * {@link HybridRuntime}. {@link #forward(List)} takes and returns host tensors in graph order;
 * {@link #forward(Map)} uses the {@code .npz} convention ({@code x0, x1, ...} in, {@code y0, y1, ...}
 * out; inputs may also be keyed by their IR names); {@link #forwardOnDevice} and {@link #forwardInto}
 * keep everything on the GPU. Every {@code forward*} may be called from many threads at once (an
 * execution context per concurrent caller, pooled). {@link #save} writes a {@code .kiln} archive
 * ({@link KilnArchive}; {@code .engine} for a one-engine model writes the bare plan as before).
 * {@link #close()} frees every engine, context and buffer; using the module afterwards is a
 * {@link KilnException}.
 *
 * <pre>{@code
 * try (CompiledModule m = Kiln.compile(Path.of("cnn.pt2"), CompileSettings.defaults())) {
 *     Map<String, ConstantTensor> ys = m.forward(Npz.read(Path.of("in.npz")));
 *     m.save(Path.of("cnn.kiln"));
 * }
 * }</pre>
 */
public final class CompiledModule implements AutoCloseable {
    private final HybridRuntime runtime;
    private final Optional<Platform> platform;
    private final String precision;
    private final List<String> inputSpecs;
    private final String programIr;
    private final Optional<Partition> partition;
    private final double buildSeconds;

    CompiledModule(HybridRuntime runtime, Optional<Platform> platform, String precision, List<String> inputSpecs, String programIr,
                   Optional<Partition> partition, double buildSeconds) {
        this.runtime = runtime;
        this.platform = platform;
        this.precision = precision;
        this.inputSpecs = List.copyOf(inputSpecs);
        this.programIr = programIr;
        this.partition = partition;
        this.buildSeconds = buildSeconds;
        JavaCppCheck.warnOnce();
    }

    /** Loads a {@code .kiln} archive ({@link Kiln#loadCompiled}) or a bare {@code .engine} plan (IR names unknown: x0.., y0..). */
    public static CompiledModule load(Path file) {
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".kiln") || isArchive(file)) {
            return Kiln.loadCompiled(file);
        }
        ByteBuffer plan = Engine.readPlan(file);
        Engine e = Engine.deserialize(plan);
        HybridRuntime rt = HybridRuntime.ofEngine(e, plan, file.getFileName().toString());
        return new CompiledModule(rt, Optional.empty(), "unknown", List.of(), "", Optional.empty(), 0);
    }

    /** Whether {@code file} is a zip with a Kiln manifest (rather than a bare TensorRT plan). */
    static boolean isArchive(Path file) {
        dev.kiln.ir.InputFiles.require(file, "file");
        try (var in = Files.newInputStream(file)) {
            byte[] h = in.readNBytes(4);
            return h.length == 4 && h[0] == 'P' && h[1] == 'K' && h[2] == 3 && h[3] == 4;
        } catch (IOException e) {
            throw new KilnException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Runs on host tensors, in graph-input order; returns the outputs in graph-output order. */
    public List<ConstantTensor> forward(List<ConstantTensor> inputs) {
        return runtime.forward(inputs);
    }

    /**
     * {@code inputs} in the order of the model's inputs {@code names}: each by {@code x0, x1, ...} or by its IR name;
     * {@code y0..} entries (an .npz's reference outputs) are ignored, and any other name is an error.
     */
    static List<ConstantTensor> ordered(List<String> names, Map<String, ConstantTensor> inputs) {
        if (inputs == null) {
            throw new KilnException("the inputs are null; pass a map from x0, x1, ... (or the IR input names) to tensors");
        }
        java.util.Set<String> known = new java.util.HashSet<>(names);
        for (int i = 0; i < names.size(); i++) {
            known.add(Profiles.inputName(i));
        }
        // y0, y1, ...: reference outputs riding in the same .npz (Kiln's file convention), not inputs
        List<String> unknown = inputs.keySet().stream().filter(k -> !known.contains(k) && !k.matches("y\\d+")).sorted().toList();
        if (!unknown.isEmpty()) {
            // a misspelt name would otherwise be ignored while its tensor silently goes unused
            List<String> takes = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                takes.add(Profiles.inputName(i) + " (" + names.get(i) + ")");
            }
            throw new KilnException("unknown input name(s) " + unknown + "; the model takes " + takes);
        }
        List<ConstantTensor> ordered = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String engineName = Profiles.inputName(i);
            ConstantTensor t = inputs.containsKey(engineName) ? inputs.get(engineName) : inputs.get(names.get(i));
            if (t == null) {
                throw new KilnException("no tensor for input " + engineName + " (" + names.get(i) + "); given: " + inputs.keySet());
            }
            ordered.add(t);
        }
        return ordered;
    }

    /**
     * Runs on named host tensors ({@code x0..} or IR input names; {@code y0..} entries, an .npz's reference
     * outputs, are ignored, and any other name is an error); returns {@code y0, y1, ...}.
     */
    public Map<String, ConstantTensor> forward(Map<String, ConstantTensor> inputs) {
        List<ConstantTensor> ordered = ordered(inputNames(), inputs);
        List<ConstantTensor> ys = runtime.forward(ordered);
        Map<String, ConstantTensor> out = new LinkedHashMap<>();
        for (int i = 0; i < ys.size(); i++) {
            out.put(Profiles.outputName(i), ys.get(i));
        }
        return out;
    }

    /** Runs on GPU tensors (borrowed); the returned GPU tensors belong to the caller (close them). */
    public List<DeviceTensor> forwardOnDevice(List<DeviceTensor> inputs) {
        return runtime.forwardOnDevice(inputs);
    }

    /** Runs on GPU tensors into the caller's GPU output buffers; returns the output shapes. */
    public List<long[]> forwardInto(List<DeviceTensor> inputs, List<DeviceBuffer> outputs) {
        return runtime.forwardInto(inputs, outputs);
    }

    /**
     * For measuring what {@link #forwardInto} adds to TensorRT's own cost per call: binds {@code inputs} and
     * {@code outputs} as {@code forwardInto} does and runs once, then hands {@code body} a call that is only TensorRT's
     * {@code enqueueV3} plus a stream sync, on the same engine and execution context (for a caller on one thread).
     * The call works inside {@code body} only. A module that is not one TensorRT engine is refused.
     *
     * <pre>{@code double[] bareUs = m.withBareEnqueue(ins, outs, bare -> Stats.wallTimes(bare, 10, 100, 1e3));}</pre>
     */
    public <T> T withBareEnqueue(List<DeviceTensor> inputs, List<DeviceBuffer> outputs, Function<Runnable, T> body) {
        return runtime.withBareEnqueue(inputs, outputs, body);
    }

    /**
     * Switches CUDA graphs on or off for later calls (off by default), like Torch-TensorRT's
     * {@code enable_cudagraphs}. On, a call with the same input shapes and buffers as the caller's previous one
     * replays each engine as one CUDA graph launch instead of one kernel launch per layer: what bounds a model of
     * a few hundred layers at batch 1. Outputs are the same; the first call after a change of shape or buffer runs
     * plainly and the next one captures. Returns this module.
     */
    public CompiledModule useCudaGraphs(boolean on) {
        runtime.useCudaGraphs(on);
        return this;
    }

    /**
     * Writes the module: a {@code .kiln} archive ({@link KilnArchive}: manifest, engines, torch segments
     * and their weights), or, when {@code file} ends in {@code .engine} and the module is one engine,
     * that engine's bare plan. Atomic: a failed write leaves an existing file as it was.
     */
    public void save(Path file) {
        Program p = runtime.program();
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".engine")) {
            if (p.stages().size() != 1 || !(p.stages().get(0) instanceof Program.EngineStage es)) {
                throw new KilnException(file + ": an .engine file holds one TensorRT engine but this module is " + p.describe()
                        + "; save it as a .kiln archive");
            }
            Engine.writeAtomically(file, es.plan());
            return;
        }
        Optional<Platform> pl = platform.isPresent() || !p.needsGpu() ? platform : Optional.of(Platform.current());
        KilnArchive.write(file, new KilnArchive.Contents(p, pl, precision, inputSpecs, programIr, Platform.kilnVersion()));
    }

    /** The engine of a module that is one TensorRT engine; a {@link KilnException} otherwise. */
    public Engine engine() {
        Program p = runtime.program();
        if (p.stages().size() != 1 || runtime.engine(0).isEmpty()) {
            throw new KilnException("module " + p.name() + " is " + p.describe() + ", not a single TensorRT engine");
        }
        return runtime.engine(0).get();
    }

    /** The program: its slots and stages. */
    public Program program() {
        return runtime.program();
    }

    /** Calls, contexts and boundary copies so far. */
    public ModuleStats stats() {
        return runtime.stats();
    }

    /** How the graph was split (empty for a module loaded from a file). */
    public Optional<Partition> partition() {
        return partition;
    }

    /** IR names of the inputs, in order ({@code x0, x1, ...} for a bare engine). */
    public List<String> inputNames() {
        Program p = runtime.program();
        List<String> out = new ArrayList<>();
        p.inputs().forEach(s -> out.add(p.slots().get(s).value()));
        return out;
    }

    /** IR names of the outputs, in order. */
    public List<String> outputNames() {
        Program p = runtime.program();
        List<String> out = new ArrayList<>();
        p.outputs().forEach(s -> out.add(p.slots().get(s).value()));
        return out;
    }

    /** Seconds the compile took (engines, or the cache, included; 0 when loaded from a file). */
    public double buildSeconds() {
        return buildSeconds;
    }

    /** Frees everything, once (waiting for calls in flight); idempotent. */
    @Override
    public void close() {
        runtime.close();
    }
}
