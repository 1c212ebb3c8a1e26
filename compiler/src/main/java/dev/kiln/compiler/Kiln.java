package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Kiln's entry point: model file in, {@link CompiledModule} out. {@link #compile(Path, CompileSettings)}
 * loads the model, runs the {@link CompilePipeline} (shapes, precision, ...), requires a converter
 * for every node (until fallback to libtorch lands: an error lists every unsupported node with its
 * reason), builds the TensorRT engine and loads it.
 *
 * <pre>{@code try (CompiledModule m = Kiln.compile(Path.of("resnet50.pt2"), CompileSettings.defaults())) { ... }}</pre>
 */
public final class Kiln {
    private static final Logger LOG = LoggerFactory.getLogger(Kiln.class);

    private Kiln() {
    }

    /** Loads, optimizes, converts and builds {@code model}. */
    public static CompiledModule compile(Path model, CompileSettings settings) {
        return compile(load(model), settings);
    }

    /** Optimizes, converts and builds an already loaded graph (changed in place by the passes). */
    public static CompiledModule compile(Graph g, CompileSettings settings) {
        BuiltEngine built = build(g, settings);
        Engine e = Engine.deserialize(built.plan());
        return new CompiledModule(e, built.inputNames(), built.outputNames(), built.buildSeconds());
    }

    /** Runs the passes and builds the serialized engine without loading it (what {@code kiln compile} needs). */
    public static BuiltEngine build(Graph g, CompileSettings settings) {
        long t0 = System.nanoTime();
        ConverterRegistry registry = ConverterRegistry.standard();
        ConverterSettings cs = EngineBuilder.settingsFor(g, settings.precision());
        CompilePipeline.run(g, settings.precision(), settings.keepFp32(), n -> registry.lookup(n, cs).supported());
        LOG.debug("pass pipeline took {} ms", (System.nanoTime() - t0) / 1_000_000);
        return EngineBuilder.build(g, settings.engineOptions(), registry);
    }

    /** Reads a model file into the IR (through {@link Models}, which picks the frontend). */
    public static Graph load(Path model) {
        if (!Files.isRegularFile(model)) {
            throw new KilnException(model + ": no such model file");
        }
        return Models.load(model);
    }
}
