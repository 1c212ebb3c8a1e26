package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.compiler.hybrid.HybridCompiler;
import dev.kiln.compiler.hybrid.HybridRuntime;
import dev.kiln.compiler.hybrid.KilnArchive;
import dev.kiln.compiler.hybrid.Platform;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.ir.DType;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.KilnException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Kiln's entry point: model file in, {@link CompiledModule} out. {@link #compile(Path, CompileSettings)}
 * loads the model, runs the {@link CompilePipeline} (shapes, precision, ...), partitions the graph
 * between TensorRT and libtorch (what no converter takes runs in libtorch, unless full compilation is
 * required: then an error lists every unsupported node with its reason), builds the engines and loads
 * the program. {@link #loadCompiled} reads a saved {@code .kiln} archive; {@link #build} makes the bare
 * single-engine plan of a fully convertible graph.
 *
 * <pre>{@code try (CompiledModule m = Kiln.compile(Path.of("resnet50.pt2"), CompileSettings.defaults())) { ... }}</pre>
 */
public final class Kiln {
    static {
        dev.kiln.ir.JavaCppDefaults.apply(); // before anything loads JavaCPP
    }

    private static final Logger LOG = LoggerFactory.getLogger(Kiln.class);

    private Kiln() {
    }

    /** Loads, optimizes, converts and builds {@code model}. */
    public static CompiledModule compile(Path model, CompileSettings settings) {
        return compile(load(model, settings.inputs()), settings);
    }

    /**
     * Optimizes, partitions and builds an already loaded graph (changed in place by the passes): what
     * TensorRT can run becomes engines, the rest runs in libtorch ({@link HybridCompiler}), unless the
     * settings require full compilation.
     */
    public static CompiledModule compile(Graph g, CompileSettings settings) {
        HybridCompiler.Result r = HybridCompiler.compile(g, settings);
        HybridRuntime rt = HybridRuntime.load(r.program());
        List<String> specs = new ArrayList<>();
        settings.inputs().forEach(s -> specs.add(s.text()));
        Optional<Platform> platform = r.platform();
        return new CompiledModule(rt, platform, settings.precision().name().toLowerCase(java.util.Locale.ROOT), specs,
                r.programIr(), Optional.of(r.partition()), r.seconds());
    }

    /**
     * Loads a {@code .kiln} archive written by {@link CompiledModule#save} or {@code kiln compile -o X.kiln}:
     * checks its format, checksums and (when it has engines) that this machine's TensorRT and GPU match
     * the ones that built them, then loads it. Every refusal is a {@link KilnException} naming the file.
     */
    public static CompiledModule loadCompiled(Path file) {
        KilnArchive.Contents c = KilnArchive.read(file, Platform::current);
        HybridRuntime rt = HybridRuntime.load(c.program());
        return new CompiledModule(rt, c.platform(), c.precision(), c.inputSpecs(), c.programIr(), Optional.empty(), 0);
    }

    /** Runs the passes and builds the serialized engine without loading it (what {@code kiln compile} needs). */
    public static BuiltEngine build(Graph g, CompileSettings settings) {
        long t0 = System.nanoTime();
        ConverterRegistry registry = ConverterRegistry.standard();
        ConverterSettings cs = EngineBuilder.settingsFor(g, settings.precision());
        CompilePipeline.run(g, settings, n -> registry.lookup(n, cs).supported());
        LOG.debug("pass pipeline took {} ms", (System.nanoTime() - t0) / 1_000_000);
        return (settings.isolatedBuilds() ? dev.kiln.compiler.hybrid.IsolatedBuilds.attempt(g, settings.engineOptions(), registry)
                : EngineBuilder.attempt(g, settings.engineOptions(), registry)).orThrow();
    }

    /**
     * Checks named host inputs ({@code x0, x1, ...} or the IR input names, as {@link CompiledModule#forward(Map)}
     * takes them) against what {@code g} declares, before it is compiled: their names, ranks, static sizes, the
     * ranges of symbolic sizes and the agreement of shared ones. A {@link KilnException} names the input and the
     * dimension; so a wrong input is refused in a second, not after the engines were built. A dtype other than the
     * declared one passes where the compiled module converts it (float to float, integer to integer).
     *
     * <pre>{@code Graph g = Kiln.load(model); Kiln.checkInputs(g, Npz.read(in)); CompiledModule m = Kiln.compile(g, s);}</pre>
     */
    public static void checkInputs(Graph g, Map<String, ConstantTensor> inputs) {
        List<ConstantTensor> ordered = CompiledModule.ordered(g.inputs().stream().map(Value::name).toList(), inputs);
        for (int i = 0; i < ordered.size(); i++) {
            Value v = g.inputs().get(i);
            DType have = ordered.get(i).dtype();
            if (v.type() instanceof TensorType tt && tt.dtype().isPresent()
                    && !dev.kiln.backend.tensorrt.runtime.ExecutionSession.convertible(have, tt.dtype().get())) {
                throw new KilnException("input x" + i + " (%" + v.name() + ") is " + have.text() + " but the model takes "
                        + tt.text() + "; convert it first");
            }
        }
        dev.kiln.compiler.hybrid.InputShapes.of(g).check(ordered.stream().map(ConstantTensor::sizes).toList());
    }

    /** Reads a model file into the IR (through {@link Models}, which picks the frontend). */
    public static Graph load(Path model) {
        return load(model, List.of());
    }

    /**
     * Reads a model file into the IR. TorchScript records no input types, so they come from
     * {@code specs} ({@code x0, x1, ...} in {@code forward}'s order; dtype f32 unless the spec says
     * {@code :i64} etc.; a range becomes a symbolic dimension); a .pt2 program types its own inputs.
     */
    public static Graph load(Path model, List<InputSpec> specs) {
        JavaCppCheck.warnOnce();
        dev.kiln.ir.InputFiles.require(model, "model file");
        if (ModelFormat.detect(model) != ModelFormat.TORCHSCRIPT) {
            return Models.load(model);
        }
        Graph g = Models.load(model, torchScriptInputTypes(model, specs));
        for (int i = 0; i < g.inputs().size(); i++) {
            Value v = g.inputs().get(i);
            if (v.type() instanceof TensorType tt && !tt.isComplete()) {
                throw new KilnException(model + ": a TorchScript model does not record its input shapes; give input x" + i
                        + " (%" + v.name() + ") and the others with --input x0=1x3x224x224 (add :i64 etc. for non-f32 inputs)");
            }
        }
        return g;
    }

    static List<TensorType> torchScriptInputTypes(Path model, List<InputSpec> specs) {
        Map<String, InputSpec> byName = new TreeMap<>();
        for (InputSpec s : specs) {
            if (!s.name().matches("x\\d+")) {
                throw new KilnException(model + ": name TorchScript inputs by position (x0, x1, ...), not '" + s.name() + "'");
            }
            byName.put(s.name(), s);
        }
        List<TensorType> types = new ArrayList<>();
        for (int i = 0; byName.containsKey("x" + i); i++) {
            InputSpec s = byName.get("x" + i);
            long[] min = s.min();
            long[] max = s.max();
            List<SymExpr> dims = new ArrayList<>();
            for (int k = 0; k < min.length; k++) {
                dims.add(min[k] == max[k] ? SymExpr.of(min[k]) : SymExpr.of(new Symbol("x" + i + "_" + k, min[k], max[k])));
            }
            types.add(new TensorType(s.dtype().orElse(DType.FLOAT32), Shape.of(dims)));
        }
        if (types.size() != byName.size()) {
            throw new KilnException(model + ": input specs " + byName.keySet() + " skip a position; give x0, x1, ... in order");
        }
        return types;
    }
}
