package dev.kiln.backend.tensorrt.runtime;

import dev.kiln.backend.tensorrt.TrtTypes;
import dev.kiln.ir.DType;
import dev.kiln.ir.AtomicFile;
import dev.kiln.ir.KilnException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.bytedeco.tensorrt.global.nvinfer.createInferRuntime;

/**
 * A deserialized TensorRT engine: owns the {@code IRuntime} and {@code ICudaEngine} (deleted by
 * {@link #close()}), and knows its I/O tensors (Kiln names them {@code x0, x1, ...} and
 * {@code y0, y1, ...}). Run it through an {@link ExecutionSession}.
 *
 * <pre>{@code
 * try (Engine e = Engine.load(Path.of("m.engine")); ExecutionSession s = e.newSession()) {
 *     List<ConstantTensor> ys = s.run(List.of(x));
 * }
 * }</pre>
 */
public final class Engine implements AutoCloseable {
    private final TrtLogger.Capture log;
    private IRuntime runtime;
    private ICudaEngine engine;
    private final List<IoTensor> inputs = new ArrayList<>();
    private final List<IoTensor> outputs = new ArrayList<>();

    /** One engine input or output: name, dtype, shape (-1 for a dynamic dimension) and profile range for inputs. */
    public record IoTensor(String name, DType dtype, long[] shape, long[] min, long[] max) {
        public boolean isDynamic() {
            return Arrays.stream(shape).anyMatch(d -> d < 0);
        }

        @Override
        public String toString() {
            return name + ": " + dtype.text() + Arrays.toString(shape)
                    + (isDynamic() && min.length > 0 ? " in " + Arrays.toString(min) + ".." + Arrays.toString(max) : "");
        }
    }

    private Engine(TrtLogger.Capture log, IRuntime runtime, ICudaEngine engine) {
        this.log = log;
        this.runtime = runtime;
        this.engine = engine;
        int n = engine.getNbIOTensors();
        for (int i = 0; i < n; i++) {
            String name = engine.getIOTensorName(i);
            boolean input = engine.getTensorIOMode(name).intern() == nvinfer.TensorIOMode.kINPUT;
            DType dt = TrtTypes.fromTrt(engine.getTensorDataType(name));
            long[] shape = dims(engine.getTensorShape(name));
            long[] min = new long[0];
            long[] max = new long[0];
            if (input && engine.getNbOptimizationProfiles() > 0) {
                min = dims(engine.getProfileShape(name, 0, nvinfer.OptProfileSelector.kMIN));
                max = dims(engine.getProfileShape(name, 0, nvinfer.OptProfileSelector.kMAX));
            }
            (input ? inputs : outputs).add(new IoTensor(name, dt, shape, min, max));
        }
        // Kiln's engines name their tensors x0.. and y0..: keep them in that order whatever order TensorRT lists them in
        sortByIndex(inputs, "x");
        sortByIndex(outputs, "y");
    }

    private static void sortByIndex(List<IoTensor> l, String prefix) {
        for (IoTensor t : l) {
            if (!t.name().matches(prefix + "\\d+")) {
                return;
            }
        }
        l.sort(java.util.Comparator.comparingInt(t -> Integer.parseInt(t.name().substring(prefix.length()))));
    }

    /** Deserializes a plan (the bytes from position to limit of a direct buffer are read in place). */
    public static Engine deserialize(ByteBuffer plan) {
        NativeLibraries.requireTensorRt();
        Cuda.requireDevice();
        ByteBuffer direct = plan.isDirect() ? plan.slice() : copyDirect(plan);
        TrtLogger.Capture log = TrtLogger.get().capture();
        IRuntime rt = NativeObjects.own(createInferRuntime(TrtLogger.get()));
        if (rt == null || rt.isNull()) {
            log.close();
            throw new KilnException("TensorRT could not create a runtime: " + String.join("; ", log.errors()));
        }
        ICudaEngine e = NativeObjects.own(rt.deserializeCudaEngine(new Pointer(direct), direct.remaining()));
        if (e == null || e.isNull()) {
            NativeObjects.close(rt);
            log.close();
            throw new KilnException("TensorRT could not load the engine (" + direct.remaining() + " bytes): "
                    + (log.errors().isEmpty() ? "no message" : String.join("; ", log.errors()))
                    + ". Engines only load with the TensorRT version and GPU model that built them; rebuild it with kiln compile");
        }
        try {
            return new Engine(log, rt, e);
        } catch (RuntimeException ex) {
            NativeObjects.close(e);
            NativeObjects.close(rt);
            log.close();
            throw ex;
        }
    }

    /** Loads a {@code .engine} file written by {@link #save} or {@code kiln compile}. */
    public static Engine load(Path file) {
        return deserialize(readPlan(file));
    }

    /** The bytes of a {@code .engine} file, in a fresh direct buffer (at most 2 GiB). */
    public static ByteBuffer readPlan(Path file) {
        return dev.kiln.ir.InputFiles.readDirect(file, "engine");
    }

    /** The engine's plan, in a fresh direct buffer. */
    public ByteBuffer serialize() {
        IHostMemory mem = NativeObjects.own(live().serialize());
        try {
            return copyOut(mem);
        } finally {
            NativeObjects.close(mem);
        }
    }

    /** Writes the plan to {@code file} (atomically: a temp file renamed into place). */
    public void save(Path file) {
        writeAtomically(file, serialize());
    }

    /** A new execution context with its own stream and device buffers. */
    public ExecutionSession newSession() {
        return new ExecutionSession(this);
    }

    /**
     * A new execution context that enqueues on {@code stream} (borrowed: the caller keeps it open longer
     * than the session and closes it), so several engines can run in order on one stream.
     */
    public ExecutionSession newSession(CudaStream stream) {
        return new ExecutionSession(this, java.util.Objects.requireNonNull(stream, "stream"));
    }

    public List<IoTensor> inputs() {
        return List.copyOf(inputs);
    }

    public List<IoTensor> outputs() {
        return List.copyOf(outputs);
    }

    /** The layer count TensorRT reports (after its fusions). */
    public int layerCount() {
        return live().getNbLayers();
    }

    /**
     * TensorRT's engine inspector output for the whole engine, as JSON: layer names, and, for an engine built with
     * detailed layer information, each layer's tactic (kernel) and its inputs' and outputs' formats and types (where
     * int8 layers show as such).
     */
    public String layerInformation() {
        org.bytedeco.tensorrt.nvinfer.IEngineInspector insp = NativeObjects.own(live().createEngineInspector());
        if (insp == null || insp.isNull()) {
            throw new KilnException("TensorRT could not create an engine inspector");
        }
        try {
            String s = insp.getEngineInformation(org.bytedeco.tensorrt.global.nvinfer.LayerInformationFormat.kJSON);
            return s == null ? "{}" : s;
        } finally {
            NativeObjects.close(insp);
        }
    }

    ICudaEngine live() {
        if (engine == null) {
            throw new IllegalStateException("engine already closed");
        }
        return engine;
    }

    /** TensorRT's messages about this engine (errors are quoted in exceptions). */
    TrtLogger.Capture log() {
        return log;
    }

    @Override
    public void close() {
        NativeObjects.close(engine);
        engine = null;
        NativeObjects.close(runtime);
        runtime = null;
        log.close();
    }

    static long[] dims(Dims64 d) {
        int n = d.nbDims();
        if (n < 0) {
            return new long[0];
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = d.d(i);
        }
        return out;
    }

    /** Copies an {@code IHostMemory} into a fresh direct buffer. */
    public static ByteBuffer copyOut(IHostMemory mem) {
        long size = mem.size();
        if (size > Integer.MAX_VALUE) {
            throw new KilnException("TensorRT produced " + size + " bytes, over the 2 GiB Kiln can hold");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) size).order(ByteOrder.LITTLE_ENDIAN);
        BytePointer src = new BytePointer(mem.data()).capacity(size);
        out.put(src.asByteBuffer());
        out.flip();
        return out;
    }

    /** Writes {@code data} to {@code file} through a temp file and an atomic rename. */
    public static void writeAtomically(Path file, ByteBuffer data) {
        AtomicFile.write(file, "the engine", out -> AtomicFile.put(out, data));
    }

    private static ByteBuffer copyDirect(ByteBuffer b) {
        ByteBuffer d = ByteBuffer.allocateDirect(b.remaining());
        d.put(b.duplicate());
        d.flip();
        return d;
    }
}
