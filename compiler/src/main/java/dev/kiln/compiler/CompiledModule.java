package dev.kiln.compiler;

import dev.kiln.backend.tensorrt.Profiles;
import dev.kiln.backend.tensorrt.runtime.DeviceTensor;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.backend.tensorrt.runtime.ExecutionSession;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled model: a TensorRT engine with one execution session. {@link #forward(List)} takes and
 * returns host tensors in graph order; {@link #forward(Map)} uses the {@code .npz} convention
 * ({@code x0, x1, ...} in, {@code y0, y1, ...} out; inputs may also be keyed by their IR names);
 * {@link #forwardOnDevice} keeps everything on the GPU. Calls are serialized (one session). Close it
 * to free the engine and its GPU memory.
 *
 * <pre>{@code
 * try (CompiledModule m = Kiln.compile(Path.of("cnn.pt2"), CompileSettings.defaults())) {
 *     Map<String, ConstantTensor> ys = m.forward(Npz.read(Path.of("in.npz")));
 * }
 * }</pre>
 */
public final class CompiledModule implements AutoCloseable {
    private final Engine engine;
    private final ExecutionSession session;
    private final List<String> inputNames;
    private final List<String> outputNames;
    private final double buildSeconds;

    CompiledModule(Engine engine, List<String> inputNames, List<String> outputNames, double buildSeconds) {
        this.engine = engine;
        try {
            this.session = engine.newSession();
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        this.inputNames = List.copyOf(inputNames);
        this.outputNames = List.copyOf(outputNames);
        this.buildSeconds = buildSeconds;
    }

    /** Loads an engine written by {@link #save} or {@code kiln compile} (IR names are not known: x0.., y0..). */
    public static CompiledModule load(Path engineFile) {
        Engine e = Engine.load(engineFile);
        List<String> ins = new ArrayList<>();
        e.inputs().forEach(t -> ins.add(t.name()));
        List<String> outs = new ArrayList<>();
        e.outputs().forEach(t -> outs.add(t.name()));
        return new CompiledModule(e, ins, outs, 0);
    }

    /** Runs on host tensors, in graph-input order; returns the outputs in graph-output order. */
    public synchronized List<ConstantTensor> forward(List<ConstantTensor> inputs) {
        return session.run(select(inputs));
    }

    /**
     * The graph inputs the engine takes, in its order: TensorRT may drop an input the network never
     * reads, so engine input {@code xK} is picked as graph input K.
     */
    private <T> List<T> select(List<T> graphInputs) {
        if (graphInputs.size() != inputNames.size()) {
            throw new KilnException("the model takes " + inputNames.size() + " input(s) " + inputNames + " but "
                    + graphInputs.size() + " were given");
        }
        List<T> out = new ArrayList<>();
        for (dev.kiln.backend.tensorrt.runtime.Engine.IoTensor io : engine.inputs()) {
            String n = io.name();
            int k = n.matches("x\\d+") ? Integer.parseInt(n.substring(1)) : out.size();
            if (k >= graphInputs.size()) {
                throw new KilnException("engine input " + n + " has no matching model input among " + inputNames);
            }
            out.add(graphInputs.get(k));
        }
        return out;
    }

    /** Runs on named host tensors ({@code x0..} or IR input names); returns {@code y0, y1, ...}. */
    public synchronized Map<String, ConstantTensor> forward(Map<String, ConstantTensor> inputs) {
        List<ConstantTensor> ordered = new ArrayList<>();
        for (int i = 0; i < inputNames.size(); i++) {
            String engineName = Profiles.inputName(i);
            ConstantTensor t = inputs.containsKey(engineName) ? inputs.get(engineName) : inputs.get(inputNames.get(i));
            if (t == null) {
                throw new KilnException("no tensor for input " + engineName + " (" + inputNames.get(i) + "); given: "
                        + inputs.keySet());
            }
            ordered.add(t);
        }
        List<ConstantTensor> ys = session.run(select(ordered));
        Map<String, ConstantTensor> out = new LinkedHashMap<>();
        for (int i = 0; i < ys.size(); i++) {
            out.put(Profiles.outputName(i), ys.get(i));
        }
        return out;
    }

    /** Runs on GPU tensors; the returned GPU tensors belong to the caller (close them). */
    public synchronized List<DeviceTensor> forwardOnDevice(List<DeviceTensor> inputs) {
        return session.runOnDevice(select(inputs));
    }

    /**
     * Runs on GPU tensors into the caller's GPU output buffers (no allocation per call); returns the
     * output shapes.
     */
    public synchronized List<long[]> forwardInto(List<DeviceTensor> inputs, List<dev.kiln.backend.tensorrt.runtime.DeviceBuffer> outputs) {
        return session.runInto(select(inputs), outputs);
    }

    /** Writes the engine to {@code file}. */
    public void save(Path file) {
        engine.save(file);
    }

    public Engine engine() {
        return engine;
    }

    /** IR names of the inputs, in engine order ({@code x0, x1, ...}). */
    public List<String> inputNames() {
        return inputNames;
    }

    /** IR names of the outputs, in engine order ({@code y0, y1, ...}). */
    public List<String> outputNames() {
        return outputNames;
    }

    /** Seconds TensorRT took to build the engine (0 when loaded from a file). */
    public double buildSeconds() {
        return buildSeconds;
    }

    @Override
    public synchronized void close() {
        session.close();
        engine.close();
    }
}
