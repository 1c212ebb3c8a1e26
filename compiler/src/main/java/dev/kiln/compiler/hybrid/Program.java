package dev.kiln.compiler.hybrid;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A compiled model as data: numbered value slots, the slots the model's inputs fill and its outputs
 * read, constant slots (outputs that are weights), and the {@link StageSpec stages} in execution
 * order, each reading and writing slots. A stage is a TensorRT engine (a serialized plan) or a libtorch
 * segment (an IR graph with its weights). {@link HybridCompiler} makes one, {@link KilnArchive} stores
 * one, {@link HybridRuntime} runs one. Immutable.
 *
 * <pre>{@code Program p = HybridCompiler.compile(graph, settings).program(); p.stages().size()}</pre>
 *
 * @param name      the model's graph name
 * @param slots     every slot: the IR value it carries and that value's type, as text
 * @param inputs    the slot of each model input, in order
 * @param outputs   the slot of each model output, in order (a slot may appear twice)
 * @param constants slots whose value is fixed (a model output that is a weight)
 * @param stages    in execution order; a stage only reads slots filled by inputs, constants or earlier stages
 * @param symbols   the range of each symbol the slot types name ({@code s0 -> [1, 64]}), as the model declared it
 */
public record Program(String name, List<Slot> slots, List<Integer> inputs, List<Integer> outputs,
                      Map<Integer, ConstantTensor> constants, List<StageSpec> stages, Map<String, SymbolRange> symbols) {
    public Program {
        slots = List.copyOf(slots);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        constants = java.util.Collections.unmodifiableMap(new TreeMap<>(constants));
        stages = List.copyOf(stages);
        symbols = java.util.Collections.unmodifiableMap(new TreeMap<>(symbols));
        validate(slots.size(), inputs, outputs, constants, stages);
    }

    /** A program whose symbols carry no declared range (every size a symbol may take is accepted). */
    public Program(String name, List<Slot> slots, List<Integer> inputs, List<Integer> outputs,
                   Map<Integer, ConstantTensor> constants, List<StageSpec> stages) {
        this(name, slots, inputs, outputs, constants, stages, Map.of());
    }

    /** The sizes a symbol may take, inclusive; {@code max} is {@link dev.kiln.ir.Symbol#UNBOUNDED} when it has no bound. */
    public record SymbolRange(long min, long max) {
        public String text() {
            return "[" + min + ", " + (max == dev.kiln.ir.Symbol.UNBOUNDED ? "inf" : Long.toString(max)) + "]";
        }
    }

    /** The ranges of {@code g}'s symbols. */
    public static Map<String, SymbolRange> symbolsOf(Graph g) {
        Map<String, SymbolRange> out = new TreeMap<>();
        g.symbols().forEach(s -> out.put(s.name(), new SymbolRange(s.min(), s.max())));
        return out;
    }

    /** One slot: the IR value it holds ({@code %x}) and its type's text. */
    public record Slot(String value, String type) {
    }

    /** A stage: its name, the slots it reads (its inputs, in order) and the slots it writes. */
    public sealed interface StageSpec permits EngineStage, TorchStage {
        String name();

        List<Integer> inputs();

        List<Integer> outputs();

        /** How many IR nodes the stage runs. */
        int nodeCount();
    }

    /**
     * A TensorRT engine: engine input {@code xK} is stage input K (TensorRT may drop an input the network
     * never reads), output {@code yK} writes stage output K.
     *
     * @param cacheKey the engine cache key it was built or found under (empty when not cached)
     */
    public record EngineStage(String name, List<Integer> inputs, List<Integer> outputs, ByteBuffer plan, int nodeCount,
                              String cacheKey) implements StageSpec {
        public EngineStage {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            plan = plan.asReadOnlyBuffer();
        }

        @Override
        public ByteBuffer plan() {
            return plan.duplicate();
        }
    }

    /** A libtorch segment: graph input K is stage input K, graph output K writes stage output K. */
    public record TorchStage(String name, List<Integer> inputs, List<Integer> outputs, Graph graph) implements StageSpec {
        public TorchStage {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            if (graph.inputs().size() != inputs.size() || graph.outputs().size() != outputs.size()) {
                throw new KilnException("torch stage " + name + ": its graph has " + graph.inputs().size() + " inputs and "
                        + graph.outputs().size() + " outputs but the stage reads " + inputs.size() + " and writes "
                        + outputs.size() + " slots");
            }
        }

        @Override
        public int nodeCount() {
            return graph.nodes().size();
        }
    }

    /** The engine stages. */
    public List<EngineStage> engines() {
        List<EngineStage> out = new ArrayList<>();
        for (StageSpec s : stages) {
            if (s instanceof EngineStage e) {
                out.add(e);
            }
        }
        return out;
    }

    /** Whether running this program needs a GPU (it has a TensorRT stage). */
    public boolean needsGpu() {
        return !engines().isEmpty();
    }

    /** {@code 2 stages: seg0 tensorrt (12 nodes), seg1 torch (1 node)}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        for (StageSpec s : stages) {
            parts.add(s.name() + " " + (s instanceof EngineStage ? "tensorrt" : "torch") + " (" + s.nodeCount() + " node"
                    + (s.nodeCount() == 1 ? "" : "s") + ")");
        }
        return stages.size() + " stage" + (stages.size() == 1 ? "" : "s") + (parts.isEmpty() ? "" : ": " + String.join(", ", parts));
    }

    private static void validate(int n, List<Integer> inputs, List<Integer> outputs, Map<Integer, ConstantTensor> constants,
                                 List<StageSpec> stages) {
        boolean[] filled = new boolean[n];
        for (int s : inputs) {
            fill(filled, s, "model input");
        }
        for (int s : constants.keySet()) {
            fill(filled, s, "constant");
        }
        for (StageSpec st : stages) {
            for (int s : st.inputs()) {
                check(s, n, "stage " + st.name());
                if (!filled[s]) {
                    throw new KilnException("stage " + st.name() + " reads slot " + s + " before anything writes it");
                }
            }
            for (int s : st.outputs()) {
                fill(filled, s, "stage " + st.name());
            }
        }
        for (int s : outputs) {
            check(s, n, "model output");
            if (!filled[s]) {
                throw new KilnException("model output slot " + s + " is never written");
            }
        }
    }

    private static void fill(boolean[] filled, int s, String by) {
        check(s, filled.length, by);
        if (filled[s]) {
            throw new KilnException(by + " writes slot " + s + ", which is already written");
        }
        filled[s] = true;
    }

    private static void check(int s, int n, String by) {
        if (s < 0 || s >= n) {
            throw new KilnException(by + " names slot " + s + " but the program has " + n + " slots");
        }
    }
}
