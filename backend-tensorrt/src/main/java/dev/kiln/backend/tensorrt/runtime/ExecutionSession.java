package dev.kiln.backend.tensorrt.runtime;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.KilnException;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One execution context of an {@link Engine}, with its own CUDA stream and device buffers: inputs are
 * bound by name ({@code x0, x1, ...}), input shapes and tensor addresses are set when they differ from
 * the previous call's ({@link BindingState}), and {@code enqueueV3} runs the engine. Outputs come back
 * as host tensors ({@link #run}) or stay on the GPU ({@link #runOnDevice}). With {@link #useCudaGraphs}
 * on, a call whose shapes and buffers are those of the call before replays a CUDA graph of the engine's
 * work instead of calling {@code enqueueV3} ({@link GraphPlan}): one launch instead of one per layer, which
 * is what bounds an engine of a few hundred layers at batch 1. Not thread-safe: one session per thread.
 * {@link #close()} frees the context, the stream, the buffers and the graph.
 *
 * <pre>{@code try (ExecutionSession s = engine.newSession()) { for (...) ys = s.run(List.of(x)); }}</pre>
 */
public final class ExecutionSession implements AutoCloseable {
    private final Engine engine;
    private IExecutionContext ctx;
    private final CudaStream stream;
    /** False when the stream is borrowed ({@link Engine#newSession(CudaStream)}): closing the session leaves it open. */
    private final boolean ownsStream;
    /** Session-owned buffers per I/O tensor, grown when a call needs more. */
    private final Map<String, DeviceBuffer> buffers = new LinkedHashMap<>();
    /** The addresses and shapes the context holds from the last call (unchanged ones are not set again). */
    private final BindingState state = new BindingState();
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionSession.class);
    private boolean cudaGraphs;
    private final GraphPlan graphPlan = new GraphPlan();
    private CudaGraph graph;
    private boolean lastReplayed;

    ExecutionSession(Engine engine) {
        this(engine, null);
    }

    /** A session on {@code borrowed} (not closed by {@link #close()}), or on a stream of its own when null. */
    ExecutionSession(Engine engine, CudaStream borrowed) {
        this.engine = engine;
        this.ownsStream = borrowed == null;
        this.stream = borrowed == null ? new CudaStream() : borrowed;
        IExecutionContext c = NativeObjects.own(engine.live().createExecutionContext());
        if (c == null || c.isNull()) {
            if (ownsStream) {
                stream.close();
            }
            throw new KilnException("TensorRT could not create an execution context: "
                    + String.join("; ", engine.log().errors()) + " (out of GPU memory?)");
        }
        this.ctx = c;
    }

    /** Runs with host inputs (converted to the engine's input dtypes when they differ) and returns host outputs. */
    public List<ConstantTensor> run(List<ConstantTensor> inputs) {
        List<Engine.IoTensor> ins = engine.inputs();
        checkCount(inputs.size());
        long[][] shapes = new long[ins.size()][];
        for (int i = 0; i < ins.size(); i++) {
            Engine.IoTensor io = ins.get(i);
            ConstantTensor t = convert(inputs.get(i), io.dtype(), io.name());
            shapes[i] = t.sizes();
            DeviceBuffer b = buffer(io.name(), t.byteSize());
            b.upload(t.data(), t.byteSize());
            bind(io.name(), b);
        }
        List<long[]> outShapes = setShapes(shapes);
        List<Engine.IoTensor> outs = engine.outputs();
        for (int i = 0; i < outs.size(); i++) {
            bind(outs.get(i).name(), buffer(outs.get(i).name(), bytes(outs.get(i).dtype(), outShapes.get(i))));
        }
        enqueue();
        List<ConstantTensor> result = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) {
            Engine.IoTensor io = outs.get(i);
            long n = bytes(io.dtype(), outShapes.get(i));
            result.add(new ConstantTensor(io.dtype(), outShapes.get(i), buffers.get(io.name()).download(n)));
        }
        return result;
    }

    /**
     * Runs with inputs already on the GPU (dtypes must match the engine's) and returns outputs in fresh
     * GPU memory that the caller owns and must close.
     */
    public List<DeviceTensor> runOnDevice(List<DeviceTensor> inputs) {
        List<long[]> outShapes = bindDeviceInputs(inputs);
        List<Engine.IoTensor> outs = engine.outputs();
        List<DeviceTensor> result = new ArrayList<>();
        try {
            for (int i = 0; i < outs.size(); i++) {
                Engine.IoTensor io = outs.get(i);
                DeviceTensor d = new DeviceTensor(io.dtype(), outShapes.get(i), new DeviceBuffer(bytes(io.dtype(), outShapes.get(i))));
                result.add(d);
                bind(io.name(), d.buffer());
            }
            enqueue();
            return result;
        } catch (RuntimeException e) {
            result.forEach(DeviceTensor::close);
            throw e;
        }
    }

    /**
     * Runs with inputs and outputs already on the GPU, writing into the caller's output buffers (no
     * allocation per call: the fastest path). Returns each output's shape; a buffer too small for it
     * is an error.
     */
    public List<long[]> runInto(List<DeviceTensor> inputs, List<DeviceBuffer> outputs) {
        List<long[]> outShapes = bindDeviceInputs(inputs);
        List<Engine.IoTensor> outs = engine.outputs();
        if (outputs.size() != outs.size()) {
            throw new KilnException("the engine has " + outs.size() + " output(s) but " + outputs.size() + " buffers were given");
        }
        for (int i = 0; i < outs.size(); i++) {
            long need = bytes(outs.get(i).dtype(), outShapes.get(i));
            if (outputs.get(i).bytes() < need) {
                throw new KilnException("output " + outs.get(i).name() + " needs " + need + " bytes but its buffer has "
                        + outputs.get(i).bytes());
            }
            bind(outs.get(i).name(), outputs.get(i));
        }
        enqueue();
        return outShapes;
    }

    /**
     * Binds {@code inputs} and {@code outputs} and runs once, as {@link #runInto} does, then hands {@code body} a call
     * that is TensorRT's bare {@code enqueueV3} on this session's context and stream followed by a stream sync: nothing
     * bound, checked or replayed from a CUDA graph, the floor of what a call costs. For measuring what a call through
     * Kiln adds to it (the bench's per-call overhead). The call works only inside {@code body}, while the caller's
     * buffers are the ones bound; after it returns the call is refused.
     *
     * <pre>{@code double[] us = s.withBareEnqueue(ins, outs, bare -> Stats.wallTimes(bare, 10, 100, 1e3));}</pre>
     */
    public <T> T withBareEnqueue(List<DeviceTensor> inputs, List<DeviceBuffer> outputs, Function<Runnable, T> body) {
        runInto(inputs, outputs);
        boolean[] open = {true};
        Runnable bare = () -> {
            if (!open[0]) {
                throw new KilnException("the bare enqueue works only inside withBareEnqueue, while the buffers it binds are "
                        + "the caller's; call withBareEnqueue again");
            }
            enqueueV3();
            stream.synchronize();
        };
        try {
            return body.apply(bare);
        } finally {
            open[0] = false;
        }
    }

    /** Binds GPU inputs (checked against the engine's dtypes), sets their shapes, and returns the output shapes. */
    private List<long[]> bindDeviceInputs(List<DeviceTensor> inputs) {
        List<Engine.IoTensor> ins = engine.inputs();
        checkCount(inputs.size());
        long[][] shapes = new long[ins.size()][];
        for (int i = 0; i < ins.size(); i++) {
            DeviceTensor t = inputs.get(i);
            if (t.dtype() != ins.get(i).dtype()) {
                throw new KilnException("input " + ins.get(i).name() + " is " + t.dtype().text() + " on the GPU but the engine takes "
                        + ins.get(i).dtype().text() + "; convert it first or pass a host tensor");
            }
            shapes[i] = t.sizes();
            bind(ins.get(i).name(), t.buffer());
        }
        return setShapes(shapes);
    }

    /** Where {@link #enqueue} writes output {@code index}: a buffer of at least the output's bytes, owned by the caller. */
    @FunctionalInterface
    public interface OutputBuffers {
        DeviceBuffer bufferFor(int index, Engine.IoTensor output, long[] shape, long bytes);
    }

    /**
     * Binds GPU inputs, asks {@code outputs} for a buffer per output (once the output shapes are known)
     * and enqueues the engine on the session's stream <em>without waiting</em>: work queued later on the
     * same stream sees the results; the caller synchronizes the stream before reading them on the host.
     * Returns each output's shape. The inputs must stay valid until the stream has run.
     */
    public List<long[]> enqueue(List<DeviceTensor> inputs, OutputBuffers outputs) {
        List<long[]> outShapes = bindDeviceInputs(inputs);
        List<Engine.IoTensor> outs = engine.outputs();
        for (int i = 0; i < outs.size(); i++) {
            long need = bytes(outs.get(i).dtype(), outShapes.get(i));
            DeviceBuffer b = outputs.bufferFor(i, outs.get(i), outShapes.get(i).clone(), need);
            if (b.bytes() < need) {
                throw new KilnException("output " + outs.get(i).name() + " needs " + need + " bytes but its buffer has " + b.bytes());
            }
            bind(outs.get(i).name(), b);
        }
        launch();
        return outShapes;
    }

    /** The stream this session enqueues on (its own, or the one it borrowed). */
    public CudaStream stream() {
        return stream;
    }

    private void checkCount(int given) {
        int want = engine.inputs().size();
        if (given != want) {
            throw new KilnException("the engine takes " + want + " input(s) " + engine.inputs() + " but " + given + " were given");
        }
    }

    private List<long[]> setShapes(long[][] shapes) {
        Optional<List<long[]>> same = state.outputShapesFor(shapes);
        if (same.isPresent()) {
            return same.get();
        }
        List<long[]> out = setShapesNow(shapes);
        state.shapesSet(shapes, out);
        return out;
    }

    private List<long[]> setShapesNow(long[][] shapes) {
        List<Engine.IoTensor> ins = engine.inputs();
        for (int i = 0; i < ins.size(); i++) {
            Engine.IoTensor io = ins.get(i);
            long[] s = shapes[i];
            if (s.length != io.shape().length) {
                throw new KilnException("input " + io.name() + " has shape " + Arrays.toString(s) + " but the engine takes "
                        + io + " (rank " + io.shape().length + ")");
            }
            for (int d = 0; d < s.length; d++) {
                boolean fixedMismatch = io.shape()[d] >= 0 && io.shape()[d] != s[d];
                boolean outOfRange = io.min().length == s.length && (s[d] < io.min()[d] || s[d] > io.max()[d]);
                if (fixedMismatch || outOfRange) {
                    throw new KilnException("input " + io.name() + " has shape " + Arrays.toString(s) + " but the engine takes "
                            + io + "; build the engine for this shape (kiln compile --input " + io.name() + "=...)");
                }
            }
            if (!ctx.setInputShape(io.name(), dims(s))) {
                state.forget();
                throw new KilnException("TensorRT refused shape " + Arrays.toString(s) + " for input " + io.name() + " ("
                        + io + "): " + String.join("; ", engine.log().errors()));
            }
        }
        List<long[]> out = new ArrayList<>();
        for (Engine.IoTensor o : engine.outputs()) {
            long[] s = Engine.dims(ctx.getTensorShape(o.name()));
            for (long d : s) {
                if (d < 0) {
                    throw new KilnException("output " + o.name() + " has a data-dependent shape " + Arrays.toString(s)
                            + "; Kiln does not run such engines yet");
                }
            }
            out.add(s);
        }
        return out;
    }

    /** Enqueues the engine and waits for it. */
    private void enqueue() {
        launch();
        stream.synchronize();
    }

    /**
     * Switches CUDA graphs on or off for later calls (off by default). On, a call with the shapes and buffers
     * of the call before replays a graph captured from the engine's work; a caller that keeps its buffers and
     * shapes (a serving loop with {@link #runInto}, or {@link #run}, whose buffers are the session's) gets one
     * launch per call. An engine whose work cannot be captured runs as before, with one warning.
     */
    public void useCudaGraphs(boolean on) {
        if (on == cudaGraphs) {
            return;
        }
        cudaGraphs = on;
        if (!on) {
            dropGraph();
        }
    }

    /** Whether the last call replayed a CUDA graph (for tests and statistics). */
    public boolean replayedGraph() {
        return lastReplayed;
    }

    /** Enqueues the engine on the session's stream without waiting. */
    private void launch() {
        engine.log().clear();
        lastReplayed = false;
        if (cudaGraphs) {
            long generation = state.generation();
            switch (graphPlan.next(generation)) {
                case REPLAY -> {
                    launchGraph();
                    return;
                }
                case CAPTURE -> {
                    if (capture()) {
                        graphPlan.captured(generation);
                        launchGraph();
                        return;
                    }
                }
                case PLAIN -> graphPlan.ranPlain(generation);
            }
        }
        enqueueV3();
    }

    /** TensorRT's {@code enqueueV3} on the session's stream, with what is bound now. */
    private void enqueueV3() {
        if (!ctx.enqueueV3(stream.handle())) {
            state.forget();
            throw new KilnException("TensorRT could not run the engine (enqueueV3 failed): "
                    + String.join("; ", engine.log().errors()));
        }
    }

    private void launchGraph() {
        graph.launch(stream);
        lastReplayed = true;
    }

    /**
     * Captures the engine's work (one {@code enqueueV3}, queued but not run) into a new graph, replacing the old
     * one. False, with the session switched to plain calls for good, when TensorRT's work cannot be captured.
     */
    private boolean capture() {
        dropGraph();
        try {
            graph = CudaGraph.capture(ctx, stream);
            return true;
        } catch (KilnException e) {
            graphPlan.captureImpossible();
            LOG.warn("engine with inputs {}: {} {}; this session runs it without CUDA graphs", engine.inputs(), e.getMessage(),
                    String.join("; ", engine.log().errors()));
            engine.log().clear();
            return false;
        }
    }

    private void dropGraph() {
        if (graph != null) {
            try {
                stream.synchronize(); // a launch of it may still be queued (enqueue does not wait)
            } finally {
                graph.close();
                graph = null;
            }
        }
        graphPlan.reset();
    }

    private void bind(String name, DeviceBuffer b) {
        long address = b.pointer().address();
        if (!state.needsAddress(name, address)) {
            return;
        }
        if (!ctx.setTensorAddress(name, b.pointer())) {
            state.forget();
            throw new KilnException("TensorRT refused the buffer for " + name + ": " + String.join("; ", engine.log().errors()));
        }
        state.bound(name, address);
    }

    private DeviceBuffer buffer(String name, long bytes) {
        DeviceBuffer b = buffers.get(name);
        if (b == null || b.bytes() < bytes) {
            if (b != null) {
                b.close();
            }
            b = new DeviceBuffer(bytes);
            buffers.put(name, b);
        }
        return b;
    }

    static long bytes(DType t, long[] shape) {
        long n = t.byteSize();
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    static Dims64 dims(long[] s) {
        Dims64 d = new Dims64();
        d.nbDims(s.length);
        for (int i = 0; i < s.length; i++) {
            d.d(i, s[i]);
        }
        return d;
    }

    /** Whether a host input of {@code from} is converted to {@code to} (float to float, integer to integer, bool either way). */
    public static boolean convertible(DType from, DType to) {
        return from == to || (from.isFloatingPoint() && to.isFloatingPoint()) || (from.isIntegral() && to.isIntegral())
                || from == DType.BOOL || to == DType.BOOL;
    }

    /** {@code t} as {@code to}, converting element by element on the host when the dtypes differ. */
    public static ConstantTensor convert(ConstantTensor t, DType to, String name) {
        if (t.dtype() == to) {
            return t;
        }
        if (!convertible(t.dtype(), to)) {
            throw new KilnException("input " + name + " is " + t.dtype().text() + " but the engine takes " + to.text());
        }
        ByteBuffer b = ConstantTensor.allocate(to, t.sizes());
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            ElementCodec.put(to, b, i, t.getDouble(i));
        }
        return new ConstantTensor(to, t.sizes(), b);
    }

    @Override
    public void close() {
        try {
            dropGraph();
        } catch (RuntimeException e) {
            // closing anyway: the stream failed, and the graph was freed regardless
        }
        NativeObjects.close(ctx);
        ctx = null;
        for (DeviceBuffer b : buffers.values()) {
            b.close();
        }
        buffers.clear();
        if (ownsStream) {
            stream.close();
        }
    }
}
