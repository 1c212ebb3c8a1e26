package dev.kiln.compiler.hybrid;

import dev.kiln.backend.tensorrt.runtime.Cuda;
import dev.kiln.backend.tensorrt.runtime.CudaStream;
import dev.kiln.backend.tensorrt.runtime.DeviceBuffer;
import dev.kiln.backend.tensorrt.runtime.DeviceTensor;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.backend.tensorrt.runtime.ExecutionSession;
import dev.kiln.backend.torch.Interpreter;
import dev.kiln.backend.torch.TorchDevice;
import dev.kiln.backend.torch.TorchTensor;
import dev.kiln.backend.torch.TorchTensors;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

/**
 * Runs a {@link Program}: its TensorRT engines (deserialized once) and its libtorch segments (one
 * {@link Interpreter} each, on {@link TorchPlacement#device()}) in order. Each concurrent caller gets
 * an execution context from a pool: one CUDA stream, one TensorRT execution context per engine, and
 * slot buffers that are reused call after call. All engines of a call run on that one stream, and a
 * value stays in GPU memory from one engine to the next; a CPU libtorch stage costs one device-to-host
 * copy per input it reads from the GPU and one host-to-device copy per output an engine or the caller
 * reads from the GPU ({@link ModuleStats}). A program without engines runs with no GPU at all.
 *
 * <p>{@code forward*} may be called from many threads at once. {@link #close()} waits for calls in
 * flight, then frees every context, engine and interpreter exactly once; a later call is a
 * {@link KilnException}.
 *
 * <pre>{@code try (HybridRuntime r = HybridRuntime.load(program)) { List<ConstantTensor> ys = r.forward(xs); }}</pre>
 */
public final class HybridRuntime implements AutoCloseable {

    private final Program program;
    private final TorchDevice torchDevice;
    /** Per stage: the engine (engine stages) or the interpreter (torch stages); the other is null. */
    private final Engine[] engines;
    private final Interpreter[] interpreters;
    /** Per engine stage: engine input i reads stage input engineInput[s][i]. */
    private final int[][] engineInput;
    /** Which slots are model inputs (their copies are the caller's, not boundary copies). */
    private final boolean[] modelInput;
    private final DType[] declared;
    /** The input sizes the program takes, checked before a call runs anything. */
    private final InputShapes inputShapes;
    private final ConcurrentLinkedDeque<Context> idle = new ConcurrentLinkedDeque<>();
    private final List<Context> contexts = new ArrayList<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;
    /** Whether the engine stages replay CUDA graphs ({@link #useCudaGraphs}); read at each call. */
    private volatile boolean cudaGraphs;
    private final AtomicLong forwards = new AtomicLong();
    private final AtomicLong d2h = new AtomicLong();
    private final AtomicLong h2d = new AtomicLong();
    private final AtomicLong boundaryBytes = new AtomicLong();

    private HybridRuntime(Program program, Engine[] preloaded) {
        this.program = program;
        int n = program.stages().size();
        this.engines = new Engine[n];
        this.interpreters = new Interpreter[n];
        this.engineInput = new int[n][];
        this.modelInput = new boolean[program.slots().size()];
        program.inputs().forEach(s -> modelInput[s] = true);
        this.declared = new DType[program.slots().size()];
        this.inputShapes = InputShapes.of(program);
        TorchDevice td = null;
        try {
            for (int i = 0; i < n; i++) {
                Program.StageSpec st = program.stages().get(i);
                if (st instanceof Program.EngineStage es) {
                    Engine e = preloaded != null && preloaded[i] != null ? preloaded[i] : Engine.deserialize(es.plan());
                    engines[i] = e;
                    engineInput[i] = inputMap(es, e);
                } else if (st instanceof Program.TorchStage ts) {
                    if (td == null) {
                        td = TorchPlacement.device();
                    }
                    interpreters[i] = new Interpreter(ts.graph(), td);
                }
            }
            for (int i = 0; i < declared.length; i++) {
                declared[i] = declaredDtype(program.slots().get(i).type());
            }
        } catch (RuntimeException e) {
            if (preloaded != null) {
                for (Engine pe : preloaded) {
                    if (pe != null) {
                        pe.close();
                    }
                }
            }
            freeStages();
            throw e;
        }
        this.torchDevice = td == null ? TorchDevice.cpu() : td;
    }

    /** Loads {@code program}: deserializes its engines (needs a GPU if it has any) and opens its interpreters. */
    public static HybridRuntime load(Program program) {
        return new HybridRuntime(program, null);
    }

    /**
     * A runtime over one loaded engine (taken over: closed with the runtime) whose plan is {@code plan}:
     * model input {@code xK} is engine input {@code xK}, model output {@code yK} engine output {@code yK}.
     */
    public static HybridRuntime ofEngine(Engine engine, ByteBuffer plan, String name) {
        List<Program.Slot> slots = new ArrayList<>();
        int inputs = 0;
        for (int i = 0; i < engine.inputs().size(); i++) {
            String n = engine.inputs().get(i).name();
            inputs = Math.max(inputs, (n.matches("x\\d+") ? Integer.parseInt(n.substring(1)) : i) + 1);
        }
        List<Integer> ins = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            String type = "tensor";
            for (Engine.IoTensor io : engine.inputs()) {
                if (io.name().equals("x" + i)) {
                    type = new dev.kiln.ir.TensorType(io.dtype(), dev.kiln.ir.Shape.unranked()).text();
                }
            }
            slots.add(new Program.Slot("x" + i, type));
            ins.add(i);
        }
        List<Integer> outs = new ArrayList<>();
        for (Engine.IoTensor io : engine.outputs()) {
            slots.add(new Program.Slot(io.name(), new dev.kiln.ir.TensorType(io.dtype(), dev.kiln.ir.Shape.unranked()).text()));
            outs.add(slots.size() - 1);
        }
        Program p;
        try {
            p = new Program(name, slots, ins, outs, java.util.Map.of(),
                    List.of(new Program.EngineStage("seg0", ins, outs, plan, engine.layerCount(), "")));
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        return new HybridRuntime(p, new Engine[] {engine});
    }

    public Program program() {
        return program;
    }

    /** The engine of stage {@code index}, or empty for a torch stage. */
    public java.util.Optional<Engine> engine(int index) {
        return java.util.Optional.ofNullable(engines[index]);
    }

    public ModuleStats stats() {
        synchronized (contexts) {
            return new ModuleStats(forwards.get(), contexts.size(), d2h.get(), h2d.get(), boundaryBytes.get());
        }
    }

    /** The dtype in a tensor type's text ({@code tensor<f32, [s0, 3]>}), or null when it names none. */
    static DType declaredDtype(String typeText) {
        try {
            dev.kiln.ir.Type t = dev.kiln.ir.text.IrParser.parseTypeDeclaringSymbols(typeText.strip(), new dev.kiln.ir.Graph("slots"));
            return t instanceof dev.kiln.ir.TensorType tt ? tt.dtype().orElse(null) : null;
        } catch (KilnException notAType) {
            return null; // a spelling this Kiln cannot read: no check, no conversion
        }
    }

    private static int[] inputMap(Program.EngineStage es, Engine e) {
        List<Engine.IoTensor> ins = e.inputs();
        int[] map = new int[ins.size()];
        for (int i = 0; i < ins.size(); i++) {
            String name = ins.get(i).name();
            int k = name.matches("x\\d+") ? Integer.parseInt(name.substring(1)) : i;
            if (k >= es.inputs().size()) {
                throw new KilnException("stage " + es.name() + ": engine input " + name + " has no stage input (the stage reads "
                        + es.inputs().size() + ")");
            }
            map[i] = k;
        }
        if (e.outputs().size() != es.outputs().size()) {
            throw new KilnException("stage " + es.name() + ": the engine has " + e.outputs().size() + " outputs but the stage writes "
                    + es.outputs().size() + " slots");
        }
        return map;
    }

    /** Runs on host tensors (model input order) and returns host outputs (model output order). */
    public List<ConstantTensor> forward(List<ConstantTensor> inputs) {
        requirePresent(inputs, "input x");
        return call(ctx -> {
            try (Frame f = new Frame(ctx)) {
                f.bindHost(inputs);
                f.runStages();
                return f.hostOutputs();
            }
        });
    }

    /** Runs on GPU tensors (borrowed); returns GPU tensors the caller owns. */
    public List<DeviceTensor> forwardOnDevice(List<DeviceTensor> inputs) {
        requirePresent(inputs, "input x");
        return call(ctx -> {
            try (Frame f = new Frame(ctx)) {
                f.bindDevice(inputs);
                f.runStages();
                return f.deviceOutputs(null);
            }
        });
    }

    /**
     * Runs on GPU tensors into the caller's GPU buffers; returns the output shapes. A program that is one
     * engine reading the model's inputs and writing its outputs runs straight into them.
     */
    public List<long[]> forwardInto(List<DeviceTensor> inputs, List<DeviceBuffer> outputs) {
        requirePresent(inputs, "input x");
        requirePresent(outputs, "output buffer y");
        return call(ctx -> {
            if (outputs.size() != program.outputs().size()) {
                throw new KilnException("the model has " + program.outputs().size() + " output(s) but " + outputs.size()
                        + " buffers were given");
            }
            if (isSingleEngine()) {
                List<long[]> shapes = ctx.sessions[0].runInto(engineInputs(inputs), outputs);
                forwards.incrementAndGet();
                return shapes;
            }
            try (Frame f = new Frame(ctx)) {
                f.bindDevice(inputs);
                f.runStages();
                List<long[]> shapes = new ArrayList<>();
                f.deviceOutputs(outputs).forEach(t -> shapes.add(t.sizes()));
                return shapes;
            }
        });
    }

    /**
     * {@link ExecutionSession#withBareEnqueue} on the engine and execution context that {@link #forwardInto} runs on
     * (contexts are reused most recent first, so a caller on one thread gets the same one every call): TensorRT's bare
     * {@code enqueueV3} beside Kiln's call, for measuring Kiln's per-call overhead. Only for a program that is one
     * engine reading the model's inputs and writing its outputs.
     */
    public <T> T withBareEnqueue(List<DeviceTensor> inputs, List<DeviceBuffer> outputs, Function<Runnable, T> body) {
        requirePresent(inputs, "input x");
        requirePresent(outputs, "output buffer y");
        return call(ctx -> {
            if (!isSingleEngine()) {
                throw new KilnException("module " + program.name() + " is " + program.describe()
                        + ", not a single TensorRT engine reading the model's inputs and writing its outputs: a bare "
                        + "enqueueV3 times one such engine");
            }
            return ctx.sessions[0].withBareEnqueue(engineInputs(inputs), outputs, body);
        });
    }

    /** The model's inputs in the single engine's input order. */
    private List<DeviceTensor> engineInputs(List<DeviceTensor> inputs) {
        requireCount(inputs.size());
        List<DeviceTensor> in = new ArrayList<>();
        for (int k : engineInput[0]) {
            in.add(inputs.get(k));
        }
        return in;
    }

    /** One engine whose inputs are the model's inputs and outputs the model's outputs, in order. */
    private boolean isSingleEngine() {
        return program.stages().size() == 1 && engines[0] != null && program.stages().get(0).inputs().equals(program.inputs())
                && program.stages().get(0).outputs().equals(program.outputs());
    }

    /** A null list or element is a {@link KilnException} naming it, not a NullPointerException deep in a stage. */
    private static void requirePresent(List<?> items, String what) {
        if (items == null) {
            throw new KilnException("the " + what.substring(0, what.indexOf(' ')) + "s are null; pass a list (empty for none)");
        }
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i) == null) {
                throw new KilnException(what + i + " is null");
            }
        }
    }

    private void requireCount(int given) {
        if (given != program.inputs().size()) {
            List<String> names = new ArrayList<>();
            program.inputs().forEach(s -> names.add(program.slots().get(s).value()));
            throw new KilnException("the model takes " + program.inputs().size() + " input(s) " + names + " but " + given
                    + " were given");
        }
    }

    private interface Body<T> {
        T run(Context ctx);
    }

    private <T> T call(Body<T> body) {
        lock.readLock().lock();
        try {
            if (closed) {
                throw new KilnException("the compiled module " + program.name() + " is closed");
            }
            Context ctx = idle.pollFirst();
            if (ctx == null) {
                ctx = new Context();
                synchronized (contexts) {
                    contexts.add(ctx);
                }
            }
            ctx.useCudaGraphs(cudaGraphs);
            try {
                return body.run(ctx);
            } finally {
                idle.addFirst(ctx);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Switches CUDA graphs on or off for the engine stages of later calls ({@link ExecutionSession#useCudaGraphs}):
     * a caller that keeps its shapes and buffers from one call to the next (a serving loop with
     * {@link #forwardInto}, or {@link #forward} on host tensors, whose GPU buffers are the module's) then launches
     * each engine as one graph instead of one kernel launch per layer. Off by default.
     */
    public void useCudaGraphs(boolean on) {
        cudaGraphs = on;
    }

    /** Waits for calls in flight, then frees every context, engine and interpreter. Idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            synchronized (contexts) {
                contexts.forEach(Context::close);
                contexts.clear();
            }
            idle.clear();
            freeStages();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void freeStages() {
        for (int i = 0; i < engines.length; i++) {
            if (engines[i] != null) {
                engines[i].close();
                engines[i] = null;
            }
            if (interpreters[i] != null) {
                interpreters[i].close();
                interpreters[i] = null;
            }
        }
    }

    /** One caller's resources: a stream, a session per engine, and per-slot GPU and host buffers reused across calls. */
    private final class Context {
        private CudaStream stream;
        final ExecutionSession[] sessions = new ExecutionSession[engines.length];
        final DeviceBuffer[] slotBuffers = new DeviceBuffer[program.slots().size()];
        final ByteBuffer[] staging = new ByteBuffer[program.slots().size()];

        Context() {
            if (!program.needsGpu()) {
                return; // a torch-only program needs no GPU unless the caller hands it GPU tensors
            }
            stream = new CudaStream();
            try {
                for (int i = 0; i < engines.length; i++) {
                    if (engines[i] != null) {
                        sessions[i] = engines[i].newSession(stream);
                    }
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        void useCudaGraphs(boolean on) {
            for (ExecutionSession s : sessions) {
                if (s != null) {
                    s.useCudaGraphs(on);
                }
            }
        }

        /** The context's stream, made on first use by a program without engines. */
        CudaStream stream() {
            if (stream == null) {
                stream = new CudaStream();
            }
            return stream;
        }

        boolean hasStream() {
            return stream != null;
        }

        DeviceBuffer slotBuffer(int slot, long bytes) {
            DeviceBuffer b = slotBuffers[slot];
            if (b == null || b.bytes() < bytes) {
                if (b != null) {
                    b.close();
                }
                b = null;
                slotBuffers[slot] = null;
                b = new DeviceBuffer(bytes);
                slotBuffers[slot] = b;
            }
            return b;
        }

        ByteBuffer staging(int slot, long bytes) {
            if (bytes > Integer.MAX_VALUE) {
                throw new KilnException("slot " + program.slots().get(slot).value() + " holds " + bytes
                        + " bytes, over the 2 GiB a host copy can take");
            }
            ByteBuffer b = staging[slot];
            if (b == null || b.capacity() < bytes) {
                b = ByteBuffer.allocateDirect((int) Math.max(1, bytes)).order(ByteOrder.LITTLE_ENDIAN);
                staging[slot] = b;
            }
            return b.duplicate().clear().limit((int) bytes);
        }

        void close() {
            for (ExecutionSession s : sessions) {
                if (s != null) {
                    s.close();
                }
            }
            Arrays.fill(sessions, null);
            for (DeviceBuffer b : slotBuffers) {
                if (b != null) {
                    b.close();
                }
            }
            Arrays.fill(slotBuffers, null);
            Arrays.fill(staging, null);
            if (stream != null) {
                stream.close();
            }
        }
    }

    /** A GPU value in a slot: a view of a context buffer (or of the caller's input), never closed through this. */
    private record DeviceValue(DType dtype, long[] sizes, DeviceBuffer buffer) {
        long bytes() {
            long n = dtype.byteSize();
            for (long s : sizes) {
                n = Math.multiplyExact(n, s);
            }
            return n;
        }

        DeviceTensor view() {
            return new DeviceTensor(dtype, sizes, buffer);
        }
    }

    /** The slot values of one call. Closing it drops the call's libtorch tensors. */
    private final class Frame implements AutoCloseable {
        final Context ctx;
        final DeviceValue[] dev = new DeviceValue[program.slots().size()];
        /** Host bytes: the caller's inputs, constants, or views of the context's staging buffers. */
        final ConstantTensor[] host = new ConstantTensor[program.slots().size()];
        final boolean[] staged = new boolean[program.slots().size()];
        /** libtorch tensors: torch stage outputs, or wrappers of {@link #host}. */
        final TorchTensor[] torch = new TorchTensor[program.slots().size()];
        final List<TorchTensor> keepAlive = new ArrayList<>();

        Frame(Context ctx) {
            this.ctx = ctx;
            program.constants().forEach((slot, c) -> host[slot] = c);
        }

        void bindHost(List<ConstantTensor> inputs) {
            requireCount(inputs.size());
            inputShapes.check(inputs.stream().map(ConstantTensor::sizes).toList());
            for (int i = 0; i < inputs.size(); i++) {
                int slot = program.inputs().get(i);
                ConstantTensor t = inputs.get(i);
                DType want = declared[slot];
                host[slot] = want == null || t.dtype() == want ? t
                        : ExecutionSession.convert(t, want, "x" + i + " (%" + program.slots().get(slot).value() + ")");
            }
        }

        void bindDevice(List<DeviceTensor> inputs) {
            requireCount(inputs.size());
            inputShapes.check(inputs.stream().map(DeviceTensor::sizes).toList());
            for (int i = 0; i < inputs.size(); i++) {
                DeviceTensor t = inputs.get(i);
                int slot = program.inputs().get(i);
                if (declared[slot] != null && declared[slot] != t.dtype()) {
                    throw new KilnException("input x" + i + " (%" + program.slots().get(slot).value() + ") is "
                            + t.dtype().text() + " on the GPU but the model takes " + declared[slot].text());
                }
                dev[slot] = new DeviceValue(t.dtype(), t.sizes(), t.buffer());
            }
        }

        void runStages() {
            for (int i = 0; i < engines.length; i++) {
                Program.StageSpec st = program.stages().get(i);
                if (engines[i] != null) {
                    runEngine(i, st);
                } else if (torchDevice.isCuda()) {
                    runTorchOnDevice(i, st);
                } else {
                    runTorchOnHost(i, st);
                }
            }
            forwards.incrementAndGet();
        }

        private void runEngine(int i, Program.StageSpec st) {
            List<DeviceTensor> in = new ArrayList<>();
            for (int k : engineInput[i]) {
                in.add(device(st.inputs().get(k)).view());
            }
            ctx.sessions[i].enqueue(in, (j, io, shape, bytes) -> {
                int slot = st.outputs().get(j);
                DeviceBuffer b = ctx.slotBuffer(slot, bytes);
                dev[slot] = new DeviceValue(io.dtype(), shape, b);
                return b;
            });
        }

        /** CPU libtorch: inputs come down from the GPU (one sync for all), outputs stay on the host until needed. */
        private void runTorchOnHost(int i, Program.StageSpec st) {
            boolean copied = false;
            for (int slot : st.inputs()) {
                if (torch[slot] == null && host[slot] == null) {
                    DeviceValue d = dev[slot];
                    long n = d.bytes();
                    ByteBuffer b = ctx.staging(slot, n);
                    if (n > 0) {
                        Cuda.check(cudaMemcpyAsync(new Pointer(b), d.buffer().pointer(), n, cudaMemcpyDeviceToHost,
                                ctx.stream().handle()), "copying " + n + " bytes to the host for torch stage " + st.name());
                    }
                    host[slot] = new ConstantTensor(d.dtype(), d.sizes(), b);
                    staged[slot] = true;
                    count(slot, d2h, n);
                    copied = true;
                }
            }
            if (copied) {
                ctx.stream().synchronize();
            }
            List<TorchTensor> in = new ArrayList<>();
            for (int slot : st.inputs()) {
                in.add(torchValue(slot));
            }
            List<TorchTensor> out = interpreters[i].run(in);
            for (int j = 0; j < out.size(); j++) {
                int slot = st.outputs().get(j);
                torch[slot] = out.get(j);
            }
        }

        /** CUDA libtorch: the stage reads the slot buffers in place, on the context's stream, and its outputs are copied (on the GPU) into slot buffers. */
        private void runTorchOnDevice(int i, Program.StageSpec st) {
            List<TorchTensor> in = new ArrayList<>();
            for (int slot : st.inputs()) {
                DeviceValue d = device(slot);
                TorchTensor t = TorchTensors.fromAddress(d.buffer().pointer().address(), d.dtype(), d.sizes(), torchDevice,
                        d.buffer());
                keepAlive.add(t);
                in.add(t);
            }
            // libtorch queues its kernels on the context's stream, behind the engines that wrote the inputs, and
            // copies each output into its slot buffer there too (copy_ into a tensor over the buffer: no raw
            // address of libtorch's memory is handed to CUDA)
            TorchPlacement.onStream(torchDevice, ctx.stream().handle(), () -> {
                List<TorchTensor> out = interpreters[i].run(in);
                keepAlive.addAll(out);
                for (int j = 0; j < out.size(); j++) {
                    int slot = st.outputs().get(j);
                    TorchTensor t = out.get(j);
                    DType dtype = t.dtype();
                    long[] sizes = t.sizes();
                    long n = dtype.byteSize() * numel(sizes);
                    DeviceBuffer b = ctx.slotBuffer(slot, n);
                    if (n > 0) {
                        TorchTensor dst = TorchTensors.fromAddress(b.pointer().address(), dtype, sizes, torchDevice, b);
                        keepAlive.add(dst);
                        try (PointerScope scope = new PointerScope()) {
                            dst.tensor().copy_(t.tensor());
                        } catch (RuntimeException e) {
                            throw new KilnException("torch stage " + st.name() + ": copying output " + j + " into its GPU buffer failed: "
                                    + e.getMessage());
                        }
                    }
                    dev[slot] = new DeviceValue(dtype, sizes, b);
                }
                return null;
            });
            ctx.stream().synchronize();
        }

        private TorchTensor torchValue(int slot) {
            if (torch[slot] == null) {
                torch[slot] = TorchTensors.fromConstant(host[slot]);
            }
            return torch[slot];
        }

        /** The slot's value on the GPU, uploading it (into the context's slot buffer) if it is only on the host. */
        private DeviceValue device(int slot) {
            DeviceValue d = dev[slot];
            if (d != null) {
                return d;
            }
            DType dtype;
            long[] sizes;
            Pointer src;
            if (host[slot] != null) {
                ConstantTensor c = host[slot];
                dtype = c.dtype();
                sizes = c.sizes();
                src = new Pointer(c.data());
            } else if (torch[slot] != null) {
                // a CPU torch stage's output: libtorch copies it (contiguous) into the context's staging buffer
                // for the slot, reused by every call, so a boundary allocates no host memory per call; it is
                // then uploaded like the caller's host inputs
                TorchTensor t = torch[slot];
                dtype = t.dtype();
                sizes = t.sizes();
                ByteBuffer b = ctx.staging(slot, dtype.byteSize() * numel(sizes));
                ConstantTensor c = new ConstantTensor(dtype, sizes, b);
                if (b.limit() > 0) {
                    try (TorchTensor dst = TorchTensors.fromConstant(c); PointerScope scope = new PointerScope()) {
                        dst.tensor().copy_(t.tensor());
                    } catch (RuntimeException e) {
                        throw new KilnException("torch stage output %" + program.slots().get(slot).value()
                                + ": copying it to the host for the next engine failed: " + e.getMessage());
                    }
                }
                host[slot] = c;
                staged[slot] = true;
                src = new Pointer(b);
            } else {
                throw new KilnException("slot " + program.slots().get(slot).value() + " is read before it is written");
            }
            long n = dtype.byteSize() * numel(sizes);
            DeviceBuffer b = ctx.slotBuffer(slot, n);
            if (n > 0) {
                upload(slot, b, src, n);
            }
            if (!modelInput[slot] && !program.constants().containsKey(slot)) {
                count(slot, h2d, n);
            }
            d = new DeviceValue(dtype, sizes, b);
            dev[slot] = d;
            return d;
        }

        /** Host-to-device copy of a slot on the context's stream; a refusal names both addresses' CUDA attributes. */
        private void upload(int slot, DeviceBuffer b, Pointer src, long n) {
            int rc = cudaMemcpyAsync(b.pointer(), src, n, cudaMemcpyHostToDevice, ctx.stream().handle());
            if (rc != 0) {
                org.bytedeco.cuda.global.cudart.cudaGetLastError(); // not sticky; clear it
                throw new KilnException("CUDA error " + rc + " while copying " + n + " bytes of %" + program.slots().get(slot).value()
                        + " to the GPU (source " + Platform.describePointer(src) + ", destination " + Platform.describePointer(b.pointer())
                        + ")");
            }
        }

        private void count(int slot, AtomicLong direction, long bytes) {
            if (!modelInput[slot]) {
                direction.incrementAndGet();
                boundaryBytes.addAndGet(bytes);
            }
        }


        List<ConstantTensor> hostOutputs() {
            if (ctx.hasStream()) {
                ctx.stream().synchronize();
            }
            List<ConstantTensor> out = new ArrayList<>();
            for (int slot : program.outputs()) {
                if (torch[slot] != null && host[slot] == null) {
                    out.add(torch[slot].toConstant());
                } else if (host[slot] != null) {
                    // staging buffers are reused by the next call: hand out a copy
                    out.add(staged[slot] ? copy(host[slot]) : host[slot]);
                } else {
                    DeviceValue d = dev[slot];
                    long n = d.bytes();
                    ByteBuffer b = ByteBuffer.allocateDirect((int) n).order(ByteOrder.LITTLE_ENDIAN);
                    if (n > 0) {
                        Cuda.check(cudaMemcpyAsync(new Pointer(b), d.buffer().pointer(), n, cudaMemcpyDeviceToHost,
                                ctx.stream().handle()), "copying an output to the host");
                    }
                    out.add(new ConstantTensor(d.dtype(), d.sizes(), b));
                }
            }
            if (ctx.hasStream()) {
                ctx.stream().synchronize();
            }
            return out;
        }

        /** Copies every output into {@code into} (when given) or fresh GPU memory the caller owns. */
        List<DeviceTensor> deviceOutputs(List<DeviceBuffer> into) {
            List<DeviceTensor> out = new ArrayList<>();
            try {
                for (int k = 0; k < program.outputs().size(); k++) {
                    int slot = program.outputs().get(k);
                    DeviceValue d = device(slot);
                    long n = d.bytes();
                    DeviceBuffer b;
                    if (into != null) {
                        b = into.get(k);
                        if (b.bytes() < n) {
                            throw new KilnException("output y" + k + " needs " + n + " bytes but its buffer has " + b.bytes());
                        }
                    } else {
                        b = new DeviceBuffer(n);
                    }
                    DeviceTensor t = new DeviceTensor(d.dtype(), d.sizes(), b);
                    out.add(t);
                    if (n > 0) {
                        Cuda.check(cudaMemcpyAsync(b.pointer(), d.buffer().pointer(), n, cudaMemcpyDeviceToDevice,
                                ctx.stream().handle()), "copying output y" + k + " on the GPU");
                    }
                }
                ctx.stream().synchronize();
                return out;
            } catch (RuntimeException e) {
                if (into == null) {
                    out.forEach(DeviceTensor::close);
                }
                throw e;
            }
        }

        @Override
        public void close() {
            if (ctx.hasStream() && !keepAlive.isEmpty()) {
                // host tensors still being copied from must outlive the copies
                ctx.stream().synchronize();
            }
            for (TorchTensor t : torch) {
                if (t != null) {
                    t.close();
                }
            }
            keepAlive.forEach(TorchTensor::close);
        }
    }

    private static ConstantTensor copy(ConstantTensor c) {
        ByteBuffer b = ByteBuffer.allocateDirect((int) c.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(c.data().duplicate()).flip();
        return new ConstantTensor(c.dtype(), c.sizes(), b);
    }

    private static long numel(long[] sizes) {
        long n = 1;
        for (long s : sizes) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }
}
