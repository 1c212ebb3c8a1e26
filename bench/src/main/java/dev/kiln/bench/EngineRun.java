package dev.kiln.bench;

import dev.kiln.backend.tensorrt.TrtTypes;
import dev.kiln.backend.tensorrt.runtime.Cuda;
import dev.kiln.backend.tensorrt.runtime.CudaGraph;
import dev.kiln.backend.tensorrt.runtime.CudaStream;
import dev.kiln.backend.tensorrt.runtime.DeviceBuffer;
import dev.kiln.backend.tensorrt.runtime.DeviceTensor;
import dev.kiln.backend.tensorrt.runtime.NativeLibraries;
import dev.kiln.backend.tensorrt.runtime.NativeObjects;
import dev.kiln.backend.tensorrt.runtime.TrtLogger;
import dev.kiln.compiler.measure.Stats;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.KilnException;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IEngineInspector;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.bytedeco.cuda.global.cudart.cudaEventCreate;
import static org.bytedeco.cuda.global.cudart.cudaEventDestroy;
import static org.bytedeco.cuda.global.cudart.cudaEventElapsedTime;
import static org.bytedeco.cuda.global.cudart.cudaEventRecord;
import static org.bytedeco.cuda.global.cudart.cudaEventSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaMemGetInfo;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;

/**
 * One serialized TensorRT engine (Kiln's or the ONNX parser's: both are timed by this same code),
 * deserialized with the bare TensorRT API, with one execution context, its own stream and every I/O
 * tensor bound to GPU memory: inputs uploaded once from the {@code .npz} ({@code x0, x1, ...}, converted
 * to the engine's dtypes), outputs allocated at the shapes the context reports. {@link #time} measures
 * with CUDA events, {@link #timeGraph} the same with the engine's work replayed from a CUDA graph;
 * {@link #bareWallMicros} times {@code enqueueV3} + stream sync on the host clock;
 * {@link #inspect} returns TensorRT's engine inspector JSON. {@link #close()} frees everything.
 *
 * <pre>{@code try (EngineRun r = EngineRun.load(plan, npz)) { EngineRun.Timing t = r.time(50, 300, 8, 32); }}</pre>
 */
public final class EngineRun implements AutoCloseable {
    private IRuntime runtime;
    private ICudaEngine engine;
    private IExecutionContext ctx;
    private final CudaStream stream;
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    private final List<String> outputNames = new ArrayList<>();
    private final List<DType> outputTypes = new ArrayList<>();
    private final List<long[]> outputShapes = new ArrayList<>();
    private final long freeBefore;

    /** Latency samples' statistics (ms) and throughput (items/s) of back-to-back runs. */
    public record Timing(Stats latencyMs, double throughput) {
    }

    private EngineRun(ByteBuffer plan, Map<String, ConstantTensor> npz) {
        NativeLibraries.requireTensorRt();
        Cuda.requireDevice();
        this.freeBefore = freeBytes();
        this.stream = new CudaStream();
        try {
            ByteBuffer direct = plan.isDirect() ? plan.slice() : copyDirect(plan);
            runtime = NativeObjects.own(nvinfer.createInferRuntime(TrtLogger.get()));
            engine = NativeObjects.own(runtime.deserializeCudaEngine(new Pointer(direct), direct.remaining()));
            if (engine == null || engine.isNull()) {
                throw new KilnException("TensorRT could not deserialize the engine (" + direct.remaining() + " bytes)");
            }
            ctx = NativeObjects.own(engine.createExecutionContext());
            if (ctx == null || ctx.isNull()) {
                throw new KilnException("TensorRT could not create an execution context (out of GPU memory?)");
            }
            bind(npz);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Deserializes {@code plan} and binds inputs from {@code npz} ({@code x0..}) and fresh output buffers. */
    public static EngineRun load(ByteBuffer plan, Map<String, ConstantTensor> npz) {
        return new EngineRun(plan, npz);
    }

    private void bind(Map<String, ConstantTensor> npz) {
        int n = engine.getNbIOTensors();
        int inputIndex = 0;
        for (int i = 0; i < n; i++) {
            String name = engine.getIOTensorName(i);
            DType dt = TrtTypes.fromTrt(engine.getTensorDataType(name));
            if (engine.getTensorIOMode(name).intern() == nvinfer.TensorIOMode.kINPUT) {
                ConstantTensor x = npz.containsKey(name) ? npz.get(name) : npz.get("x" + inputIndex);
                if (x == null) {
                    throw new KilnException("engine input " + name + " has no array in the .npz (keys " + npz.keySet() + ")");
                }
                inputIndex++;
                DeviceTensor d = DeviceTensor.upload(convert(x, dt));
                buffers.add(d.buffer());
                if (!ctx.setInputShape(name, dims(x.sizes()))) {
                    throw new KilnException("TensorRT refused shape " + java.util.Arrays.toString(x.sizes()) + " for " + name);
                }
                address(name, d.buffer());
            }
        }
        for (int i = 0; i < n; i++) {
            String name = engine.getIOTensorName(i);
            if (engine.getTensorIOMode(name).intern() != nvinfer.TensorIOMode.kOUTPUT) {
                continue;
            }
            DType dt = TrtTypes.fromTrt(engine.getTensorDataType(name));
            Dims64 d = ctx.getTensorShape(name);
            long[] shape = new long[d.nbDims()];
            long bytes = dt.byteSize();
            for (int k = 0; k < shape.length; k++) {
                shape[k] = d.d(k);
                if (shape[k] < 0) {
                    throw new KilnException("output " + name + " has a data-dependent shape; the bench cannot time it");
                }
                bytes *= shape[k];
            }
            DeviceBuffer b = new DeviceBuffer(bytes);
            buffers.add(b);
            address(name, b);
            outputNames.add(name);
            outputTypes.add(dt);
            outputShapes.add(shape);
        }
    }

    private void address(String name, DeviceBuffer b) {
        if (!ctx.setTensorAddress(name, b.pointer())) {
            throw new KilnException("TensorRT refused the buffer for " + name);
        }
    }

    /** One inference, queued on the stream (no sync). */
    public void enqueue() {
        if (!ctx.enqueueV3(stream.handle())) {
            throw new KilnException("enqueueV3 failed");
        }
    }

    public void sync() {
        stream.synchronize();
    }

    /**
     * Warm-up, then up to {@code iters} latency samples (event pair around one enqueue, synchronized
     * every iteration; stops early after {@code maxSeconds} once 10 samples are in), then back-to-back
     * enqueues (half as many, at least 10) for throughput.
     */
    public Timing time(int warmup, int iters, double maxSeconds, int batch) {
        return timeLoop(this::enqueue, warmup, iters, maxSeconds, batch);
    }

    /**
     * {@link #time}, with the engine's work captured once into a CUDA graph ({@code enqueueV3} inside
     * {@code cudaStreamBeginCapture}/{@code EndCapture}) and each sample one {@code cudaGraphLaunch}. At a small
     * batch an engine of a few hundred layers is host-bound: {@code enqueueV3} launches its kernels more slowly than
     * the GPU runs them, so {@link #time} measures the host's launch rate as much as the engine. Replayed from a
     * graph, the launches cost one call and what remains is the GPU's time for the engine, the figure two engines
     * are compared by. The outputs are cleared before the first launch, so {@link #outputs} afterwards reads what the
     * graph computed.
     *
     * @throws KilnException naming why when TensorRT's work cannot be captured (TensorRT documents engines that
     *     cannot be: data-dependent shapes, loops, conditionals)
     */
    public Timing timeGraph(int warmup, int iters, double maxSeconds, int batch) {
        // timeLoop waits for its last event, so every launch has run before the graph is freed
        return inGraph(launch -> timeLoop(launch, warmup, iters, maxSeconds, batch));
    }

    /**
     * {@code body} given one {@code cudaGraphLaunch} of the engine's work captured as {@link #timeGraph} captures it
     * (the launch only: {@code body} syncs, and must have waited for its last launch when it returns, as the graph is
     * freed then).
     *
     * @throws KilnException naming why when TensorRT's work cannot be captured
     */
    public <T> T inGraph(java.util.function.Function<Runnable, T> body) {
        // TensorRT applies shape and address updates lazily in the first enqueue; do that one outside the capture
        enqueue();
        sync();
        try (CudaGraph graph = CudaGraph.capture(ctx, stream)) {
            // what the outputs hold afterwards is then the graph's work, not left over from an enqueueV3
            for (DeviceBuffer b : outputBuffers()) {
                Cuda.check(cudaMemsetAsync(b.pointer(), 0, b.bytes(), stream.handle()), "clearing an output");
            }
            return body.apply(() -> graph.launch(stream));
        }
    }

    private Timing timeLoop(Runnable step, int warmup, int iters, double maxSeconds, int batch) {
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        sync();
        try (Events ev = new Events()) {
            double[] samples = new double[iters];
            int n = 0;
            long cap = System.nanoTime() + (long) (maxSeconds * 1e9);
            while (n < iters) {
                samples[n++] = sample(step, ev);
                if (n >= Math.min(10, iters) && System.nanoTime() > cap) {
                    break;
                }
            }
            int runs = Math.max(Math.min(10, iters), n / 2);
            double ms = sample(() -> {
                for (int i = 0; i < runs; i++) {
                    step.run();
                }
            }, ev);
            double throughput = batch * runs / (ms / 1000.0);
            return new Timing(Stats.of(java.util.Arrays.copyOf(samples, n)), throughput);
        }
    }

    /**
     * One call timed as {@link #time} times each of its samples: a CUDA event pair around one {@code enqueueV3} on this
     * engine's stream, waited for; in ms. For timing two engines call by call in turns ({@link GpuRunner}), one pair of
     * events shared between them.
     */
    public double sampleMs(Events ev) {
        return sample(this::enqueue, ev);
    }

    private double sample(Runnable step, Events ev) {
        Cuda.check(cudaEventRecord(ev.start, stream.handle()), "recording an event");
        step.run();
        Cuda.check(cudaEventRecord(ev.end, stream.handle()), "recording an event");
        Cuda.check(cudaEventSynchronize(ev.end), "waiting for the GPU");
        float[] ms = new float[1];
        Cuda.check(cudaEventElapsedTime(ms, ev.start, ev.end), "reading an event pair");
        return ms[0];
    }

    /** A pair of CUDA events for {@link #sampleMs}, owned by whoever creates it. */
    public static final class Events implements AutoCloseable {
        private final CUevent_st start = new CUevent_st();
        private final CUevent_st end = new CUevent_st();

        public Events() {
            Cuda.check(cudaEventCreate(start), "creating a CUDA event");
            try {
                Cuda.check(cudaEventCreate(end), "creating a CUDA event");
            } catch (RuntimeException e) {
                cudaEventDestroy(start);
                throw e;
            }
        }

        @Override
        public void close() {
            cudaEventDestroy(start);
            cudaEventDestroy(end);
        }
    }

    /** Host wall time (µs) of {@code enqueueV3} + stream sync, {@code iters} times after {@code warmup}. */
    public Stats bareWallMicros(int warmup, int iters) {
        return Stats.of(Stats.wallTimes(() -> {
            enqueue();
            sync();
        }, warmup, iters, 1e3));
    }

    /** The outputs of the last run, on the host, in engine order. */
    public List<ConstantTensor> outputs() {
        sync();
        List<ConstantTensor> out = new ArrayList<>();
        List<DeviceBuffer> bufs = outputBuffers();
        for (int i = 0; i < outputNames.size(); i++) {
            DType dt = outputTypes.get(i);
            long[] shape = outputShapes.get(i);
            DeviceTensor view = new DeviceTensor(dt, shape, bufs.get(i));
            out.add(view.download());
        }
        return out;
    }

    /** The output buffers, in engine order: bound after the inputs', so the last ones. */
    private List<DeviceBuffer> outputBuffers() {
        return buffers.subList(buffers.size() - outputNames.size(), buffers.size());
    }

    public List<String> outputNames() {
        return List.copyOf(outputNames);
    }

    /** GPU memory this engine took so far: the drop in {@code cudaMemGetInfo}'s free bytes since before loading. */
    public long memoryBytes() {
        return freeBefore - freeBytes();
    }

    /** TensorRT's activation memory for the context ({@code getDeviceMemorySizeV2}). */
    public long activationBytes() {
        return engine.getDeviceMemorySizeV2();
    }

    public int layerCount() {
        return engine.getNbLayers();
    }

    /** The engine inspector's JSON for the whole engine (detail as the builder's profiling verbosity allows). */
    public String inspect() {
        IEngineInspector insp = NativeObjects.own(engine.createEngineInspector());
        if (insp == null || insp.isNull()) {
            return "{}";
        }
        try {
            insp.setExecutionContext(ctx);
            String s = insp.getEngineInformation(nvinfer.LayerInformationFormat.kJSON);
            return s == null ? "{}" : s;
        } finally {
            NativeObjects.close(insp);
        }
    }

    static long freeBytes() {
        SizeTPointer free = new SizeTPointer(1);
        SizeTPointer total = new SizeTPointer(1);
        try {
            Cuda.check(cudaMemGetInfo(free, total), "reading free GPU memory");
            return free.get();
        } finally {
            free.close();
            total.close();
        }
    }

    static Dims64 dims(long[] s) {
        Dims64 d = new Dims64();
        d.nbDims(s.length);
        for (int i = 0; i < s.length; i++) {
            d.d(i, s[i]);
        }
        return d;
    }

    /** {@code t} as {@code to} (element by element when the dtypes differ: f32 inputs for an f16 engine, i64 ids for i32). */
    static ConstantTensor convert(ConstantTensor t, DType to) {
        if (t.dtype() == to) {
            return t;
        }
        ByteBuffer b = ConstantTensor.allocate(to, t.sizes());
        for (long i = 0; i < t.numel(); i++) {
            ElementCodec.put(to, b, i, t.getDouble(i));
        }
        return new ConstantTensor(to, t.sizes(), b);
    }

    private static ByteBuffer copyDirect(ByteBuffer b) {
        ByteBuffer d = ByteBuffer.allocateDirect(b.remaining());
        d.put(b.duplicate());
        d.flip();
        return d;
    }

    @Override
    public void close() {
        if (stream != null) {
            try {
                stream.synchronize();
            } catch (RuntimeException e) {
                // closing anyway
            }
        }
        NativeObjects.close(ctx);
        ctx = null;
        NativeObjects.close(engine);
        engine = null;
        NativeObjects.close(runtime);
        runtime = null;
        buffers.forEach(DeviceBuffer::close);
        buffers.clear();
        if (stream != null) {
            stream.close();
        }
    }
}
