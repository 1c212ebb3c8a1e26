package dev.kiln.backend.tensorrt;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IConcatenationLayer;
import org.bytedeco.tensorrt.nvinfer.IConstantLayer;
import org.bytedeco.tensorrt.nvinfer.ILayer;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IShuffleLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.Weights;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a strongly typed TensorRT network from an IR graph (after the pass pipeline) and is the
 * {@link ConversionContext} converters see. Graph inputs become network inputs {@code x0, x1, ...}
 * (symbolic sizes as -1, named after their symbol so TensorRT knows equal dimensions), graph outputs
 * become {@code y0, y1, ...} (engine tensors are named by position, as in Kiln's {@code .npz} files;
 * {@link #inputNames()} maps them back to the IR names). Constants are handed to TensorRT straight
 * from the IR's off-heap buffers (no copy, except for dtypes TensorRT lacks, see
 * {@link TrtTypes#constantType}); those buffers are kept reachable until {@link #close()}, which the
 * engine builder calls after the build. Every layer is named {@code "<op> <node>"} (then
 * {@code #1, #2, ...} for a node's further layers), and where a converter's output dtype differs from
 * the IR's, an explicit cast is inserted: in a strongly typed network the IR's types are the truth.
 *
 * <pre>{@code
 * try (NetworkBuilder nb = new NetworkBuilder(network, registry, settings, BuildProgress.NONE)) {
 *     nb.populate(graph);
 *     ... builder.buildSerializedNetwork(network, config) ...
 * }
 * }</pre>
 */
public final class NetworkBuilder implements ConversionContext, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NetworkBuilder.class);
    /** TensorRT's maximum rank. */
    public static final int MAX_RANK = 8;

    private final INetworkDefinition network;
    private final ConverterRegistry registry;
    private final ConverterSettings settings;
    private final BuildProgress progress;

    private final Map<Value, ITensor> tensors = new IdentityHashMap<>();
    private final List<Object> keepAlive = new ArrayList<>();
    private final Map<String, String> layerToNode = new LinkedHashMap<>();
    private final Map<String, String> layerToNodeName = new LinkedHashMap<>();
    private final List<String> inputNames = new ArrayList<>();
    private final List<String> outputNames = new ArrayList<>();
    private java.util.function.Supplier<List<String>> errorSource = List::of;
    private Node current;
    private String layerPrefix = "kiln";
    private int layerIndex;

    public NetworkBuilder(INetworkDefinition network, ConverterRegistry registry, ConverterSettings settings,
                          BuildProgress progress) {
        this.network = network;
        this.registry = registry;
        this.settings = settings;
        this.progress = progress == null ? BuildProgress.NONE : progress;
    }

    /**
     * Where TensorRT's error messages can be read (the build's logger): errors logged while a node's
     * layers are added are reported right away, naming that node.
     */
    public void setErrorSource(java.util.function.Supplier<List<String>> errors) {
        this.errorSource = errors == null ? List::of : errors;
    }

    /** Adds the whole graph: inputs, every node through its converter, outputs. */
    public void populate(Graph g) {
        List<Value> ins = g.inputs();
        for (int i = 0; i < ins.size(); i++) {
            addInput(i, ins.get(i));
        }
        List<Node> nodes = List.copyOf(g.nodes());
        int n = nodes.size();
        for (int i = 0; i < n; i++) {
            progress.report("convert", i, n);
            convertNode(nodes.get(i));
        }
        progress.report("convert", n, n);
        current = null;
        List<Value> outs = g.outputs();
        Set<Long> marked = new HashSet<>();
        for (int j = 0; j < outs.size(); j++) {
            markOutput(j, outs.get(j), marked);
        }
    }

    private void addInput(int i, Value v) {
        String name = Profiles.inputName(i);
        if (!(v.type() instanceof TensorType tt) || !tt.shape().isRanked() || tt.dtype().isEmpty()) {
            throw new KilnException("graph input " + name + " (%" + v.name() + ") has type " + v.type().text()
                    + "; TensorRT needs every input's dtype and rank (run propagate-shapes)");
        }
        if (tt.rank() > MAX_RANK) {
            throw new KilnException("graph input " + name + " (%" + v.name() + ") has rank " + tt.rank() + "; TensorRT allows " + MAX_RANK);
        }
        long[] d = new long[tt.rank()];
        for (int k = 0; k < d.length; k++) {
            SymExpr e = tt.shape().dim(k);
            d[k] = e.isConstant() ? e.evaluate(Map.of()) : -1;
        }
        ITensor t = network.addInput(name, TrtTypes.toTrt(tt.elementType()), dims(d));
        if (t == null || t.isNull()) {
            throw new KilnException("TensorRT refused graph input " + name + " (%" + v.name() + ": " + tt.text() + ")");
        }
        for (int k = 0; k < d.length; k++) {
            if (tt.shape().dim(k) instanceof SymExpr.Sym s) {
                t.setDimensionName(k, s.symbol().name());
            }
        }
        tensors.put(v, t);
        inputNames.add(v.name());
    }

    private void convertNode(Node node) {
        ConverterRegistry.Lookup l = registry.lookup(node, settings);
        if (l.converter().isEmpty()) {
            throw KilnException.at(node, "no TensorRT converter accepts this node: " + l.reason());
        }
        OpConverter c = l.converter().get();
        current = node;
        layerPrefix = node.op() + " " + node.name();
        layerIndex = 0;
        int errorsBefore = errorSource.get().size();
        try {
            c.convert(this, node);
        } catch (KilnException e) {
            String m = String.valueOf(e.getMessage());
            throw m.contains(node.describe()) ? e : new KilnException(node.describe() + ": " + m, e);
        } catch (RuntimeException e) {
            throw new KilnException(node.describe() + ": converter " + c.getClass().getName() + " failed: " + e, e);
        }
        List<String> errors = errorSource.get();
        if (errors.size() > errorsBefore) {
            throw KilnException.at(node, "TensorRT refused the layers converter " + c.getClass().getSimpleName() + " added: "
                    + String.join("; ", errors.subList(errorsBefore, errors.size())));
        }
        for (Value out : node.outputs()) {
            ITensor t = tensors.get(out);
            if (t == null) {
                if (out.isUsed() || node.graph().outputs().contains(out)) {
                    throw KilnException.at(node, "converter " + c.getClass().getName() + " did not bind output %" + out.name());
                }
                continue;
            }
            if (out.type() instanceof TensorType tt && tt.dtype().isPresent()) {
                DType have = dtype(t);
                DType want = tt.elementType();
                if (have != want && TrtTypes.find(want).isPresent()) {
                    LOG.debug("{}: converter gave {} for %{} but the IR says {}; casting", node.describe(), have, out.name(), want);
                    tensors.put(out, cast(t, want));
                }
            }
        }
    }

    private void markOutput(int j, Value v, Set<Long> marked) {
        current = null;
        layerPrefix = "output " + Profiles.outputName(j);
        layerIndex = 0;
        if (!(v.type() instanceof TensorType)) {
            throw new KilnException("graph output " + j + " (%" + v.name() + ") is a " + v.type().text()
                    + ", not a tensor; TensorRT engines only return tensors");
        }
        ITensor t = get(v);
        if (v.type() instanceof TensorType tt && tt.dtype().isPresent() && dtype(t) != tt.elementType()
                && TrtTypes.find(tt.elementType()).isPresent()) {
            t = cast(t, tt.elementType());
        }
        // an input, a constant or a tensor already marked cannot be marked (again) under a new name
        if (t.isNetworkInput() || t.isNetworkOutput() || marked.contains(t.address()) || v.kind() == Value.Kind.CONSTANT) {
            t = named(network.addIdentity(t)).getOutput(0);
        }
        t.setName(Profiles.outputName(j));
        network.markOutput(t);
        marked.add(t.address());
        outputNames.add(v.name());
    }

    @Override
    public INetworkDefinition network() {
        return network;
    }

    @Override
    public ConverterSettings settings() {
        return settings;
    }

    @Override
    public Node node() {
        if (current == null) {
            throw new IllegalStateException("no node is being converted");
        }
        return current;
    }

    /**
     * Besides what {@link ConversionContext#get} promises, a list of ints and int values
     * ({@code [%sym_size, -1]}) becomes a 1-d i64 tensor (a shape tensor).
     */
    @Override
    public ITensor get(Arg arg) {
        if (arg instanceof Value v) {
            ITensor t = tensors.get(v);
            if (t != null) {
                return t;
            }
            if (v.kind() == Value.Kind.CONSTANT && v.constant().isPresent()) {
                String saved = layerPrefix;
                int savedIndex = layerIndex;
                layerPrefix = "constant " + v.name();
                layerIndex = 0;
                try {
                    t = constant(v.constant().get(), v.name());
                } finally {
                    layerPrefix = saved;
                    layerIndex = savedIndex;
                }
                tensors.put(v, t);
                return t;
            }
            throw error("value %" + v.name() + " has no TensorRT tensor yet (its producer was not converted before this use)");
        }
        if (arg instanceof Arg.IntLit i) {
            return constant(ConstantTensor.scalar(DType.INT64, i.value()), "int " + i.value());
        }
        if (arg instanceof Arg.FloatLit f) {
            return constant(ConstantTensor.scalar(DType.FLOAT32, f.value()), "float " + f.value());
        }
        if (arg instanceof Arg.BoolLit b) {
            return constant(ConstantTensor.scalar(DType.BOOL, b.value() ? 1 : 0), "bool " + b.value());
        }
        if (arg instanceof Arg.ListArg l) {
            return shapeList(l);
        }
        throw error("argument " + dev.kiln.ir.Args.describe(arg) + " is not a tensor or a number");
    }

    private ITensor shapeList(Arg.ListArg l) {
        List<ITensor> parts = new ArrayList<>();
        for (Arg a : l.elements()) {
            if (a instanceof Arg.IntLit i) {
                parts.add(constant(ConstantTensor.ofLongs(new long[] {1}, i.value()), "int " + i.value()));
            } else if (a instanceof Value v) {
                parts.add(reshape(cast(get(v), DType.INT64), 1));
            } else {
                throw error("list element " + dev.kiln.ir.Args.describe(a) + " is not an int or an int value");
            }
        }
        if (parts.isEmpty()) {
            return constant(new ConstantTensor(DType.INT64, new long[] {0}, ConstantTensor.allocate(DType.INT64, 0)), "empty list");
        }
        return concat(parts, 0);
    }

    /** Concatenates {@code parts} along {@code axis} (additive helper; converters may use it through this class). */
    public ITensor concat(List<ITensor> parts, int axis) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        PointerPointer<ITensor> pp = new PointerPointer<>(parts.toArray(new ITensor[0]));
        keepAlive(pp);
        IConcatenationLayer c = named(network.addConcatenation(pp, parts.size()));
        c.setAxis(axis);
        return c.getOutput(0);
    }

    @Override
    public void bind(Value v, ITensor t) {
        if (t == null || t.isNull()) {
            throw error("binding %" + v.name() + " to a null TensorRT tensor (a layer could not be added; see TensorRT's log)");
        }
        tensors.put(v, t);
    }

    @Override
    public ITensor constant(ConstantTensor data, String name) {
        if (data.rank() > MAX_RANK) {
            throw new KilnException("constant " + name + " has rank " + data.rank() + "; TensorRT allows " + MAX_RANK);
        }
        Weights w = weights(data, TrtTypes.constantType(data.dtype()));
        IConstantLayer layer = network.addConstant(dims(data.sizes()), w);
        if (layer == null || layer.isNull()) {
            throw new KilnException("TensorRT refused constant " + name + " (" + data + ")");
        }
        return named(layer).getOutput(0);
    }

    @Override
    public Weights weights(ConstantTensor data, DType as) {
        ConstantTensor c = as == data.dtype() ? data : convertConstant(data, as);
        ByteBuffer buf = c.data();
        Pointer values = new Pointer(buf);
        Weights w = new Weights();
        w.type(TrtTypes.toTrt(as));
        w.count(c.numel());
        w.values(c.numel() == 0 ? null : values);
        // TensorRT reads the weights during the build, not here: keep the host memory reachable until then
        keepAlive(values);
        keepAlive(w);
        keepAlive.add(c);
        keepAlive.add(buf);
        return w;
    }

    private static ConstantTensor convertConstant(ConstantTensor t, DType to) {
        LOG.debug("converting a {} constant to {} for TensorRT (one copy)", t.dtype(), to);
        ByteBuffer b = ConstantTensor.allocate(to, t.sizes());
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            ElementCodec.put(to, b, i, t.getDouble(i));
        }
        return new ConstantTensor(to, t.sizes(), b);
    }

    @Override
    public ITensor scalar(double value, DType dtype, int rank) {
        ConstantTensor s = ConstantTensor.scalar(TrtTypes.constantType(dtype), value);
        long[] ones = new long[rank];
        java.util.Arrays.fill(ones, 1);
        ConstantTensor shaped = new ConstantTensor(s.dtype(), ones, s.data());
        return constant(shaped, "scalar " + value);
    }

    @Override
    public ITensor cast(ITensor t, DType to) {
        if (dtype(t) == to) {
            return t;
        }
        return named(network.addCast(t, TrtTypes.toTrt(to))).getOutput(0);
    }

    @Override
    public DType dtype(ITensor t) {
        return TrtTypes.fromTrt(t.getType());
    }

    @Override
    public ITensor[] broadcast(ITensor a, ITensor b) {
        int ra = a.getDimensions().nbDims();
        int rb = b.getDimensions().nbDims();
        if (ra == rb) {
            return new ITensor[] {a, b};
        }
        return ra < rb ? new ITensor[] {prependOnes(a, rb - ra), b} : new ITensor[] {a, prependOnes(b, ra - rb)};
    }

    private ITensor prependOnes(ITensor t, int k) {
        long[] d = dimsOf(t);
        boolean dynamic = false;
        for (long x : d) {
            dynamic |= x < 0;
        }
        if (!dynamic) {
            long[] nd = new long[d.length + k];
            java.util.Arrays.fill(nd, 0, k, 1);
            System.arraycopy(d, 0, nd, k, d.length);
            return reshape(t, nd);
        }
        long[] ones = new long[k];
        java.util.Arrays.fill(ones, 1);
        ITensor prefix = constant(ConstantTensor.ofLongs(new long[] {k}, ones), "ones");
        return reshape(t, concat(List.of(prefix, shapeOf(t)), 0));
    }

    /** The static dims of {@code t} (-1 where dynamic). */
    public static long[] dimsOf(ITensor t) {
        Dims64 d = t.getDimensions();
        long[] out = new long[Math.max(0, d.nbDims())];
        for (int i = 0; i < out.length; i++) {
            out[i] = d.d(i);
        }
        return out;
    }

    @Override
    public ITensor shapeOf(ITensor t) {
        ITensor s = named(network.addShape(t)).getOutput(0);
        return cast(s, DType.INT64);
    }

    @Override
    public ITensor dim(ITensor t, int axis) {
        int rank = t.getDimensions().nbDims();
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw error("dimension " + axis + " is out of range for a rank-" + rank + " tensor");
        }
        return named(network.addSlice(shapeOf(t), dims(a), dims(1), dims(1))).getOutput(0);
    }

    @Override
    public ITensor reshape(ITensor t, ITensor shape) {
        IShuffleLayer s = named(network.addShuffle(t));
        s.setInput(1, shape);
        return s.getOutput(0);
    }

    @Override
    public ITensor reshape(ITensor t, long... sizes) {
        IShuffleLayer s = named(network.addShuffle(t));
        s.setZeroIsPlaceholder(false);
        s.setReshapeDimensions(dims(sizes));
        return s.getOutput(0);
    }

    @Override
    public <L extends ILayer> L named(L layer) {
        if (layer == null || layer.isNull()) {
            throw current != null ? error("TensorRT refused a layer (see TensorRT's log above)")
                    : new KilnException(layerPrefix + ": TensorRT refused a layer (see TensorRT's log above)");
        }
        String name = layerIndex == 0 ? layerPrefix : layerPrefix + "#" + layerIndex;
        layerIndex++;
        layer.setName(name);
        layerToNode.put(name, current != null ? current.describe() : layerPrefix);
        if (current != null) {
            layerToNodeName.put(name, current.name());
        }
        return layer;
    }

    @Override
    public void keepAlive(Pointer p) {
        keepAlive.add(p);
    }

    /** Layer name -> the node it came from ({@link Node#describe()}), in creation order. */
    public Map<String, String> layerNames() {
        return java.util.Collections.unmodifiableMap(layerToNode);
    }

    /** Layer name -> the name of the IR node it came from (layers Kiln adds for inputs and outputs have none). */
    public Map<String, String> layerNodeNames() {
        return java.util.Collections.unmodifiableMap(layerToNodeName);
    }

    /** IR names of the graph inputs, in engine order ({@code x0, x1, ...}). */
    public List<String> inputNames() {
        return List.copyOf(inputNames);
    }

    /** IR names of the graph outputs, in engine order ({@code y0, y1, ...}). */
    public List<String> outputNames() {
        return List.copyOf(outputNames);
    }

    /** Releases the host memory handed to TensorRT (call after the engine is built). */
    @Override
    public void close() {
        keepAlive.clear();
        tensors.clear();
    }

    /** A {@code Dims64} of {@code d}. */
    public static Dims64 dims(long... d) {
        if (d.length > MAX_RANK) {
            throw new KilnException("rank " + d.length + " is over TensorRT's maximum of " + MAX_RANK);
        }
        Dims64 x = new Dims64();
        x.nbDims(d.length);
        for (int i = 0; i < d.length; i++) {
            x.d(i, d[i]);
        }
        return x;
    }
}
