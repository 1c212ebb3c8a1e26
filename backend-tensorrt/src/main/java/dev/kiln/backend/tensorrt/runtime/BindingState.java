package dev.kiln.backend.tensorrt.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an execution context already holds from the previous call: the address bound to each I/O
 * tensor and the input shapes set (with the output shapes TensorRT derived from them). A session asks
 * it before each {@code setTensorAddress} and {@code setInputShape}, so that a steady stream of calls
 * with the same buffers and shapes goes straight to {@code enqueueV3}; each skipped call is a JNI
 * crossing, a native {@code Dims64} and TensorRT's own shape checks. After any TensorRT error the
 * session calls {@link #forget()}. Not thread-safe, like the session.
 *
 * <pre>{@code if (state.needsAddress("x0", a)) { ctx.setTensorAddress("x0", p); state.bound("x0", a); }}</pre>
 */
final class BindingState {
    private final Map<String, Long> addresses = new HashMap<>();
    private long[][] inputShapes;
    private List<long[]> outputShapes;
    /** Counts changes to what the context holds; a CUDA graph captured at one generation is valid while it lasts. */
    private long generation;

    /** The number of changes so far: equal for two calls when nothing was bound or set between them. */
    long generation() {
        return generation;
    }

    /** Whether {@code name} must be (re)bound: it is bound to another address, or to none yet. */
    boolean needsAddress(String name, long address) {
        Long bound = addresses.get(name);
        return bound == null || bound != address;
    }

    void bound(String name, long address) {
        addresses.put(name, address);
        generation++;
    }

    /** The output shapes of the last call when {@code shapes} are the input shapes it set; copies the caller may keep. */
    Optional<List<long[]>> outputShapesFor(long[][] shapes) {
        if (inputShapes == null || inputShapes.length != shapes.length) {
            return Optional.empty();
        }
        for (int i = 0; i < shapes.length; i++) {
            if (!Arrays.equals(inputShapes[i], shapes[i])) {
                return Optional.empty();
            }
        }
        return Optional.of(copy(outputShapes));
    }

    /** Records the input shapes just set and the output shapes TensorRT derived from them. */
    void shapesSet(long[][] shapes, List<long[]> outputs) {
        long[][] in = new long[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            in[i] = shapes[i].clone();
        }
        inputShapes = in;
        outputShapes = copy(outputs);
        generation++;
    }

    /** Forgets everything: the next call sets every shape and address again. */
    void forget() {
        addresses.clear();
        inputShapes = null;
        outputShapes = null;
        generation++;
    }

    private static List<long[]> copy(List<long[]> shapes) {
        List<long[]> out = new ArrayList<>(shapes.size());
        for (long[] s : shapes) {
            out.add(s.clone());
        }
        return out;
    }
}
