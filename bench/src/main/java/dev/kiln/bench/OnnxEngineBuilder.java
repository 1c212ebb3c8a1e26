package dev.kiln.bench;

import dev.kiln.backend.tensorrt.runtime.Cuda;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.backend.tensorrt.runtime.NativeLibraries;
import dev.kiln.backend.tensorrt.runtime.NativeObjects;
import dev.kiln.backend.tensorrt.runtime.TrtLogger;
import dev.kiln.ir.KilnException;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.bytedeco.tensorrt.nvonnxparser.IParser;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The "ONNX→TensorRT" peer: TensorRT's own ONNX parser ({@code nvonnxparser} of the same TensorRT) fills
 * a STRONGLY TYPED network, built with the builder settings Kiln's {@code EngineBuilder} uses: TF32
 * off, TensorRT's default workspace and optimization level, no precision flags (the ONNX file's types
 * decide, as Kiln's IR types do), a timing cache file, and no optimization profile (the bench's
 * exports are static). The FP16 peer parses the ONNX export of the {@code .half()} model.
 *
 * <p>The parser object is never deleted: JavaCPP generates no destructor for the abstract
 * {@code IParser}, so it (and the host copy of the weights it keeps) lives until the process ends.
 *
 * <pre>{@code OnnxEngineBuilder.Built b = OnnxEngineBuilder.build(Path.of("resnet50_b1.onnx"), Path.of("onnx.cache"));}</pre>
 */
public final class OnnxEngineBuilder {
    private OnnxEngineBuilder() {
    }

    /** A serialized engine and the seconds parse + build took. */
    public record Built(ByteBuffer plan, double seconds, List<String> warnings) {
    }

    /**
     * Builds a one-layer network and throws it away, so that loading TensorRT's builder libraries (over
     * a gigabyte) is not charged to the first model's cold compile. Returns the seconds it took.
     */
    public static double warmUp() {
        NativeLibraries.requireTensorRt();
        Cuda.requireDevice();
        long t0 = System.nanoTime();
        IBuilder builder = NativeObjects.own(nvinfer.createInferBuilder(TrtLogger.get()));
        INetworkDefinition network = NativeObjects.own(
                builder.createNetworkV2(1 << nvinfer.NetworkDefinitionCreationFlag.kSTRONGLY_TYPED.value));
        IBuilderConfig config = NativeObjects.own(builder.createBuilderConfig());
        IHostMemory plan = null;
        try {
            org.bytedeco.tensorrt.nvinfer.ITensor x = network.addInput("x", nvinfer.DataType.kFLOAT, EngineRun.dims(new long[] {1, 64}));
            network.markOutput(network.addActivation(x, nvinfer.ActivationType.kRELU).getOutput(0));
            plan = NativeObjects.own(builder.buildSerializedNetwork(network, config));
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            NativeObjects.close(plan);
            NativeObjects.close(config);
            NativeObjects.close(network);
            NativeObjects.close(builder);
        }
    }

    public static Built build(Path onnx, Path timingCache) {
        if (!Files.isRegularFile(onnx)) {
            throw new KilnException(onnx + ": no such ONNX file (did export_and_time.py export it?)");
        }
        NativeLibraries.requireTensorRt();
        Cuda.requireDevice();
        long t0 = System.nanoTime();
        TrtLogger.Capture log = TrtLogger.get().capture();
        IBuilder builder = null;
        INetworkDefinition network = null;
        IBuilderConfig config = null;
        ITimingCache cache = null;
        IHostMemory plan = null;
        IParser parser = null;
        try {
            builder = NativeObjects.own(nvinfer.createInferBuilder(TrtLogger.get()));
            network = NativeObjects.own(builder.createNetworkV2(1 << nvinfer.NetworkDefinitionCreationFlag.kSTRONGLY_TYPED.value));
            // owned like the builder's objects (a C++ delete), and freed before the network it fills
            parser = NativeObjects.own(nvonnxparser.createParser(network, TrtLogger.get()));
            if (parser == null || parser.isNull()) {
                throw new KilnException("TensorRT could not create an ONNX parser: " + String.join("; ", log.errors()));
            }
            if (!parser.parseFromFile(onnx.toAbsolutePath().toString(), org.bytedeco.tensorrt.nvinfer.ILogger.Severity.kWARNING.value)) {
                List<String> errs = new ArrayList<>();
                for (int i = 0; i < parser.getNbErrors(); i++) {
                    errs.add(parser.getError(i).desc());
                }
                throw new KilnException(onnx + ": TensorRT's ONNX parser failed: " + String.join("; ", errs)
                        + " " + String.join("; ", log.errors()));
            }
            config = NativeObjects.own(builder.createBuilderConfig());
            config.clearFlag(nvinfer.BuilderFlag.kTF32);
            // each layer's tactic and formats for the engine inspector, as Kiln's engines in the bench record them
            config.setProfilingVerbosity(nvinfer.ProfilingVerbosity.kDETAILED);
            cache = openCache(config, timingCache);
            plan = NativeObjects.own(builder.buildSerializedNetwork(network, config));
            if (plan == null || plan.isNull() || plan.size() == 0) {
                throw new KilnException(onnx + ": TensorRT could not build the ONNX engine: " + String.join("; ", log.errors()));
            }
            ByteBuffer bytes = Engine.copyOut(plan);
            saveCache(cache, timingCache);
            return new Built(bytes, (System.nanoTime() - t0) / 1e9, log.warnings());
        } finally {
            NativeObjects.close(plan);
            NativeObjects.close(config);
            NativeObjects.close(cache);
            NativeObjects.close(parser);
            NativeObjects.close(network);
            NativeObjects.close(builder);
            log.close();
        }
    }

    private static ITimingCache openCache(IBuilderConfig config, Path file) {
        ByteBuffer data = null;
        if (Files.isRegularFile(file)) {
            try {
                data = dev.kiln.ir.InputFiles.readDirect(file, "timing cache");
            } catch (KilnException e) {
                data = null;
            }
        }
        ITimingCache c = NativeObjects.own(data == null ? config.createTimingCache(null, 0)
                : config.createTimingCache(new Pointer(data), data.remaining()));
        if (c != null && !c.isNull()) {
            config.setTimingCache(c, false);
        }
        return c;
    }

    private static void saveCache(ITimingCache cache, Path file) {
        if (cache == null || cache.isNull()) {
            return;
        }
        IHostMemory m = NativeObjects.own(cache.serialize());
        try {
            if (m != null && !m.isNull()) {
                Engine.writeAtomically(file, Engine.copyOut(m));
            }
        } finally {
            NativeObjects.close(m);
        }
    }
}
