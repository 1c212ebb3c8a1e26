package dev.kiln.passes.precision;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.passes.Ops;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassOption;
import dev.kiln.passes.Precision;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides every floating tensor's precision, with explicit {@code aten::_to_copy} casts, because
 * TensorRT networks are strongly typed. For {@link Precision#FP16}/{@link Precision#BF16} it runs
 * nodes in the low type, converting f32 weights once (a low-precision copy of the constant) and
 * casting f32 activations where they enter low-precision nodes, but keeps FP32 islands where accuracy
 * needs them: softmax and log-softmax, layer/group/batch/instance norm, exp/log/pow, losses,
 * reductions over more than {@code reduce-threshold} elements (or an unknown number), and any op or
 * node named in {@link PassContext#keepFp32()}. Island inputs are cast up to f32; the per-channel scales of int8
 * markers ({@code fake_quantize_per_channel_affine}) stay f32 while what they quantize goes low. Graph inputs and
 * outputs keep their types (outputs are cast back), so the compiled model's interface does not
 * change. FP32 and TF32 leave the graph alone.
 *
 * <p>With {@code fp32-acc} (Torch-TensorRT's {@code use_fp32_acc}) the matrix products ({@code mm}, {@code bmm},
 * {@code addmm}, {@code baddbmm}, {@code matmul}, {@code linear}) take their operands rounded to the low type and cast
 * up to f32, and compute in f32: FP16 operands with FP32 accumulation, where a plain FP16 matrix product may
 * accumulate in FP16. Their weights stay low-precision constants with an explicit cast after them (not folded into
 * f32 constants), so that a backend sees the pattern "cast up, multiply, cast down" it could run as a half-precision
 * kernel with a float accumulator. TensorRT 10.6 does not: it folds the weights' casts and runs FP32 kernels
 * (measured on an H100: the GPT-2 blocks' FP16 error halved, their speed that of FP32; docs/precision.md). Products
 * that read an int8 marker are int8 products and stay as they are. Default off.
 *
 * <pre>{@code kiln opt --passes=precision --precision=fp16 model.kir}</pre>
 */
@AutoService(Pass.class)
public final class PrecisionPass implements Pass {
    public static final PassOption<Long> REDUCE_THRESHOLD = PassOption.ofLong("reduce-threshold", 4096,
            "reductions over more elements than this stay in FP32");
    public static final PassOption<String> PRECISION = PassOption.ofString("precision", "",
            "fp32, tf32, fp16 or bf16 (default: the compile's precision)");
    public static final PassOption<Boolean> FP32_ACC = PassOption.ofBoolean("fp32-acc", false,
            "matrix products take low-precision operands cast up to f32 and accumulate in f32");

    /** The matrix products {@code fp32-acc} computes in f32 from low-precision operands. */
    private static final Set<String> ACCUMULATING_OPS = Set.of("aten::mm", "aten::bmm", "aten::addmm", "aten::baddbmm",
            "aten::matmul", "aten::linear");

    private static final Set<String> ISLAND_OPS = Set.of("aten::softmax", "aten::_softmax", "aten::log_softmax",
            "aten::_log_softmax", "aten::layer_norm", "aten::native_layer_norm", "aten::group_norm",
            "aten::native_group_norm", "aten::batch_norm", "aten::native_batch_norm",
            "aten::_native_batch_norm_legit_no_training", "aten::_native_batch_norm_legit", "aten::instance_norm",
            "aten::rms_norm", "aten::exp", "aten::exp2", "aten::expm1", "aten::log", "aten::log2", "aten::log10",
            "aten::log1p", "aten::pow", "aten::logsumexp", "aten::cross_entropy_loss", "aten::nll_loss",
            "aten::nll_loss_nd", "aten::nll_loss2d", "aten::mse_loss", "aten::l1_loss", "aten::smooth_l1_loss",
            "aten::huber_loss", "aten::binary_cross_entropy", "aten::binary_cross_entropy_with_logits",
            "aten::kl_div", "aten::soft_margin_loss", "aten::cosine_embedding_loss", "aten::margin_ranking_loss",
            "aten::cosine_similarity");
    private static final Set<String> REDUCTIONS = Set.of("aten::sum", "aten::mean", "aten::var", "aten::std",
            "aten::var_mean", "aten::std_mean", "aten::norm", "aten::linalg_vector_norm", "aten::prod",
            "aten::cumsum", "aten::cumprod");

    /**
     * Nodes that must stay FP32 because they came from decomposing an op that would have been an FP32 island itself
     * ({@code rms_norm}, {@code var}, {@code logsumexp}, ...): the {@code decompose} pass records them in the context, so
     * that splitting such an op into simpler ones does not move its arithmetic into FP16.
     */
    public static final class DecomposedIslands {
        private final Set<Node> nodes = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

        public void addAll(java.util.Collection<Node> ns) {
            nodes.addAll(ns);
        }

        public boolean contains(Node n) {
            return nodes.contains(n);
        }
    }

    /** Whether nodes of {@code schemaName} are kept in FP32 (always for these ops; reductions when large). */
    public static boolean isIslandOp(String schemaName) {
        return ISLAND_OPS.contains(schemaName) || REDUCTIONS.contains(schemaName);
    }

    @Override
    public String name() {
        return "precision";
    }

    @Override
    public String description() {
        return "casts to fp16/bf16 with explicit casts, keeping FP32 islands where accuracy needs them";
    }

    @Override
    public List<PassOption<?>> options() {
        return List.of(PRECISION, REDUCE_THRESHOLD, FP32_ACC);
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        String p = context.options().get(this, PRECISION);
        Precision precision = p.isBlank() ? context.precision() : Precision.parse(p);
        if (precision == Precision.FP32 || precision == Precision.TF32) {
            return false;
        }
        if (Ops.writesInPlace(graph)) {
            // a cast is a copy: a write into a cast view would be lost; such a graph runs in libtorch, in FP32
            context.note("graph " + graph.name() + " writes in place where a view shares the tensor: kept in FP32");
            return false;
        }
        DType low = precision.computeType();
        long threshold = context.options().get(this, REDUCE_THRESHOLD);
        boolean fp32Acc = context.options().get(this, FP32_ACC);
        Casts casts = new Casts(graph, low);
        boolean changed = false;
        for (Node n : new ArrayList<>(graph.nodes())) {
            if (casts.isCast(n)) {
                continue;
            }
            boolean island = isIsland(n, context, threshold);
            if (!island && fp32Acc && ACCUMULATING_OPS.contains(n.schema().name()) && !readsInt8Marker(n)) {
                // operands rounded to the low type, then cast up: the product reads what a low-precision one
                // would and sums in f32; its f32 result is cast down where low-precision nodes read it
                for (int i = 0; i < n.args().size(); i++) {
                    Arg a = n.arg(i);
                    Arg r = accumulateInF32(a, n, casts);
                    if (r != a) {
                        n.setArg(i, r);
                        changed = true;
                    }
                }
                continue;
            }
            DType want = island ? DType.FLOAT32 : low;
            // an int8 marker's scales stay f32 whatever it quantizes (libtorch insists; TensorRT takes them as constants)
            int keepScale = Ops.isQuantizationMarker(n) ? n.schema().indexOf("scale").orElse(-1) : -1;
            for (int i = 0; i < n.args().size(); i++) {
                if (i == keepScale) {
                    continue;
                }
                Arg a = n.arg(i);
                Arg r = retype(a, want, n, casts);
                if (r != a) {
                    n.setArg(i, r);
                    changed = true;
                }
            }
            if (!island) {
                changed |= lowerDTypeArg(n, low);
                for (Value o : n.outputs()) {
                    if (o.type() instanceof TensorType t && t.dtype().orElse(null) == DType.FLOAT32) {
                        o.setType(t.withDType(low));
                        changed = true;
                    }
                }
            }
        }
        // the graph's interface keeps its types: outputs computed in the low type are cast back
        List<Value> outs = new ArrayList<>(graph.outputs());
        for (int i = 0; i < outs.size(); i++) {
            Value o = outs.get(i);
            if (o.kind() == Value.Kind.NODE_OUTPUT && o.type() instanceof TensorType t
                    && t.dtype().orElse(null) == low) {
                String name = o.name();
                Ops.rename(o, name + "_" + low.text());
                Node cast = casts.castAfter(o, DType.FLOAT32);
                Ops.rename(cast.output(), name);
                outs.set(i, cast.output());
                changed = true;
            }
        }
        graph.setOutputs(outs);
        return changed;
    }

    /**
     * A low-precision node that names f32 as its result type ({@code _to_copy(dtype=f32)}, a factory
     * with {@code dtype=None}, which means f32) is told the low type instead, so its output type and
     * what it computes agree.
     */
    private static boolean lowerDTypeArg(Node n, DType low) {
        int i = n.schema().indexOf("dtype").orElse(-1);
        if (i < 0 || i >= n.args().size()) {
            return false;
        }
        Arg a = n.arg(i);
        boolean f32 = a instanceof Arg.DTypeLit d && d.value() == DType.FLOAT32;
        boolean factoryDefault = a.isNone() && n.inputs().stream().noneMatch(v -> v.type() instanceof TensorType)
                && n.outputs().size() == 1 && n.output().type() instanceof TensorType t
                && t.dtype().orElse(null) == DType.FLOAT32;
        if (f32 || factoryDefault) {
            n.setArg(i, new Arg.DTypeLit(low));
            return true;
        }
        return false;
    }

    private static boolean isIsland(Node n, PassContext ctx, long threshold) {
        if (!n.subgraphs().isEmpty()) {
            return true; // a run-time branch: its nested graphs are typed for what they read, in FP32
        }
        DecomposedIslands decomposed = ctx.get(DecomposedIslands.class);
        if (decomposed != null && decomposed.contains(n)) {
            return true;
        }
        String name = n.schema().name();
        if (ctx.keepFp32().contains(n.op()) || ctx.keepFp32().contains(name) || ctx.keepFp32().contains(n.name())) {
            return true;
        }
        if (ISLAND_OPS.contains(name)) {
            return true;
        }
        return REDUCTIONS.contains(name) && reducedExtent(n) > threshold;
    }

    /** The number of elements one output element sums over; MAX_VALUE when not known. */
    private static long reducedExtent(Node n) {
        if (!(n.arg(0) instanceof Value in) || !(in.type() instanceof TensorType t) || !t.shape().isRanked()) {
            return Long.MAX_VALUE;
        }
        int rank = t.rank();
        List<Integer> dims = new ArrayList<>();
        int dimIndex = n.schema().indexOf("dim").orElse(-1);
        Arg dimArg = dimIndex >= 0 ? n.arg(dimIndex) : Arg.NONE;
        if (dimArg.isNone() || dimArg instanceof Arg.ListArg l && l.elements().isEmpty()) {
            for (int d = 0; d < rank; d++) {
                dims.add(d);
            }
        } else {
            long[] ds = dimArg instanceof Arg.IntLit i ? new long[] {i.value()} : toLongs(dimArg);
            if (ds == null) {
                return Long.MAX_VALUE;
            }
            for (long d : ds) {
                dims.add((int) (d < 0 ? d + rank : d));
            }
        }
        long extent = 1;
        for (int d : dims) {
            if (d < 0 || d >= rank) {
                return Long.MAX_VALUE;
            }
            SymExpr e = t.shape().dim(d);
            long upper = e.isConstant() ? ((SymExpr.Const) e).value() : e.upperBound();
            if (upper == Long.MAX_VALUE) {
                return Long.MAX_VALUE;
            }
            extent = Math.multiplyHigh(extent, upper) != 0 ? Long.MAX_VALUE : extent * upper;
        }
        return extent;
    }

    private static long[] toLongs(Arg a) {
        if (!(a instanceof Arg.ListArg l)) {
            return null;
        }
        long[] out = new long[l.elements().size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.elements().get(i) instanceof Arg.IntLit v)) {
                return null;
            }
            out[i] = v.value();
        }
        return out;
    }

    /**
     * Whether a matrix product reads an int8 marker's output: an int8 product, which TensorRT runs with an integer
     * accumulator when the marker feeds it directly; a cast between them would break that pattern, so
     * {@code fp32-acc} leaves it alone.
     */
    private static boolean readsInt8Marker(Node n) {
        return n.inputs().stream().anyMatch(v -> v.producer().map(Ops::isQuantizationMarker).orElse(false));
    }

    /** {@code a} (a floating tensor operand of a matrix product) rounded to the low type and cast up to f32. */
    private static Arg accumulateInF32(Arg a, Node user, Casts casts) {
        if (!(a instanceof Value v) || !(v.type() instanceof TensorType t) || t.dtype().isEmpty()) {
            return a;
        }
        DType have = t.dtype().get();
        if (have != DType.FLOAT32 && have != casts.low) {
            return a;
        }
        return casts.upFromLow(casts.as(v, casts.low, user), user);
    }

    private static Arg retype(Arg a, DType want, Node user, Casts casts) {
        if (a instanceof Value v) {
            return casts.as(v, want, user);
        }
        if (a instanceof Arg.ListArg l) {
            List<Arg> items = new ArrayList<>();
            boolean any = false;
            for (Arg e : l.elements()) {
                Arg r = retype(e, want, user, casts);
                any |= r != e;
                items.add(r);
            }
            return any ? new Arg.ListArg(items) : a;
        }
        return a;
    }

    /** The casts this run inserted, so each (value, dtype) is converted once. */
    private static final class Casts {
        private final Graph graph;
        private final DType low;
        private final Map<Value, Map<DType, Value>> made = new HashMap<>();
        private final Set<Node> castNodes = new java.util.HashSet<>();

        Casts(Graph graph, DType low) {
            this.graph = graph;
            this.low = low;
        }

        boolean isCast(Node n) {
            return castNodes.contains(n);
        }

        /** {@code v} as {@code want} when it is a floating tensor of f32 or the low type; else {@code v}. */
        Value as(Value v, DType want, Node user) {
            if (!(v.type() instanceof TensorType t) || t.dtype().isEmpty()) {
                return v;
            }
            DType have = t.dtype().get();
            if (have == want || have != DType.FLOAT32 && have != low) {
                return v;
            }
            return made.computeIfAbsent(v, k -> new HashMap<>()).computeIfAbsent(want, w -> {
                if (v.kind() == Value.Kind.CONSTANT) {
                    return graph.addConstant(v.name() + "_" + w.text(), convert(v.constant().orElseThrow(), w));
                }
                if (v.producer().isPresent()) {
                    return castAfter(v, w).output();
                }
                // a graph input: cast right before the first node
                return castBefore(graph.nodes().get(0), v, w);
            });
        }

        /**
         * {@code v} (of the low type) cast up to f32 by a cast node: for a constant, a cast right before its first
         * such user instead of an f32 copy of the constant, so the weight stays low-precision and the cast stays in
         * the graph for the backend to see.
         */
        Value upFromLow(Value v, Node user) {
            if (v.kind() != Value.Kind.CONSTANT) {
                return as(v, DType.FLOAT32, user);
            }
            return made.computeIfAbsent(v, k -> new HashMap<>()).computeIfAbsent(DType.FLOAT32, w -> castBefore(user, v, w));
        }

        /** A cast of {@code v} to {@code want} inserted right before {@code user}. */
        private Value castBefore(Node user, Value v, DType want) {
            Node c = Ops.insertBefore(user, "aten::_to_copy", List.of(v), Map.of("dtype", new Arg.DTypeLit(want)),
                    ((TensorType) v.type()).withDType(want));
            castNodes.add(c);
            Ops.rename(c.output(), v.name() + "_" + want.text());
            return c.output();
        }

        Node castAfter(Value v, DType want) {
            Node producer = v.producer().orElseThrow();
            TensorType t = (TensorType) v.type();
            Node c = graph.insertAfter(producer, Ops.schema("aten::_to_copy"),
                    Ops.bind(Ops.schema("aten::_to_copy"), List.of(v), Map.of("dtype", new Arg.DTypeLit(want))),
                    List.of(t.withDType(want)));
            Ops.rename(c.output(), v.name() + "_" + want.text());
            castNodes.add(c);
            return c;
        }

        private static ConstantTensor convert(ConstantTensor c, DType to) {
            ByteBuffer b = ConstantTensor.allocate(to, c.sizes());
            for (long i = 0; i < c.numel(); i++) {
                ElementCodec.put(to, b, i, c.getDouble(i));
            }
            return new ConstantTensor(to, c.sizes(), b);
        }
    }
}
