package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.torchscript.Bound.Dict;
import dev.kiln.frontend.torchscript.Bound.Ir;
import dev.kiln.frontend.torchscript.Bound.Known;
import dev.kiln.frontend.torchscript.Bound.Scanned;
import dev.kiln.frontend.torchscript.Bound.Scanning;
import dev.kiln.frontend.torchscript.Bound.Seq;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SourceLocation;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaArgument;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.schema.SchemaType;
import org.bytedeco.pytorch.Block;
import org.bytedeco.pytorch.BlockArrayRef;
import org.bytedeco.pytorch.FunctionSchema;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueOptional;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitNode;
import org.bytedeco.pytorch.OperatorVector;
import org.bytedeco.pytorch.Symbol;
import org.bytedeco.pytorch.ValueArrayRef;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Walks one frozen TorchScript graph (the {@code forward} of a frozen module) and builds the IR
 * graph. Every TorchScript value is bound to what it stands for: a known constant (an {@link IValue}
 * read from a {@code prim::Constant} or folded), an IR {@link Value}, or a sequence (lists and tuples
 * built by {@code prim::ListConstruct}/{@code TupleConstruct}, which become {@link Arg.ListArg}s where
 * they are used and vanish otherwise). Control flow with known conditions and trip counts is folded
 * and unrolled while walking. One instance converts one graph.
 */
final class FrozenGraphConverter {
    /** Unrolling more loop iterations than this in one graph is refused (the graph would explode). */
    static final int MAX_UNROLLED_ITERATIONS = 10_000;

    /** The schema text of {@code prim::ListUnpack}, shared with the torch.export frontend. */
    static final String LIST_UNPACK = "prim::ListUnpack(Any list) -> ...";
    private static final Pattern TENSOR_TYPE = Pattern.compile("^[A-Z][A-Za-z0-9]*\\(.*");
    private static final String[] NONDETERMINISTIC = {"rand", "normal", "bernoulli", "uniform", "multinomial",
        "dropout", "empty", "poisson", "exponential", "geometric", "cauchy", "log_normal"};

    /** A list (the very {@link Seq}) built in {@code builtIn} that run-time branches inside that frame append to. */
    private static final class ListKey implements Frame.AppendTarget {
        final Seq seq;
        final Frame builtIn;
        final String name;

        ListKey(Seq seq, Frame builtIn, String name) {
            this.seq = seq;
            this.builtIn = builtIn;
            this.name = name;
        }

        @Override
        public Frame home() {
            return builtIn;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void take(Bound e) {
            seq.elements().add(e);
        }
    }

    /** The hint of the value {@code prim::Uninitialized} gives: a variable a path leaves unset, never read there. */
    private static final String UNINITIALIZED = "uninitialized";

    private final String file;
    private final SchemaSource schemas;
    private final Graph root;
    private Graph graph;
    private Frame frame;
    private final Map<Long, Bound> env = new HashMap<>();
    /** The frame each TorchScript value was bound in (by address, as {@link #env}): where a list was built. */
    private final Map<Long, Frame> boundIn = new HashMap<>();
    /** The TorchScript node being converted (for refusals raised while reading values). */
    private JitNode current;
    /** One key per list that run-time branches append to ({@link ListKey}), by identity. */
    private final Map<Seq, ListKey> listKeys = new java.util.IdentityHashMap<>();
    private final Map<Long, Value> constantsByOrigin = new HashMap<>();
    private final Map<String, OpSchema> schemaCache = new HashMap<>();
    /** The 0-d bool constants that stand for a loop body's constant condition (one each for true and false). */
    private final Map<Boolean, Value> loopConditions = new HashMap<>();
    /** Per run-time loop: the loop variables its body writes in place (their first trip writes the initial tensor). */
    private final Map<Node, java.util.Set<Integer>> writtenLoopVariables = new java.util.IdentityHashMap<>();
    /**
     * The run-time branches and loops that write a tensor of the enclosing graph in place: their writes are given back
     * as extra results (write-backs), and a write into a view inside them becomes a functional scatter, so nothing in
     * their nested graphs need look like a write any more; {@link TensorSharing} counts them as writes.
     */
    private final java.util.Set<Node> writingNodes = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** A value a run-time branch wrote in place -> the cond output that holds it written (what later readers read). */
    private final Map<Value, Value> rebound = new java.util.IdentityHashMap<>();
    private int unrolled;
    private int droppedAssertions;
    /** The model's one placeholder for tensors a path leaves unset ({@link #placeholder}), made when first needed. */
    private Value unsetTensor;

    FrozenGraphConverter(String file, SchemaSource schemas, Graph graph) {
        this.file = file;
        this.schemas = schemas;
        this.root = graph;
        this.graph = graph;
        this.frame = new Frame(graph, null, "model");
    }

    /** Number of assertion {@code prim::If}s dropped (checks that raise when the input is malformed). */
    int droppedAssertions() {
        return droppedAssertions;
    }

    /**
     * Converts {@code jit} into {@link #graph}: inputs typed from {@code inputTypes} (flattened tensor
     * inputs in order; empty means every tensor input is {@link TensorType#unknown()}), nodes, outputs.
     */
    void convert(org.bytedeco.pytorch.Graph jit, List<TensorType> inputTypes) {
        bindInputs(jit.inputs(), inputTypes, jit.block());
        walk(jit.block());
        List<Value> outs = new ArrayList<>();
        ValueArrayRef rets = jit.outputs();
        for (long i = 0; i < rets.size(); i++) {
            flattenOutput(bound(rets.get(i)), outs, "output " + i, null);
        }
        graph.setOutputs(outs);
        // before dead code goes: a loop whose result is unused may still write a shared tensor
        new TensorSharing(file, writtenLoopVariables, writingNodes).check(root);
        removeDeadCode();
    }

    // --- inputs and outputs ---

    /**
     * Binds {@code forward}'s parameters. A {@code List[Tensor]} parameter has no fixed length: with
     * input types given, the one list parameter takes the types left over by the other parameters.
     */
    private void bindInputs(ValueArrayRef ins, List<TensorType> specs, Block body) {
        long first = ins.size() > 0 && typeText(ins.get(0)).startsWith("__torch__") ? 1 : 0; // the module itself
        int fixed = 0;
        int lists = 0;
        Map<Long, List<String>> dictKeys = new HashMap<>();
        for (long i = first; i < ins.size(); i++) {
            SchemaType t = LibtorchSchemas.parseType(typeText(ins.get(i)), OptionalInt.empty());
            if (t instanceof SchemaType.DictOf) {
                List<String> keys = dictInputKeys(ins.get(i), t, body);
                dictKeys.put(ins.get(i).address(), keys);
                fixed += keys.size();
            }
            fixed += tensorSlots(t);
            lists += listSlots(t);
        }
        int listLength = -1;
        if (lists > 0) {
            if (specs.isEmpty() || lists > 1 || specs.size() < fixed) {
                throw new KilnException(file + ": forward() takes " + (lists > 1 ? lists + " lists" : "a list")
                        + " of tensors, whose length the archive does not say; give the input types (one per tensor, "
                        + "the list's elements in order) " + (lists > 1 ? "and take at most one list, or pass tuples" : ""));
            }
            listLength = specs.size() - fixed;
        }
        int[] counter = {0};
        for (long i = first; i < ins.size(); i++) {
            org.bytedeco.pytorch.Value v = ins.get(i);
            String typeText = typeText(v);
            List<String> keys = dictKeys.get(v.address());
            if (keys != null) {
                // a dict input: one tensor input per key the model reads, named by the key, in the order of first use
                java.util.LinkedHashMap<Object, Bound> entries = new java.util.LinkedHashMap<>();
                for (String key : keys) {
                    entries.put(key, inputBound(key.matches("[A-Za-z_][A-Za-z0-9_]*") ? key : inputName(v) + "_" + entries.size(),
                            new SchemaType.Named("Tensor"), typeText, specs, counter, listLength));
                }
                env.put(v.address(), new Dict(entries));
                continue;
            }
            Bound b = inputBound(inputName(v), LibtorchSchemas.parseType(typeText, OptionalInt.empty()), typeText,
                    specs, counter, listLength);
            env.put(v.address(), b);
        }
        int tensorIndex = counter[0];
        if (!specs.isEmpty() && specs.size() != tensorIndex) {
            throw new KilnException(file + ": " + specs.size() + " input types were given but forward() takes "
                    + tensorIndex + " tensors (tuples flattened); give one dtype and shape per tensor input");
        }
    }

    /**
     * The keys of dict input {@code v} (of type {@code t}) that the model reads ({@code d['key']}, {@code d.get('key')})
     * or tests ({@code 'key' in d}), in the order of first use: each becomes an input, given on every call. Refused: a
     * dict of other than str keys and tensor values, and any other use of the dict (its length, its keys or items, a
     * key computed at run time), which would depend on keys the model does not name.
     */
    private List<String> dictInputKeys(org.bytedeco.pytorch.Value v, SchemaType t, Block body) {
        SchemaType.DictOf d = (SchemaType.DictOf) t;
        String name = inputName(v);
        if (!d.key().toString().equals("str") || !d.value().isTensor()) {
            throw new KilnException(file + ": forward() takes a dict input '" + name + "' of type " + typeText(v) + "; Kiln"
                    + " takes dicts of str keys and tensor values (Dict[str, Tensor]), one input per key");
        }
        java.util.LinkedHashSet<String> keys = new java.util.LinkedHashSet<>();
        collectDictKeys(body, v, name, keys);
        return List.copyOf(keys);
    }

    private void collectDictKeys(Block block, org.bytedeco.pytorch.Value v, String name, java.util.Set<String> keys) {
        JitNode end = block.return_node();
        for (JitNode m = block.nodes().front(); ; m = m.next()) {
            ValueArrayRef ins = m.inputs();
            for (long i = 0; i < ins.size(); i++) {
                if (ins.get(i).address() != v.address()) {
                    continue;
                }
                String kind = m.kind().toQualString().getString();
                boolean keyed = i == 0 && ins.size() > 1 && (kind.equals("aten::__getitem__") || kind.equals("aten::get")
                        || kind.equals("aten::__contains__"));
                IValueOptional key = keyed ? torch.toIValue(ins.get(1)) : null;
                if (key == null || !key.has_value() || !key.get().isString()) {
                    throw refuse(m, kind, (m.address() == end.address() ? "returns" : "uses") + " the dict input '" + name
                            + "' in a way Kiln does not take: it takes each key the model reads (" + name + "['key'], "
                            + name + ".get('key')) or tests ('key' in " + name + ") as an input of its own, given on every"
                            + " call, so the model may not depend on the dict's other keys (its length, keys or items, or a"
                            + " key computed at run time)");
                }
                keys.add(key.get().toStringRef().getString());
            }
            if (m.address() == end.address()) {
                return;
            }
            BlockArrayRef blocks = m.blocks();
            for (long b = 0; b < blocks.size(); b++) {
                collectDictKeys(blocks.get(b), v, name, keys);
            }
        }
    }

    private static int tensorSlots(SchemaType t) {
        if (t.isTensor() || t instanceof SchemaType.OptionalOf o && o.element().isTensor()) {
            return 1;
        }
        if (t instanceof SchemaType.TupleOf tuple) {
            return tuple.elements().stream().mapToInt(FrozenGraphConverter::tensorSlots).sum();
        }
        return 0;
    }

    private static int listSlots(SchemaType t) {
        if (t instanceof SchemaType.ListOf l && l.element().isTensor()) {
            return 1;
        }
        if (t instanceof SchemaType.TupleOf tuple) {
            return tuple.elements().stream().mapToInt(FrozenGraphConverter::listSlots).sum();
        }
        return 0;
    }

    private Bound inputBound(String name, SchemaType t, String typeText, List<TensorType> specs, int[] counter,
                             int listLength) {
        if (t instanceof SchemaType.OptionalOf o && (o.element().isTensor() || o.element().toIrType().orElse(null) instanceof PrimitiveType)) {
            // mask: Optional[Tensor] = None: an input that is given (its "is None" checks fold to False)
            return inputBound(name, o.element(), typeText, specs, counter, listLength);
        }
        if (t.isTensor()) {
            int k = counter[0]++;
            Type type = specs.isEmpty() ? TensorType.unknown() : k < specs.size() ? specs.get(k) : TensorType.unknown();
            return new Ir(graph.addInput(name, type));
        }
        if (t instanceof SchemaType.TupleOf tuple) {
            List<Bound> elems = new ArrayList<>();
            for (int j = 0; j < tuple.elements().size(); j++) {
                elems.add(inputBound(name + "_" + j, tuple.elements().get(j), typeText, specs, counter, listLength));
            }
            return new Seq(elems);
        }
        if (t instanceof SchemaType.ListOf l && l.element().isTensor()) {
            List<Bound> elems = new ArrayList<>();
            for (int j = 0; j < listLength; j++) {
                elems.add(inputBound(name + "_" + j, l.element(), typeText, specs, counter, listLength));
            }
            return new Seq(elems);
        }
        Optional<Type> prim = t.toIrType();
        if (prim.isPresent() && prim.get() instanceof PrimitiveType) {
            return new Ir(graph.addInput(name, prim.get()));
        }
        throw new KilnException(file + ": forward() takes an input '" + name + "' of type " + typeText
                + "; Kiln takes tensors, tuples and lists of tensors, and int/float/bool inputs");
    }

    private static String inputName(org.bytedeco.pytorch.Value v) {
        String n = v.debugName().getString();
        // TorchScript suffixes ".1" to make names unique; the user's name reads better
        int dot = n.lastIndexOf('.');
        if (dot > 0 && n.substring(dot + 1).chars().allMatch(Character::isDigit)) {
            n = n.substring(0, dot);
        }
        return n.isEmpty() ? "x" : n;
    }

    /**
     * Appends the tensors {@code b} holds to {@code outs}, in order. A tensor under a dict's key ({@code key}: that key,
     * prefixed by the keys of the dicts around it) names its value after the key ({@code {'logits': y}} returns
     * {@code %logits}, the name {@code kiln inspect} and {@code CompiledModule.outputNames()} show), unless the value
     * is a graph input, a constant or already named for an earlier key.
     */
    private void flattenOutput(Bound b, List<Value> outs, String what, String key) {
        if (b instanceof Ir ir) {
            if (ir.value().type() instanceof ListType) {
                String op = ir.value().producer().map(Node::describe).orElse("%" + ir.value().name());
                throw new KilnException(file + ": forward() returns, as " + what + ", the list made by " + op
                        + ", whose length is only known at run time; return a tuple of its elements instead");
            }
            if (key != null && ir.value().kind() == Value.Kind.NODE_OUTPUT && !outs.contains(ir.value())) {
                graph.rename(ir.value(), key);
            }
            outs.add(ir.value());
        } else if (b instanceof Seq seq) {
            for (int i = 0; i < seq.elements().size(); i++) {
                flattenOutput(seq.elements().get(i), outs, what, key == null ? null : key + "_" + i);
            }
        } else if (b instanceof Dict d) {
            // the values, in the dict's order; outputs are still numbered (y0, y1, ...), the keys name their values
            for (var e : d.entries().entrySet()) {
                flattenOutput(e.getValue(), outs, what, key == null ? String.valueOf(e.getKey()) : key + "_" + e.getKey());
            }
        } else if (b instanceof Scanned s) {
            throw new KilnException(file + ": forward() returns, as " + what + ", the list built by appends in the run-time"
                    + " loop" + s.loop() + ", whose length is known only at run time; return torch.stack(outs) (or a"
                    + " tuple of a fixed number of tensors) instead");
        } else {
            Known k = (Known) b;
            if (k.value().isTensor()) {
                outs.add(constant(k));
            } else if (k.value().isTuple() || k.value().isList()) {
                for (IValue e : IValues.elements(k.value())) {
                    flattenOutput(new Known(e, k.hint(), 0), outs, what, null);
                }
            } else {
                throw new KilnException(file + ": forward() returns a constant " + k.value().tagKind().getString()
                        + " as " + what + " (or among its elements); Kiln graphs return tensors: return only the tensors"
                        + " (drop the " + k.value().tagKind().getString() + ", or make it a tensor with torch.tensor(...))");
            }
        }
    }

    // --- walking ---

    private void walk(Block block) {
        JitNode end = block.return_node();
        for (JitNode n = block.nodes().front(); n.address() != end.address(); n = n.next()) {
            convertNode(n);
        }
    }

    private void convertNode(JitNode n) {
        current = n;
        String kind = n.kind().toQualString().getString();
        switch (kind) {
            case "prim::Constant":
                IValueOptional iv = torch.toIValue(n.output());
                if (!iv.has_value()) {
                    throw refuse(n, kind, "a constant libtorch cannot read as a value (a function or class constant)");
                }
                bind(n.output(), new Known(iv.get(), n.output().debugName().getString(), n.output().address()));
                return;
            case "prim::DictConstruct": {
                java.util.LinkedHashMap<Object, Bound> entries = new java.util.LinkedHashMap<>();
                for (long i = 0; i + 1 < n.inputs().size(); i += 2) {
                    entries.put(dictKey(n, kind, bound(n.input(i))), bound(n.input(i + 1)));
                }
                bind(n.output(), new Dict(entries));
                return;
            }
            case "prim::ListConstruct":
            case "prim::TupleConstruct":
                List<Bound> elems = new ArrayList<>();
                for (long i = 0; i < n.inputs().size(); i++) {
                    elems.add(bound(n.input(i)));
                }
                bind(n.output(), new Seq(elems));
                return;
            case "prim::ListUnpack":
            case "prim::TupleUnpack":
                unpack(n, kind);
                return;
            case "prim::TupleIndex":
                bind(n.output(), element(n, kind, bound(n.input(0)), knownLong(n, kind, 1)));
                return;
            case "prim::unchecked_cast":
                bind(n.output(), bound(n.input(0)));
                return;
            case "prim::Uninitialized":
                // only ever flows out of a branch that raises; never read
                bind(n.output(), new Known(new IValue(), UNINITIALIZED, 0));
                return;
            case "aten::warn":
                return;
            case "prim::RaiseException":
                throw refuse(n, kind, "the model raises an exception unconditionally here");
            case "prim::If":
                convertIf(n);
                return;
            case "prim::Loop":
                convertLoop(n);
                return;
            default:
                break;
        }
        if (convertDictOp(n, kind)) {
            return;
        }
        FunctionSchema fs = n.maybeSchema();
        int written = writtenList(fs);
        if (written >= 0) {
            convertListWrite(n, kind, written);
            return;
        }
        if (convertScannedUse(n, kind) || convertListOp(n, kind) || convertShapeQuery(n, kind) || convertSizeItem(n, kind)
                || convertNoneCheck(n, kind)) {
            return;
        }
        if (fs == null || fs.isNull()) {
            throw refuse(n, kind, "this TorchScript construct has no operator schema and Kiln does not translate it;"
                    + " rewrite that part of forward() with tensor operations, lists or tuples");
        }
        if (!tryFold(n, kind)) {
            emit(n, fs);
        }
    }

    private void unpack(JitNode n, String kind) {
        Bound in = bound(n.input(0));
        long count = n.outputs().size();
        if (in instanceof Ir ir) {
            // a list returned by an op (aten::chunk, aten::split, aten::unbind): split it into values
            // with prim::ListUnpack, as the torch.export frontend writes FX's getitem
            List<Type> types = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (long i = 0; i < count; i++) {
                types.add(irType(n, kind, n.output(i)));
                names.add(valueName(n.output(i)));
            }
            Node u = graph.insertAt(graph.nodes().size(), listUnpackSchema(), List.of(frame.local(ir.value())), types, names);
            Optional<SourceLocation> at = location(n).or(() -> ir.value().producer().flatMap(Node::location));
            at.ifPresent(u::setLocation);
            for (long i = 0; i < count; i++) {
                bind(n.output(i), new Ir(u.outputs().get((int) i)));
            }
            return;
        }
        for (long i = 0; i < count; i++) {
            bind(n.output(i), element(n, kind, in, i));
        }
    }

    private Bound element(JitNode n, String kind, Bound container, long index) {
        if (container instanceof Seq seq) {
            return seq.elements().get(listIndex(n, kind, index, seq.elements().size(), ""));
        }
        if (container instanceof Known k && (k.value().isTuple() || k.value().isList())) {
            List<IValue> elems = IValues.elements(k.value());
            int i = listIndex(n, kind, index, elems.size(), "");
            return new Known(elems.get(i), k.hint() + "_" + i, 0);
        }
        throw refuse(n, kind, "cannot take an element of a list computed at run time");
    }

    /** A dict key: a str or int known when converting, as a {@code String} or {@code Long}. */
    private Object dictKey(JitNode n, String kind, Bound key) {
        if (key instanceof Known k && k.value().isString()) {
            return k.value().toStringRef().getString();
        }
        if (key instanceof Known k && k.value().isInt()) {
            return k.value().toInt();
        }
        throw refuse(n, kind, "uses a dict key computed at run time (" + describe(key) + "); Kiln translates dicts whose"
                + " keys are constants of the model (d['logits'])");
    }

    private static Known keyBound(Object key) {
        return new Known(key instanceof String str ? new IValue(str) : new IValue((Long) key), "key", 0);
    }

    /**
     * Dict operations on a dict the converter tracks ({@link Dict}): done while converting, as Python does them (a
     * missing key refused as the KeyError it is). Changing a dict built outside the run-time branch or loop the change
     * is in is refused, as for lists. False when the node does not read a tracked dict first.
     */
    private boolean convertDictOp(JitNode n, String kind) {
        if (n.inputs().size() == 0 || !(env.get(n.input(0).address()) instanceof Dict d)) {
            return false;
        }
        java.util.LinkedHashMap<Object, Bound> entries = d.entries();
        boolean changes = switch (kind) {
            case "aten::_set_item", "aten::Delete", "aten::pop", "aten::update", "aten::clear", "aten::setdefault",
                 "aten::popitem" -> true;
            default -> false;
        };
        if (changes && boundIn.get(n.input(0).address()) != frame) {
            throw refuse(n, kind, "changes a dict built outside the run-time " + frame.construct + " it is in, so what the"
                    + " dict holds afterwards is known only at run time; change it outside the " + frame.construct
                    + ", or keep the values in variables");
        }
        switch (kind) {
            case "aten::__getitem__": {
                Object key = dictKey(n, kind, bound(n.input(1)));
                if (!entries.containsKey(key)) {
                    throw refuse(n, kind, "the dict has no key " + key + " (the model would raise KeyError here)");
                }
                bind(n.output(), entries.get(key));
                return true;
            }
            case "aten::get": {
                Object key = dictKey(n, kind, bound(n.input(1)));
                bind(n.output(), entries.containsKey(key) ? entries.get(key)
                        : n.inputs().size() > 2 ? bound(n.input(2)) : new Known(new IValue(), "none", 0));
                return true;
            }
            case "aten::__contains__":
                bind(n.output(), new Known(new IValue(entries.containsKey(dictKey(n, kind, bound(n.input(1))))), "in", 0));
                return true;
            case "aten::len":
                bind(n.output(), new Known(new IValue((long) entries.size()), "len", 0));
                return true;
            case "aten::keys": {
                List<Bound> keys = new ArrayList<>();
                entries.keySet().forEach(k -> keys.add(keyBound(k)));
                bind(n.output(), new Seq(keys));
                return true;
            }
            case "aten::values":
                bind(n.output(), new Seq(new ArrayList<>(entries.values())));
                return true;
            case "aten::items": {
                List<Bound> items = new ArrayList<>();
                entries.forEach((k, v) -> items.add(new Seq(new ArrayList<>(List.of(keyBound(k), v)))));
                bind(n.output(), new Seq(items));
                return true;
            }
            case "aten::copy":
            case "aten::dict":
                bind(n.output(), new Dict(new java.util.LinkedHashMap<>(entries)));
                return true;
            case "aten::_set_item":
                entries.put(dictKey(n, kind, bound(n.input(1))), bound(n.input(2)));
                return true;
            case "aten::Delete": {
                Object key = dictKey(n, kind, bound(n.input(1)));
                if (entries.remove(key) == null) {
                    throw refuse(n, kind, "the dict has no key " + key + " to delete (the model would raise KeyError here)");
                }
                return true;
            }
            case "aten::pop": {
                Object key = dictKey(n, kind, bound(n.input(1)));
                Bound v = entries.remove(key);
                if (v == null && n.inputs().size() < 3) {
                    throw refuse(n, kind, "the dict has no key " + key + " to pop (the model would raise KeyError here)");
                }
                bind(n.output(), v != null ? v : bound(n.input(2)));
                return true;
            }
            case "aten::update":
                if (!(bound(n.input(1)) instanceof Dict other)) {
                    throw refuse(n, kind, "updates a dict from " + describe(bound(n.input(1))) + "; Kiln translates updates"
                            + " from dicts it knows");
                }
                entries.putAll(other.entries());
                return true;
            case "aten::clear":
                entries.clear();
                return true;
            default:
                throw refuse(n, kind, "uses a dict in a way Kiln does not translate (it translates d[k], d[k] = v, get, in,"
                        + " len, keys, values, items, copy, del, pop, update and clear with constant keys)");
        }
    }

    /** List reads on lists the converter tracks itself (built by ListConstruct, changed by {@link #convertListWrite}). */
    private boolean convertListOp(JitNode n, String kind) {
        if (kind.equals("aten::mul") && n.inputs().size() == 2 && bound(n.input(1)) instanceof Seq seq) {
            // n * ys (aten::mul.right_)
            bind(n.output(), repeated(seq, knownLong(n, kind, 0)));
            return true;
        }
        if (n.inputs().size() == 0 || !(bound(n.input(0)) instanceof Seq seq)) {
            return false;
        }
        switch (kind) {
            case "aten::len":
                bind(n.output(), new Known(new IValue(seq.elements().size()), "len", 0));
                return true;
            case "aten::__getitem__":
                bind(n.output(), element(n, kind, seq, knownLong(n, kind, 1)));
                return true;
            case "aten::list":
            case "aten::copy":
                // list(ys), ys.copy(): a new list of the same elements, which changes to it do not reach
                bind(n.output(), new Seq(new ArrayList<>(seq.elements())));
                return true;
            case "aten::add": {
                // ys + zs
                List<Bound> both = new ArrayList<>(seq.elements());
                both.addAll(elementsOf(n, kind, bound(n.input(1))));
                bind(n.output(), new Seq(both));
                return true;
            }
            case "aten::mul":
                // ys * n
                bind(n.output(), repeated(seq, knownLong(n, kind, 1)));
                return true;
            case "aten::slice": {
                // ys[start:end:step], as Python slices
                int size = seq.elements().size();
                long step = n.inputs().size() > 3 ? knownLong(n, kind, 3) : 1;
                if (step == 0) {
                    throw refuse(n, kind, "slice step cannot be zero (the model would raise ValueError here)");
                }
                Long start = optionalLong(n, kind, 1);
                Long end = optionalLong(n, kind, 2);
                List<Bound> out = new ArrayList<>();
                if (step > 0) {
                    long from = start == null ? 0 : Math.max(0, Math.min(size, start < 0 ? start + size : start));
                    long to = end == null ? size : Math.max(0, Math.min(size, end < 0 ? end + size : end));
                    for (long i = from; i < to; i += step) {
                        out.add(seq.elements().get((int) i));
                    }
                } else {
                    long from = start == null ? size - 1 : Math.max(-1, Math.min(size - 1, start < 0 ? start + size : start));
                    long to = end == null ? -1 : Math.max(-1, Math.min(size - 1, end < 0 ? end + size : end));
                    for (long i = from; i > to; i += step) {
                        out.add(seq.elements().get((int) i));
                    }
                }
                bind(n.output(), new Seq(out));
                return true;
            }
            default:
                return false;
        }
    }

    /** {@code seq}'s elements {@code times} times over (none for a count below one), as Python's {@code ys * n}. */
    private static Seq repeated(Seq seq, long times) {
        List<Bound> out = new ArrayList<>();
        for (long t = 0; t < times; t++) {
            out.addAll(seq.elements());
        }
        return new Seq(out);
    }

    /** The elements of a list the converter tracks or a list of constants. */
    private List<Bound> elementsOf(JitNode n, String kind, Bound b) {
        if (b instanceof Seq other) {
            return other.elements();
        }
        if (b instanceof Known k && (k.value().isList() || k.value().isTuple())) {
            List<IValue> more = IValues.elements(k.value());
            List<Bound> out = new ArrayList<>();
            for (int j = 0; j < more.size(); j++) {
                out.add(new Known(more.get(j), k.hint() + "_" + j, 0));
            }
            return out;
        }
        throw refuse(n, kind, "combines a list with a list computed at run time, which Kiln does not translate");
    }

    /** Input {@code input} as a known int, or null where it is None (a slice bound left out). */
    private Long optionalLong(JitNode n, String kind, int input) {
        Bound b = bound(n.input(input));
        if (b instanceof Known k && k.value().isNone()) {
            return null;
        }
        return knownLong(n, kind, input);
    }

    /** The argument a list operation changes in place ({@code t[](a!)}: append, insert, pop, ...), or -1. */
    private static int writtenList(FunctionSchema fs) {
        if (fs == null || fs.isNull()) {
            return -1;
        }
        org.bytedeco.pytorch.Argument args = fs.arguments();
        long count = args == null || args.isNull() ? 0 : args.limit();
        for (long i = 0; i < count; i++) {
            org.bytedeco.pytorch.Argument a = args.getPointer(i);
            org.bytedeco.pytorch.AliasInfo alias = a.alias_info();
            if (alias != null && !alias.isNull() && alias.isWrite()
                    && LibtorchSchemas.parseType(a.type().get().str().getString(), java.util.OptionalInt.empty()) instanceof SchemaType.ListOf) {
                return (int) i;
            }
        }
        return -1;
    }

    /**
     * An operation that changes a list in place ({@code ys.append(y)}, {@code ys.insert(0, y)}, {@code ys.pop()},
     * {@code ys[i] = y}, {@code ys.extend(zs)}, {@code ys.reverse()}, {@code del ys[i]}, {@code ys.clear()}), done on the
     * list the converter tracks, as Python does it. Refused where the change would happen a number of times known only
     * at run time (the list was built outside the run-time branch or loop the operation is in) and on lists computed at
     * run time: an operation left in the graph would not change the list the converter tracks, and the model would
     * compute with the list as it was before (every one of these was silently ignored until 2026-12-05, except append).
     */
    private void convertListWrite(JitNode n, String kind, int arg) {
        org.bytedeco.pytorch.Value listValue = n.input(arg);
        // an append is not a read: a second one on a branch's path is refused as such (branchAppend)
        Bound b = kind.equals("aten::append") && env.containsKey(listValue.address()) ? env.get(listValue.address()) : bound(listValue);
        if (b instanceof Scanned s) {
            throw refuse(n, kind, "changes the list built by appends in the run-time loop" + s.loop() + ", whose length"
                    + " is known only at run time; Kiln stacks such a list into a tensor after the loop and gives it to"
                    + " torch.stack, torch.cat, len() and indexing only: append everything in the loop, or stack the list"
                    + " first and continue with the tensor");
        }
        if (b instanceof Scanning s) {
            scanAppend(n, kind, s);
            return;
        }
        Frame built = boundIn.get(listValue.address());
        if (built != frame && kind.equals("aten::append") && b instanceof Seq seq && withinBranches(frame, built)) {
            branchAppend(n, kind, seq, built, listValue);
            return;
        }
        if (built != frame) {
            String how = frame.construct.equals("loop")
                    ? "Kiln converts one append per trip to a list built just outside the loop (it stacks what the trips"
                            + " append); for anything else give the input shapes (kiln compile --input x0=..., or"
                            + " TorchScriptOptions.withInputTypes) so that the loop's trip count is known and the loop unrolls,"
                            + " or build the result without changing the list (write into a preallocated tensor)"
                    : "Compute both alternatives as tensors and choose between them with torch.where, or change the list"
                            + " outside the branch";
            throw refuse(n, kind, "changes a list built outside the run-time " + frame.construct + " it is in, so what the"
                    + " list holds afterwards is known only at run time, and Kiln converts lists whose contents it knows when"
                    + " it converts the model. " + how);
        }
        if (b instanceof Known) {
            // a list of constants (sizes, say): libtorch changes it at conversion, in this frame, as the model would
            if (tryFold(n, kind)) {
                return;
            }
            throw refuse(n, kind, "changes a list of constants in a way libtorch could not evaluate when converting");
        }
        if (!(b instanceof Seq seq)) {
            throw refuse(n, kind, "changes a list computed at run time in place, which Kiln does not translate; build the"
                    + " list in the model's code (a list literal, appends) instead");
        }
        List<Bound> elems = seq.elements();
        Bound result = null;
        switch (kind) {
            case "aten::append":
                elems.add(bound(n.input(1)));
                result = seq;
                break;
            case "aten::insert": {
                long i = knownLong(n, kind, 1);
                long at = i < 0 ? Math.max(0, i + elems.size()) : Math.min(i, elems.size());
                elems.add((int) at, bound(n.input(2)));
                break;
            }
            case "aten::pop": {
                long i = n.inputs().size() > 1 ? knownLong(n, kind, 1) : -1;
                result = elems.remove(listIndex(n, kind, i, elems.size(), "pop"));
                break;
            }
            case "aten::_set_item":
                elems.set(listIndex(n, kind, knownLong(n, kind, 1), elems.size(), "assignment"), bound(n.input(2)));
                result = seq;
                break;
            case "aten::Delete":
                elems.remove(listIndex(n, kind, knownLong(n, kind, 1), elems.size(), "deletion"));
                break;
            case "aten::extend":
                elems.addAll(new ArrayList<>(elementsOf(n, kind, bound(n.input(1)))));
                break;
            case "aten::reverse":
                java.util.Collections.reverse(elems);
                break;
            case "aten::clear":
                elems.clear();
                break;
            default:
                throw refuse(n, kind, "changes a list in place in a way Kiln does not translate (it converts append, insert,"
                        + " pop, item assignment, extend, reverse, del and clear)");
        }
        if (n.outputs().size() > 0 && result != null) {
            bind(n.output(), result);
        }
    }

    /**
     * {@code index} of a list of {@code size} as Python reads it (negative from the end), or a refusal when out of range,
     * naming the operation ({@code what}: "pop", "assignment", ...; empty for a read).
     */
    private int listIndex(JitNode n, String kind, long index, int size, String what) {
        long i = index < 0 ? index + size : index;
        if (i < 0 || i >= size) {
            throw refuse(n, kind, "list " + (what.isEmpty() ? "" : what + " ") + "index " + index + " is out of range for a list"
                    + " of " + size + " (the model would raise IndexError here)");
        }
        return (int) i;
    }

    /**
     * A change to a list its run-time loop builds by appends ({@link Scanning}): the trip's one append, recorded as the
     * element the trip gives to the loop's scan output. Refused: any other change, an append in a run-time branch or
     * loop inside the body (some trips would append and others not), a second append in a trip, and appending
     * something other than a tensor.
     */
    private void scanAppend(JitNode n, String kind, Scanning s) {
        if (!kind.equals("aten::append")) {
            throw refuse(n, kind, "changes the list " + s.name + " that the run-time loop it is in builds by appends; Kiln"
                    + " builds such a list from one append per trip, stacking what the trips append: change it before or"
                    + " after the loop (after: as a tensor, torch.stack(" + s.name + "))");
        }
        if (!withinBranches(frame, s.frame)) {
            throw refuse(n, kind, "appends to " + s.name + " inside a run-time " + frame.construct + " of the loop that"
                    + " builds it, so the number of elements is not one per trip; Kiln stacks one element per trip: append"
                    + " once on every trip (torch.where to choose the element) and select afterwards");
        }
        recordAppend(n, kind, s, tensorElement(n, kind));
    }

    /**
     * {@code ys.append(y)} in a run-time branch, {@code ys} built in a frame around it with only run-time branches
     * between: the element this path gives, recorded in the branch frame; the other path must append too, and the
     * if's output is then appended where the list was built (convertRuntimeIf). A read of the list later on this path
     * would not see the pending element: {@link #bound} refuses it.
     */
    private void branchAppend(JitNode n, String kind, Seq seq, Frame built, org.bytedeco.pytorch.Value listValue) {
        recordAppend(n, kind, listKeys.computeIfAbsent(seq, x -> new ListKey(seq, built, inputName(listValue))),
                tensorElement(n, kind));
    }

    /** What {@code ys.append(y)} ({@code n}) appends, which must be a tensor in a run-time branch or loop. */
    private Bound tensorElement(JitNode n, String kind) {
        Bound e = bound(n.input(1));
        if (!(e instanceof Ir ir && ir.value().type() instanceof TensorType || e instanceof Known k && k.value().isTensor())) {
            throw refuse(n, kind, "appends " + describe(e) + " to a list in a run-time " + frame.construct + "; Kiln builds"
                    + " lists there from tensors (stacked after a loop, given by a branch): append a tensor"
                    + " (torch.tensor(i)) or keep a count in a loop variable");
        }
        return e;
    }

    /**
     * Records {@code e} as what the path being converted appends to {@code key} (a {@link Scanning} or a {@link ListKey}):
     * where the list lives, the list takes it (a loop trip's element, the list's new last element); in a run-time
     * branch inside, the branch frame holds it until both branches are done (convertRuntimeIf). A second append on the
     * path is refused.
     */
    private void recordAppend(JitNode n, String kind, Frame.AppendTarget key, Bound e) {
        Bound before = key instanceof Scanning s ? appended(s) : pending(key, key.home());
        if (before != null) {
            throw refuse(n, kind, "appends to " + key.name() + " a second time " + (key instanceof Scanning
                    ? "in one trip of the run-time loop; Kiln builds a list in such a loop from one append per trip"
                    : "on one path of a run-time branch") + ": append one tensor (torch.stack([a, b])) or use a list per value");
        }
        if (frame != key.home()) {
            frame.appends.put(key, e);
        } else {
            key.take(e);
        }
    }

    /** The element appended to {@code key} on the path being converted, in the frames from this one up to {@code stop}; null if none. */
    private Bound pending(Frame.AppendTarget key, Frame stop) {
        for (Frame at = frame; at != null && at != stop; at = at.parent) {
            Bound e = at.appends.get(key);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /** The list's name as IR values take it: TorchScript leaves some lists numbered only. */
    private static String keyIrName(Frame.AppendTarget key) {
        String name = key.name();
        return Character.isDigit(name.charAt(0)) ? "list" + name : name;
    }

    /** Whether {@code f} is {@code loop} or run-time branches nested in it, with no run-time loop between. */
    private static boolean withinBranches(Frame f, Frame loop) {
        for (Frame at = f; at != null; at = at.parent) {
            if (at == loop) {
                return true;
            }
            if (!at.construct.equals("branch")) {
                return false;
            }
        }
        return false;
    }

    /** The element this trip has appended to {@code s} so far on the path being converted, or null. */
    private Bound appended(Scanning s) {
        Bound e = pending(s, s.frame);
        return e != null ? e : s.element;
    }

    /**
     * The lists of the current frame that the body of run-time loop {@code n} appends to: each becomes a {@link
     * Scanning} for the body's conversion, carrying its last element into each trip where the body reads elements.
     * Not a list that something else also holds (a tuple of lists, say), whose other holders would not see the appends.
     */
    private List<Scanning> scanningLists(JitNode n, Frame loopFrame, Value trip) {
        java.util.Map<Long, org.bytedeco.pytorch.Value> appended = new java.util.LinkedHashMap<>();
        java.util.Set<Long> indexed = new java.util.HashSet<>();
        listUses(n.blocks().get(0), appended, indexed);
        List<Scanning> out = new ArrayList<>();
        for (org.bytedeco.pytorch.Value v : appended.values()) {
            if (!(env.get(v.address()) instanceof Seq seq) || boundIn.get(v.address()) != frame) {
                continue; // built in the body (converted as it runs), or elsewhere (refused where it is changed)
            }
            long holders = env.values().stream().filter(b -> holdsList(b, seq)).count();
            if (holders != 1) {
                continue;
            }
            Scanning s = new Scanning(seq, inputName(v), loopFrame, trip);
            if (indexed.contains(v.address())) {
                Type t = seq.elements().isEmpty() ? TensorType.unknown()
                        : seq.elements().get(seq.elements().size() - 1) instanceof Ir ir ? ir.value().type() : TensorType.unknown();
                s.last = loopFrame.graph.addInput(loopFrame.graph.freshName(keyIrName(s) + "_last"), t);
            }
            env.put(v.address(), s);
            out.add(s);
        }
        return out;
    }

    /** The lists {@code block} (and the blocks in it) appends to, by address, and those it indexes ({@code ys[k]}). */
    private static void listUses(Block block, Map<Long, org.bytedeco.pytorch.Value> appended, java.util.Set<Long> indexed) {
        JitNode end = block.return_node();
        for (JitNode m = block.nodes().front(); m.address() != end.address(); m = m.next()) {
            String kind = m.kind().toQualString().getString();
            if (kind.equals("aten::append")) {
                appended.putIfAbsent(m.input(0).address(), m.input(0));
            } else if (kind.equals("aten::__getitem__")) {
                indexed.add(m.input(0).address());
            }
            BlockArrayRef blocks = m.blocks();
            for (long b = 0; b < blocks.size(); b++) {
                listUses(blocks.get(b), appended, indexed);
            }
        }
    }

    /** Whether {@code b} is list {@code seq} (the very one) or a list or tuple holding it. */
    private static boolean holdsList(Bound b, Seq seq) {
        return b == seq || b instanceof Seq other && other.elements().stream().anyMatch(e -> holdsList(e, seq))
                || b instanceof Dict d && d.entries().values().stream().anyMatch(e -> holdsList(e, seq));
    }

    /**
     * A read of a list its run-time loop builds by appends ({@link Scanning}), in the loop's body: {@code ys[-1]} (this
     * trip's element after the append, the previous trip's before it), {@code ys[k]} of the elements from before the
     * loop, {@code len(ys)}; anything else is refused.
     */
    private void convertScanningRead(JitNode n, String kind, Scanning s) {
        Bound element = appended(s);
        if (kind.equals("aten::len")) {
            long known = s.prefix.size() + (element != null ? 1 : 0);
            bind(n.output(), new Ir(op(n, "aten::add.int", List.of(frame.local(s.trip), Arg.of(known)), PrimitiveType.INT, "len")));
            return;
        }
        if (kind.equals("aten::__getitem__") && bound(n.input(0)) == s && bound(n.input(1)) instanceof Known k && k.value().isInt()) {
            long i = k.value().toInt();
            if (i >= 0 && i < s.prefix.size()) {
                bind(n.output(), s.prefix.get((int) i));
                return;
            }
            if (i == -1 && element != null) {
                bind(n.output(), element);
                return;
            }
            if (i == -1 && s.last != null) {
                bind(n.output(), new Ir(s.last)); // the last element when the trip began
                return;
            }
        }
        throw refuse(n, kind, "reads the list " + s.name + " that the run-time loop it is in builds by appends, in a way Kiln"
                + " does not follow (it follows " + s.name + "[-1], elements from before the loop and len(" + s.name + ")):"
                + " keep what the body needs in a loop variable (prev = h)");
    }

    /**
     * A node reading a list built by appends in a run-time loop ({@link Scanned}): {@code torch.stack},
     * {@code torch.cat}, {@code len} and indexing become ops on the stacked tensor; anything else is refused. False
     * when the node reads no such list.
     */
    private boolean convertScannedUse(JitNode n, String kind) {
        Scanned s = null;
        for (long i = 0; i < n.inputs().size() && s == null; i++) {
            if (bound(n.input(i)) instanceof Scanning x) {
                convertScanningRead(n, kind, x);
                return true;
            }
            if (bound(n.input(i)) instanceof Scanned x) {
                s = x;
            }
        }
        if (s == null) {
            return false;
        }
        boolean first = bound(n.input(0)) == s;
        switch (first ? kind : "") {
            case "aten::stack", "aten::cat", "aten::concat", "aten::concatenate" -> {
                long dim = knownLong(n, kind, 1);
                Value all = allRows(n, s);
                Value out;
                if (kind.equals("aten::stack")) {
                    // the rows along a new dimension `dim` (of the result's rank): that dimension moved there
                    out = dim == 0 ? all : op(n, "aten::movedim.int", List.of(all, Arg.of(0L), Arg.of(dim)), tensorLike(s), "stacked");
                } else {
                    // along an existing dimension: move the rows' dimension in front of it and merge the two (a negative
                    // dimension counts from the end, one further out in the stacked tensor)
                    long at = dim < 0 ? dim - 1 : dim;
                    Value moved = at == 0 ? all : op(n, "aten::movedim.int", List.of(all, Arg.of(0L), Arg.of(at)), tensorLike(s), "moved");
                    out = op(n, "aten::flatten.using_ints", List.of(moved, Arg.of(at), Arg.of(at + 1)), tensorLike(s), "concatenated");
                }
                bind(n.output(), new Ir(out));
                return true;
            }
            case "aten::len" -> {
                Value rows = op(n, "aten::size.int", List.of(frame.local(s.stacked()), Arg.of(0L)), PrimitiveType.INT, "len");
                bind(n.output(), new Ir(s.prefix().isEmpty() ? rows
                        : op(n, "aten::add.int", List.of(rows, Arg.of((long) s.prefix().size())), PrimitiveType.INT, "len")));
                return true;
            }
            case "aten::__getitem__" -> {
                Bound index = bound(n.input(1));
                if (index instanceof Known k && k.value().isInt() && k.value().toInt() >= 0 && k.value().toInt() < s.prefix().size()) {
                    bind(n.output(), s.prefix().get((int) k.value().toInt()));
                    return true;
                }
                Arg i = index instanceof Known k && k.value().isInt() ? Arg.of(k.value().toInt())
                        : index instanceof Ir ir && ir.value().type() == PrimitiveType.INT ? frame.local(ir.value()) : null;
                if (i == null) {
                    throw refuse(n, kind, "indexes the list built by appends in the run-time loop" + s.loop() + " with "
                            + describe(index) + "; index it with an int");
                }
                bind(n.output(), new Ir(op(n, "aten::select.int", List.of(allRows(n, s), Arg.of(0L), i), tensorLike(s), "element")));
                return true;
            }
            default -> throw refuse(n, kind, "reads the list built by appends in the run-time loop" + s.loop() + ", whose"
                    + " length is known only at run time; Kiln gives such a list to torch.stack, torch.cat, len() and"
                    + " indexing by an int: stack it (torch.stack(outs)) and continue with the tensor");
        }
    }

    /** The rows of a {@link Scanned} list as one tensor of the current graph: the elements from before the loop stacked in front. */
    private Value allRows(JitNode n, Scanned s) {
        Value rows = frame.local(s.stacked());
        if (s.prefix().isEmpty()) {
            return rows;
        }
        List<Arg> before = new ArrayList<>();
        for (Bound b : s.prefix()) {
            before.add(toArg(b, new SchemaType.Named("Tensor"), n, "aten::stack", "tensors"));
        }
        Value head = op(n, "aten::stack", List.of(Arg.list(before), Arg.of(0L)), tensorLike(s), "before_loop");
        return op(n, "aten::cat", List.of(Arg.list(List.of(head, rows)), Arg.of(0L)), tensorLike(s), "rows");
    }

    /** A tensor of the stacked rows' dtype, shape left to shape inference. */
    private static Type tensorLike(Scanned s) {
        return s.stacked().type() instanceof TensorType t ? new TensorType(t.dtype(), Shape.unranked()) : TensorType.unknown();
    }

    /** A node {@code qualified(args)} of the current graph with one output of {@code type}, named after {@code name}. */
    private Value op(JitNode n, String qualified, List<Arg> args, Type type, String name) {
        Node node = graph.insertAt(graph.nodes().size(), schema(qualified), args, List.of(type), List.of(graph.freshName(name)));
        location(n).ifPresent(node::setLocation);
        return node.output();
    }

    /** What a bound value is, for messages. */
    private static String describe(Bound b) {
        if (b instanceof Seq) {
            return "a list or tuple";
        }
        if (b instanceof Dict) {
            return "a dict";
        }
        if (b instanceof Scanned s) {
            return "the list built by appends in the run-time loop" + s.loop();
        }
        if (b instanceof Scanning s) {
            return "the list " + s.name + " that the run-time loop builds by appends";
        }
        if (b instanceof Ir ir) {
            return "a " + ir.value().type().text();
        }
        return "the constant " + ((Known) b).value().tagKind().getString();
    }

    /**
     * {@code x is None} / {@code x is not None} where exactly one side is None: known while converting, since every
     * other value the converter binds is present (an {@code Optional[Tensor]} input is a given tensor). Two known
     * values fold through libtorch like any other op.
     */
    private boolean convertNoneCheck(JitNode n, String kind) {
        if (!kind.equals("aten::__is__") && !kind.equals("aten::__isnot__") || n.inputs().size() != 2) {
            return false;
        }
        boolean noneA = bound(n.input(0)) instanceof Known a && a.value().isNone();
        boolean noneB = bound(n.input(1)) instanceof Known b && b.value().isNone();
        boolean knownA = bound(n.input(0)) instanceof Known;
        boolean knownB = bound(n.input(1)) instanceof Known;
        if (noneA == noneB || knownA && knownB) {
            return false;
        }
        bind(n.output(), new Known(new IValue(kind.equals("aten::__isnot__")), "is_none", 0));
        return true;
    }

    /**
     * {@code x.size()[k]} (scripted code) reads as {@code aten::size.int(x, k)}, as traced code and
     * torch.export write it; the whole-size list then usually dies.
     */
    private boolean convertSizeItem(JitNode n, String kind) {
        if (!kind.equals("aten::__getitem__") || !(bound(n.input(0)) instanceof Ir ir)
                || ir.value().producer().isEmpty() || !ir.value().producer().get().op().equals("aten::size")
                || !(bound(n.input(1)) instanceof Known k) || !k.value().isInt()) {
            return false;
        }
        Value tensor = frame.local((Value) ir.value().producer().get().arg(0));
        Node size = graph.insertAt(graph.nodes().size(), schema("aten::size.int"), List.of(tensor, Arg.of(k.value().toInt())),
                List.of(PrimitiveType.INT), List.of(valueName(n.output())));
        location(n).ifPresent(size::setLocation);
        bind(n.output(), new Ir(size.output()));
        return true;
    }

    /** Shape queries answered from the types of graph inputs given by input specs. */
    private boolean convertShapeQuery(JitNode n, String kind) {
        if (n.inputs().size() == 0 || !(bound(n.input(0)) instanceof Ir ir) || !(ir.value().type() instanceof TensorType tt)) {
            return false;
        }
        switch (kind) {
            case "aten::dim":
                if (tt.shape().isRanked()) {
                    bind(n.output(), new Known(new IValue((long) tt.rank()), "dim", 0));
                    return true;
                }
                return false;
            case "prim::dtype":
                if (tt.dtype().isPresent()) {
                    bind(n.output(), new Known(new IValue((long) tt.dtype().get().c10Code()), "dtype", 0));
                    return true;
                }
                return false;
            case "aten::size":
                Optional<long[]> sizes = tt.shape().staticSizes();
                if (sizes.isEmpty()) {
                    return false;
                }
                if (n.inputs().size() == 1) {
                    bind(n.output(), new Known(IValues.intList(sizes.get()), "size", 0));
                    return true;
                }
                Bound dim = bound(n.input(1));
                if (dim instanceof Known k && k.value().isInt()) {
                    long d = k.value().toInt();
                    long r = sizes.get().length;
                    if (d < -r || d >= r) {
                        throw refuse(n, kind, "dimension " + d + " is out of range for a tensor of rank " + r);
                    }
                    bind(n.output(), new Known(new IValue(sizes.get()[(int) (d < 0 ? d + r : d)]), "size", 0));
                    return true;
                }
                return false;
            default:
                return false;
        }
    }

    // --- control flow ---

    private void convertIf(JitNode n) {
        Bound cond = bound(n.input(0));
        BlockArrayRef blocks = n.blocks();
        if (cond instanceof Known k && (k.value().isBool() || k.value().isInt())) {
            boolean taken = k.value().isBool() ? k.value().toBool() : k.value().toInt() != 0;
            Block b = blocks.get(taken ? 0 : 1);
            walk(b);
            ValueArrayRef outs = b.outputs();
            for (long i = 0; i < outs.size(); i++) {
                bind(n.output(i), bound(outs.get(i)));
            }
            return;
        }
        if (n.outputs().size() == 0 && isAssertion(blocks)) {
            // `assert` / shape checks that raise on malformed input: the compiled graph trusts its inputs
            droppedAssertions++;
            return;
        }
        if (!(cond instanceof Ir predicate)) {
            throw refuse(n, "prim::If", "the condition is neither known when compiling nor a value computed by the model");
        }
        convertRuntimeIf(n, frame.local(predicate.value()));
    }

    /**
     * A {@code prim::If} whose condition is computed at run time becomes {@code kiln::cond} with each block converted
     * into a closed nested graph (see {@link dev.kiln.ir.ControlFlow}); it runs in libtorch, and what comes before
     * and after it can still run in TensorRT. Both branches take the same operands: the values of enclosing graphs
     * either reads.
     */
    private void convertRuntimeIf(JitNode n, Value pred) {
        BlockArrayRef blocks = n.blocks();
        Frame outer = frame;
        List<Layout> layouts = new ArrayList<>();
        Frame then = branch(n, blocks.get(0), "then", outer, List.of(), layouts);
        Frame otherwise = branch(n, blocks.get(1), "else", outer, then.operands, layouts);
        // inputs of the then branch for what only the else branch reads: both now take the else branch's operands
        List.copyOf(otherwise.operands).forEach(then::local);
        if (!then.operands.equals(otherwise.operands)) {
            throw new IllegalStateException("branches of " + where(n, "prim::If") + " take different operands");
        }
        List<Type> types = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int position = 0;
        for (long i = 0; i < n.outputs().size(); i++) {
            Layout l = layouts.get((int) i);
            if (l.elements() == null) {
                types.add(irType(n, "prim::If", n.output(i)));
                names.add(valueName(n.output(i)));
                position++;
                continue;
            }
            for (int k = 0; k < l.leaves().size(); k++) {
                Type t = then.graph.outputs().get(position++).type();
                types.add(t instanceof TensorType ? TensorType.unknown() : t);
                names.add(graph.freshName(valueName(n.output(i)) + "_" + k));
            }
        }
        int results = types.size();
        // appends to a list the loop around builds: both branches must append, and the element is an extra output
        List<Frame.AppendTarget> merged = new ArrayList<>(then.appendOuts.keySet());
        otherwise.appendOuts.keySet().stream().filter(x -> !merged.contains(x)).forEach(merged::add);
        for (Frame.AppendTarget x : merged) {
            if (!then.appendOuts.containsKey(x) || !otherwise.appendOuts.containsKey(x)) {
                throw refuse(n, "prim::If", "appends to " + x.name() + " in only one of its branches, so how long the list"
                        + " is afterwards is known only at run time" + (x instanceof Scanning ? " (Kiln stacks one element"
                        + " per trip of the loop that builds it)" : "") + ": append on both paths (torch.where to choose the"
                        + " element) or compute both alternatives and choose between them with torch.where");
            }
            types.add(TensorType.unknown());
            names.add(graph.freshName(keyIrName(x) + "_appended"));
        }
        // TorchScript mutates: an operand either branch writes in place (x /= 255) is given back as an extra output,
        // and what the model reads after the if reads that output
        List<Value> operands = List.copyOf(then.operands);
        List<Integer> written = new ArrayList<>();
        for (int i = 0; i < operands.size(); i++) {
            if (writes(n, then.graph.inputs().get(i)) | writes(n, otherwise.graph.inputs().get(i))) {
                Value o = operands.get(i);
                requireWritable(n, o);
                written.add(i);
                types.add(o.type());
                names.add(graph.freshName(o.name() + "_written"));
            }
        }
        // two operands that are one tensor (y = x; y += 1 makes y x written): a branch writing one must not miss the other
        for (int p = 0; p < operands.size(); p++) {
            for (int q = p + 1; q < operands.size(); q++) {
                if (TensorSharing.viewOf(operands.get(p)) == TensorSharing.viewOf(operands.get(q)) && (written.contains(p) || written.contains(q))) {
                    throw refuse(n, "prim::If", "%" + operands.get(p).name() + " and %" + operands.get(q).name() + " are one tensor"
                            + " and a branch writes it in place; TorchScript shares the tensor, which Kiln's values cannot"
                            + " follow: assign a copy (y = x.clone()) or write without in-place ops");
                }
            }
        }
        for (Frame f : List.of(then, otherwise)) {
            List<Value> outs = new ArrayList<>(f.graph.outputs());
            merged.forEach(x -> outs.add(f.appendOuts.get(x)));
            for (int i : written) {
                outs.add(current(f.graph.inputs().get(i)));
            }
            f.graph.setOutputs(outs);
            removeDeadCode(f.graph);
        }
        Node cond = graph.insertAt(graph.nodes().size(), schema(dev.kiln.ir.ControlFlow.COND),
                List.of(pred, Arg.list(operands)), types, names);
        location(n).ifPresent(cond::setLocation);
        if (!written.isEmpty()) {
            writingNodes.add(cond);
        }
        cond.addSubgraph(then.graph);
        cond.addSubgraph(otherwise.graph);
        int at = 0;
        for (long i = 0; i < n.outputs().size(); i++) {
            Layout l = layouts.get((int) i);
            if (l.elements() == null) {
                bind(n.output(i), new Ir(cond.outputs().get(at++)));
                continue;
            }
            int from = at;
            at += l.leaves().size();
            bind(n.output(i), rebuild(l, cond.outputs().subList(from, at)));
        }
        for (int k = 0; k < written.size(); k++) {
            rebind(operands.get(written.get(k)), cond.outputs().get(results + merged.size() + k));
        }
        for (int j = 0; j < merged.size(); j++) {
            recordAppend(n, "prim::If", merged.get(j), new Ir(cond.outputs().get(results + j)));
        }
    }

    /**
     * Whether branch input {@code in} leaves the branch changed: an op of the branch writes it in place, or a nested
     * branch wrote it (and gave it back). Writing into a view of it is refused: the write would be lost.
     */
    private boolean writes(JitNode at, Value in) {
        if (current(in) != in) {
            return true;
        }
        boolean direct = false;
        for (Node node : in.graph().nodes()) {
            List<SchemaArgument> params = node.schema().arguments();
            for (int i = 0; i < params.size() && i < node.args().size(); i++) {
                if (params.get(i).isMutated() && node.arg(i) instanceof Value m) {
                    Value target = TensorSharing.sameTensor(m);
                    if (target == in) {
                        direct = true;
                    } else if (TensorSharing.isView(target) && TensorSharing.viewOf(target) == in) {
                        throw refuse(at, at.kind().toQualString().getString(), "it writes in place into a view of %" + in.name()
                                + ", which it reads from outside (" + node.describe() + "); write it without "
                                + "in-place ops on views (torch.where, or build the new tensor)");
                    }
                }
            }
        }
        return direct;
    }

    /** The value {@code v} stands for now: the last write-back of a run-time branch that wrote it, or itself. */
    private Value current(Value v) {
        Value c = v;
        while (rebound.containsKey(c)) {
            c = rebound.get(c);
        }
        return c;
    }

    /**
     * Later readers of {@code from} (a value of the current graph) read {@code to}: a run-time branch wrote it in
     * place. A branch input stands for a value of an enclosing graph, which the model's TorchScript values are
     * bound to: for the rest of this branch, that value reads as {@code to}.
     */
    private void rebind(Value from, Value to) {
        rebound.put(from, to);
        frame.captured.replaceAll((outer, local) -> local == from ? to : local);
        for (Map.Entry<Long, Bound> e : env.entrySet()) {
            e.setValue(replaced(e.getValue(), from, to));
        }
    }

    private static Bound replaced(Bound b, Value from, Value to) {
        if (b instanceof Ir ir && ir.value() == from) {
            return new Ir(to);
        }
        if (b instanceof Seq seq) {
            seq.elements().replaceAll(e -> replaced(e, from, to));
        }
        if (b instanceof Dict d) {
            d.entries().replaceAll((k, e) -> replaced(e, from, to));
        }
        if (b instanceof Scanned s) {
            List<Bound> prefix = new ArrayList<>(s.prefix());
            prefix.replaceAll(e -> replaced(e, from, to));
            return new Scanned(s.stacked() == from ? to : s.stacked(), prefix, s.loop());
        }
        if (b instanceof Scanning s && s.element != null) {
            s.element = replaced(s.element, from, to); // its prefix is the enclosing frame's, which a write in the body cannot rebind
        }
        return b;
    }

    /** Converts {@code block} into a new nested graph whose first inputs stand for {@code seed} (the other branch's operands). */
    private Frame branch(JitNode n, Block block, String name, Frame outer, List<Value> seed, List<Layout> layouts) {
        Graph sub = new Graph(name);
        root.symbols().forEach(sub::declare);
        Frame f = new Frame(sub, outer, "branch");
        seed.forEach(f::local);
        Graph savedGraph = graph;
        frame = f;
        graph = sub;
        try {
            walk(block);
            List<Value> outs = new ArrayList<>();
            ValueArrayRef rets = block.outputs();
            boolean first = layouts.isEmpty();
            int[] leafCount = {0};
            for (long i = 0; i < rets.size(); i++) {
                Bound b = bound(rets.get(i));
                Optional<List<SchemaType>> tupleTypes = tupleLeafTypes(rets.get(i));
                boolean unset = b instanceof Known u && u.value().isNone() && UNINITIALIZED.equals(u.hint());
                if (first) {
                    // the first branch decides each output's shape: a tuple or list of fixed length (state = (h, c))
                    // is given as its elements, the other branch must give the same shape; a tuple this branch leaves
                    // unset (a break) has the shape of its type
                    layouts.add(b instanceof Seq ? layout(b, new ArrayList<>(), new ArrayList<>(), "o")
                            : unset && tupleTypes.isPresent() ? flatLayout(tupleTypes.get().size()) : new Layout(-1, null));
                }
                Layout l = layouts.get((int) i);
                if (l.elements() == null) {
                    outs.add(nestedOutput(n, rets.get(i), false, "its " + name + " branch gives output " + i));
                    continue;
                }
                List<Bound> leaves = new ArrayList<>();
                if (unset && tupleTypes.isPresent() && tupleTypes.get().size() == l.leaves().size()) {
                    for (SchemaType t : tupleTypes.get()) {
                        Optional<Value> p = placeholder(n, t.isTensor() ? "Tensor" : t.toIrType().map(Type::text).orElse("?"));
                        if (p.isEmpty()) {
                            throw refuse(n, n.kind().toQualString().getString(), "its " + name + " branch leaves output " + i
                                    + " unset, a tuple holding a " + t + ", which Kiln cannot stand in for");
                        }
                        leaves.add(new Ir(p.get()));
                    }
                } else if (!flattenAs(l, b, leaves)) {
                    throw refuse(n, n.kind().toQualString().getString(), "its " + name + " branch gives output " + i
                            + " as a value of another shape than the other branch's tuple or list; branches decided at run"
                            + " time give tuples and lists of one fixed shape");
                }
                for (int k = 0; k < leaves.size(); k++) {
                    outs.add(nestedOutput(n, leaves.get(k), null, false, "its " + name + " branch gives element " + k + " of output " + i));
                }
            }
            for (Map.Entry<Frame.AppendTarget, Bound> e : f.appends.entrySet()) {
                f.appendOuts.put(e.getKey(), nestedOutput(n, e.getValue(), null, false, "its " + name + " branch appends to "
                        + e.getKey().name()));
            }
            sub.setOutputs(outs); // dead code goes once the write-backs are outputs too (convertRuntimeIf)
        } finally {
            frame = outer;
            graph = savedGraph;
        }
        return f;
    }

    /** One branch is empty and the other ends by raising: the If only checks. */
    private static boolean isAssertion(BlockArrayRef blocks) {
        if (blocks.size() != 2) {
            return false;
        }
        return isEmpty(blocks.get(0)) && raises(blocks.get(1)) || isEmpty(blocks.get(1)) && raises(blocks.get(0));
    }

    private static boolean isEmpty(Block b) {
        return b.nodes().front().address() == b.return_node().address();
    }

    private static boolean raises(Block b) {
        JitNode end = b.return_node();
        for (JitNode n = b.nodes().front(); n.address() != end.address(); n = n.next()) {
            if (n.kind().toQualString().getString().equals("prim::RaiseException")) {
                return true;
            }
        }
        return false;
    }

    private void convertLoop(JitNode n) {
        Bound trips = bound(n.input(0));
        Bound cond0 = bound(n.input(1));
        if (!(trips instanceof Known t && t.value().isInt()) || !(cond0 instanceof Known c && c.value().isBool())) {
            convertRuntimeLoop(n);
            return;
        }
        Block body = n.blocks().get(0);
        long max = t.value().toInt();
        boolean go = c.value().toBool();
        List<Bound> carried = new ArrayList<>();
        for (long i = 2; i < n.inputs().size(); i++) {
            carried.add(bound(n.input(i)));
        }
        ValueArrayRef bodyIn = body.inputs();
        ValueArrayRef bodyOut = body.outputs();
        Snapshot before = new Snapshot();
        boolean runtime = false;
        try {
            for (long iter = 0; iter < max && go; iter++) {
                if (++unrolled > MAX_UNROLLED_ITERATIONS) {
                    throw refuse(n, "prim::Loop", "unrolling would take more than " + MAX_UNROLLED_ITERATIONS + " iterations");
                }
                bind(bodyIn.get(0), new Known(new IValue(iter), "i", 0));
                for (int j = 0; j < carried.size(); j++) {
                    bind(bodyIn.get(j + 1), carried.get(j));
                }
                walk(body);
                Bound next = bound(bodyOut.get(0));
                if (!(next instanceof Known k && k.value().isBool())) {
                    // a break on the model's values in a loop over a known range (greedy decoding's "for step in
                    // range(20): ... if done: break"): what the unrolled trips emitted is taken back, and the loop
                    // runs as a run-time loop, as it does when its trip count is unknown
                    runtime = true;
                    break;
                }
                go = k.value().toBool();
                for (int j = 0; j < carried.size(); j++) {
                    carried.set(j, bound(bodyOut.get(j + 1)));
                }
            }
        } catch (KilnException unrolling) {
            // refused as unrolled trips (a run-time branch appending to a list the trips share, more trips than Kiln
            // unrolls): taken back, and tried as a run-time loop, whose one append per trip converts; if that is refused
            // too, the unrolled refusal stands
            before.restore();
            try {
                convertRuntimeLoop(n);
            } catch (KilnException asLoop) {
                unrolling.addSuppressed(asLoop);
                throw unrolling;
            }
            return;
        }
        if (runtime) {
            before.restore();
            convertRuntimeLoop(n);
            return;
        }
        for (int j = 0; j < carried.size(); j++) {
            bind(n.output(j), carried.get(j));
        }
    }

    /** Where a carried value's leaves go: {@code leaf >= 0} for a tensor or number, else a tuple or list of {@code elements}. */
    private record Layout(int leaf, List<Layout> elements) {
        List<Integer> leaves() {
            List<Integer> out = new ArrayList<>();
            if (leaf >= 0) {
                out.add(leaf);
            } else {
                elements.forEach(e -> out.addAll(e.leaves()));
            }
            return out;
        }
    }

    /** A tuple of {@code count} leaves, in order. */
    private static Layout flatLayout(int count) {
        List<Layout> elements = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            elements.add(new Layout(k, List.of()));
        }
        return new Layout(-1, elements);
    }

    /** The element types of a TorchScript tuple value, nested tuples flattened in order; empty for other types. */
    private static Optional<List<SchemaType>> tupleLeafTypes(org.bytedeco.pytorch.Value v) {
        SchemaType t;
        try {
            t = LibtorchSchemas.parseType(typeText(v), OptionalInt.empty());
        } catch (KilnException notReadable) {
            return Optional.empty();
        }
        if (!(t instanceof SchemaType.TupleOf)) {
            return Optional.empty();
        }
        List<SchemaType> out = new ArrayList<>();
        flattenTypes(t, out);
        return Optional.of(out);
    }

    private static void flattenTypes(SchemaType t, List<SchemaType> out) {
        if (t instanceof SchemaType.TupleOf tuple) {
            tuple.elements().forEach(e -> flattenTypes(e, out));
        } else {
            out.add(t);
        }
    }

    /** The layout of {@code b}, its leaves appended to {@code leaves} (named after {@code name}). */
    private static Layout layout(Bound b, List<Bound> leaves, List<String> names, String name) {
        if (b instanceof Seq seq) {
            List<Layout> elements = new ArrayList<>();
            for (int k = 0; k < seq.elements().size(); k++) {
                elements.add(layout(seq.elements().get(k), leaves, names, name + "_" + k));
            }
            return new Layout(-1, elements);
        }
        leaves.add(b);
        names.add(name);
        return new Layout(leaves.size() - 1, List.of());
    }

    /** {@code l} built from {@code values} (one per leaf): a new list or tuple where {@code l} has one. */
    private static Bound rebuild(Layout l, List<Value> values) {
        if (l.leaf() >= 0) {
            return new Ir(values.get(l.leaf()));
        }
        List<Bound> elements = new ArrayList<>();
        l.elements().forEach(e -> elements.add(rebuild(e, values)));
        return new Seq(elements);
    }

    /** Appends {@code b}'s leaves to {@code out}; false when {@code b} is not shaped as {@code l}. */
    private static boolean flattenAs(Layout l, Bound b, List<Bound> out) {
        if (l.leaf() >= 0) {
            out.add(b);
            return true;
        }
        if (!(b instanceof Seq seq) || seq.elements().size() != l.elements().size()) {
            return false;
        }
        for (int k = 0; k < l.elements().size(); k++) {
            if (!flattenAs(l.elements().get(k), seq.elements().get(k), out)) {
                return false;
            }
        }
        return true;
    }

    /**
     * What converting a stretch of the model changes in this converter, taken before it so that it can be taken back:
     * the nodes of the current graph, the bindings, the lists' contents, the write-back bookkeeping, the current
     * frame's captures and the counters.
     * Used where an unrolled loop turns out to need its condition at run time. Values captured into the current nested
     * graph meanwhile stay as unused inputs of it; constants added to the model stay as unused constants (both go with
     * dead-code elimination).
     */
    private final class Snapshot {
        private final Graph at = graph;
        private final java.util.Set<Node> nodes = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        private final Map<Long, Bound> envBefore = new HashMap<>(env);
        private final Map<Long, Frame> boundInBefore = new HashMap<>(boundIn);
        private final Map<Value, Value> reboundBefore = new java.util.IdentityHashMap<>(rebound);
        private final java.util.Set<Node> writingBefore = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        private final Map<Node, java.util.Set<Integer>> writtenBefore = new java.util.IdentityHashMap<>();
        private final Map<Seq, List<Bound>> lists = new java.util.IdentityHashMap<>();
        private final Map<Dict, java.util.LinkedHashMap<Object, Bound>> dicts = new java.util.IdentityHashMap<>();
        private final int unrolledBefore = unrolled;
        private final int droppedBefore = droppedAssertions;
        /** The current frame's captures: a write-back rebinds them ({@link #rebind}) to values that go away. */
        private final Frame frameAt = frame;
        private final Map<Value, Value> capturedBefore = new java.util.IdentityHashMap<>(frame.captured);
        private final Map<Frame.AppendTarget, Bound> appendsBefore = new java.util.LinkedHashMap<>(frame.appends);
        private final Map<Scanning, Bound> elements = new java.util.IdentityHashMap<>();

        Snapshot() {
            nodes.addAll(graph.nodes());
            writingBefore.addAll(writingNodes);
            writtenLoopVariables.forEach((node, vars) -> writtenBefore.put(node, new java.util.HashSet<>(vars)));
            env.values().forEach(this::remember);
        }

        private void remember(Bound b) {
            if (b instanceof Seq seq && !lists.containsKey(seq)) {
                lists.put(seq, new ArrayList<>(seq.elements()));
                seq.elements().forEach(this::remember);
            }
            if (b instanceof Scanning x) {
                elements.put(x, x.element);
            }
            if (b instanceof Dict d && !dicts.containsKey(d)) {
                dicts.put(d, new java.util.LinkedHashMap<>(d.entries()));
                d.entries().values().forEach(this::remember);
            }
        }

        void restore() {
            List<Node> added = at.nodes().stream().filter(x -> !nodes.contains(x)).toList();
            for (int i = added.size() - 1; i >= 0; i--) {
                at.remove(added.get(i));
            }
            env.clear();
            env.putAll(envBefore);
            boundIn.clear();
            boundIn.putAll(boundInBefore);
            rebound.clear();
            rebound.putAll(reboundBefore);
            writingNodes.clear();
            writingNodes.addAll(writingBefore);
            writtenLoopVariables.clear();
            writtenLoopVariables.putAll(writtenBefore);
            lists.forEach((seq, elements) -> {
                seq.elements().clear();
                seq.elements().addAll(elements);
            });
            dicts.forEach((d, entries) -> {
                d.entries().clear();
                d.entries().putAll(entries);
            });
            elements.forEach((x, element) -> x.element = element);
            frameAt.appends.clear();
            frameAt.appends.putAll(appendsBefore);
            unrolled = unrolledBefore;
            droppedAssertions = droppedBefore;
            // captures made meanwhile stay (their inputs and operands are in place): each reads as its input again,
            // the earlier ones as they read before
            frameAt.captured.replaceAll((outer, local) -> capturedBefore.getOrDefault(outer, frameAt.standIns.get(outer)));
        }
    }

    /**
     * A {@code prim::Loop} whose trip count or condition is computed at run time ({@code for i in range(x.size(0))}
     * on a dynamic size, {@code while} on a tensor) becomes {@code kiln::loop} (see {@link dev.kiln.ir.ControlFlow}):
     * the body a closed nested graph taking {@code (i, carried...)}, where the carried values are the loop's own and
     * then every value of an enclosing graph the body reads (passed through unchanged, or, when the body writes one
     * in place, the written value, which later readers read).
     */
    private void convertRuntimeLoop(JitNode n) {
        String kind = "prim::Loop";
        Block body = n.blocks().get(0);
        int carriedJit = (int) n.inputs().size() - 2;
        Arg maxTrips = loopArg(n, bound(n.input(0)), "trip count");
        Arg cond0 = loopArg(n, bound(n.input(1)), "condition");
        // a tuple or list of fixed length carried from trip to trip (an LSTM's (h, c)) is carried as its elements:
        // the IR's loop carries tensors and numbers; the structure is rebuilt in the body and after the loop
        List<Layout> layouts = new ArrayList<>();
        List<Bound> leafInit = new ArrayList<>();
        List<String> leafNames = new ArrayList<>();
        for (int j = 0; j < carriedJit; j++) {
            layouts.add(layout(bound(n.input(j + 2)), leafInit, leafNames, valueName(body.inputs().get(j + 1))));
        }
        int own = leafInit.size();
        List<Arg> initial = new ArrayList<>();
        for (int j = 0; j < own; j++) {
            initial.add(loopArg(n, leafInit.get(j), "carried value " + leafNames.get(j)));
        }
        Graph sub = new Graph("body");
        root.symbols().forEach(sub::declare);
        Frame f = new Frame(sub, frame, "loop");
        Value trip = sub.addInput("i", PrimitiveType.INT);
        List<Value> carriedIn = new ArrayList<>();
        for (int j = 0; j < own; j++) {
            Arg a = initial.get(j);
            Type t = a instanceof Value v ? v.type() : a instanceof Arg.IntLit ? PrimitiveType.INT
                    : a instanceof Arg.FloatLit ? PrimitiveType.FLOAT : PrimitiveType.BOOL;
            carriedIn.add(sub.addInput(sub.freshName(leafNames.get(j)), t));
        }
        // the lists of this frame the body appends to: Scannings while the body converts; one whose elements the body
        // reads carries its last element from trip to trip, an input after the loop's own carried values
        List<Scanning> scanning = scanningLists(n, f, trip);
        List<Scanning> lasts = scanning.stream().filter(x -> x.last != null).toList();
        for (Scanning x : lasts) {
            initial.add(x.prefix.isEmpty() ? placeholder(n, "Tensor").orElseThrow()
                    : loopArg(n, x.prefix.get(x.prefix.size() - 1), "last element of " + x.name));
        }
        int ownAll = own + lasts.size();
        Frame outer = frame;
        Graph savedGraph = graph;
        List<Value> outs = new ArrayList<>();
        List<Scanning> appended = new ArrayList<>(); // the lists the body did append to, in order
        List<Value> scanned = new ArrayList<>(); // what each trip appends to them, the body's outputs after the carried values
        frame = f;
        graph = sub;
        try {
            bind(body.inputs().get(0), new Ir(trip));
            for (int j = 0; j < carriedJit; j++) {
                bind(body.inputs().get(j + 1), rebuild(layouts.get(j), carriedIn));
            }
            walk(body);
            ValueArrayRef rets = body.outputs();
            // `for` loops go on while trips remain: their condition is a constant true
            outs.add(nestedOutput(n, rets.get(0), true, "its body gives the condition"));
            for (int j = 0; j < carriedJit; j++) {
                Layout l = layouts.get(j);
                if (l.leaf() >= 0) {
                    outs.add(nestedOutput(n, rets.get(j + 1), false, "its body gives carried value " + j));
                    continue;
                }
                List<Bound> leaves = new ArrayList<>();
                if (!flattenAs(l, bound(rets.get(j + 1)), leaves)) {
                    throw refuse(n, kind, "its body gives carried value " + j + " as a tuple or list of another length or"
                            + " nesting than the loop starts with; a loop run at run time carries tuples and lists of a"
                            + " fixed shape");
                }
                for (int k = 0; k < leaves.size(); k++) {
                    outs.add(nestedOutput(n, leaves.get(k), null, false, "its body gives element " + k + " of carried value " + j));
                }
            }
            for (Scanning x : lasts) {
                outs.add(x.element == null ? x.last : nestedOutput(n, x.element, null, false, "its body appends to " + x.name));
            }
            for (Scanning x : scanning) {
                if (x.element != null) {
                    appended.add(x);
                    scanned.add(nestedOutput(n, x.element, null, false, "its body appends to " + x.name));
                }
            }
        } finally {
            frame = outer;
            graph = savedGraph;
        }
        // what the body reads from outside is carried through; what it writes in place comes back written
        List<Value> captured = List.copyOf(f.operands);
        List<Integer> written = new ArrayList<>();
        for (int c = 0; c < captured.size(); c++) {
            Value in = sub.inputs().get(1 + ownAll + c);
            outs.add(current(in));
            if (writes(n, in)) {
                requireWritable(n, captured.get(c));
                written.add(c);
            }
        }
        refuseWrittenAppends(n, sub, appended, scanned);
        outs.addAll(scanned);
        sub.setOutputs(outs);
        removeDeadCode(sub);
        List<Arg> carried = new ArrayList<>(initial);
        carried.addAll(captured);
        // one tensor carried in two places (x = b before the loop, then both used in it) is two copies here; TorchScript
        // shares it, which matters as soon as the body writes either in place
        for (int p = 0; p < carried.size(); p++) {
            for (int q = p + 1; q < carried.size(); q++) {
                if (carried.get(p) instanceof Value v && carried.get(q) instanceof Value w && TensorSharing.viewOf(v) == TensorSharing.viewOf(w)
                        && (writes(n, sub.inputs().get(p + 1)) || writes(n, sub.inputs().get(q + 1)))) {
                    throw refuse(n, kind, "the loop carries %" + v.name() + " and %" + w.name() + ", which are one tensor,"
                            + " and its body writes it in place; TorchScript shares the tensor, which Kiln's values cannot"
                            + " follow: assign a copy (y = x.clone()) or write without in-place ops");
                }
            }
        }
        List<Type> types = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int j = 0; j < carriedJit; j++) {
            if (layouts.get(j).leaf() >= 0) {
                types.add(irType(n, kind, n.output(j)));
                names.add(valueName(n.output(j)));
                continue;
            }
            for (int leaf : layouts.get(j).leaves()) {
                Type t = carriedIn.get(leaf).type();
                types.add(t instanceof TensorType ? TensorType.unknown() : t);
                names.add(graph.freshName(valueName(n.output(j)) + "_" + leaf));
            }
        }
        for (Scanning x : lasts) {
            types.add(TensorType.unknown());
            names.add(graph.freshName(keyIrName(x) + "_last"));
        }
        for (Value c : captured) {
            types.add(c.type());
            names.add(graph.freshName(c.name() + "_carried"));
        }
        for (int k = 0; k < scanned.size(); k++) {
            types.add(scanned.get(k).type() instanceof TensorType t ? new TensorType(t.dtype(), Shape.unranked()) : TensorType.unknown());
            names.add(graph.freshName(keyIrName(appended.get(k)) + "_stacked"));
        }
        Node loop = graph.insertAt(graph.nodes().size(), schema(dev.kiln.ir.ControlFlow.LOOP), List.of(maxTrips, cond0,
                Arg.list(carried)), types, names);
        location(n).ifPresent(loop::setLocation);
        loop.addSubgraph(sub);
        for (int j = 0; j < sub.inputs().size() - 1; j++) {
            if (writes(n, sub.inputs().get(j + 1))) {
                writingNodes.add(loop); // a loop variable or a captured tensor written in place
            }
        }
        for (int j = 0; j < carriedJit; j++) {
            bind(n.output(j), rebuild(layouts.get(j), loop.outputs()));
        }
        // a loop variable the body writes in place starts as the very tensor passed in, which TorchScript writes too:
        // refused afterwards if that tensor is read again after the loop (refuseSharedTensors)
        for (int j = 0; j < own; j++) {
            if (initial.get(j) instanceof Value v && writes(n, carriedIn.get(j))) {
                requireWritable(n, v);
                if (TensorSharing.alwaysTheTensorOf(sub.outputs().get(j + 1), carriedIn.get(j))) {
                    // never given another tensor (acc += t each trip): the result is that tensor, written; later readers read it
                    rebind(v, loop.outputs().get(j));
                } else {
                    writtenLoopVariables.computeIfAbsent(loop, x -> new java.util.TreeSet<>()).add(j);
                }
            }
        }
        for (int c : written) {
            rebind(captured.get(c), loop.outputs().get(ownAll + c));
        }
        // a list the body appended to now holds what it held before, then every trip's element: the stacked rows; one
        // it did not append to after all (the append was in a branch decided when converting) is as it was
        String at = location(n).map(l -> " at " + l).orElse("");
        for (Scanning x : scanning) {
            int k = appended.indexOf(x);
            Bound after = k < 0 ? x.list : new Scanned(loop.outputs().get(carried.size() + k), x.prefix, at);
            env.replaceAll((address, b) -> b == x ? after : b);
        }
    }

    /**
     * Refuses a run-time loop whose body writes in place into a tensor it appends to a list: the list holds that very
     * tensor in TorchScript, written by later ops and trips, while Kiln stacks each trip's element as the trip gives it.
     */
    private void refuseWrittenAppends(JitNode n, Graph body, List<Scanning> scans, List<Value> scanned) {
        for (int k = 0; k < scans.size(); k++) {
            Value tensor = TensorSharing.viewOf(TensorSharing.sameTensor(scanned.get(k)));
            boolean written = tensor.kind() == Value.Kind.INPUT ? writes(n, tensor) : false;
            for (Node node : body.nodes()) {
                List<SchemaArgument> params = node.schema().arguments();
                for (int i = 0; i < params.size() && i < node.args().size() && !written; i++) {
                    written = params.get(i).isMutated() && node.arg(i) instanceof Value m
                            && TensorSharing.viewOf(TensorSharing.sameTensor(m)) == tensor;
                }
                written |= writingNodes.contains(node) && node.inputs().contains(tensor);
            }
            if (written) {
                throw refuse(n, "prim::Loop", "its body writes in place into the tensor it appends to " + scans.get(k).name
                        + "; the list holds that very tensor in TorchScript, which later writes change, while Kiln stacks"
                        + " each trip's element as the trip gives it: append a copy (" + scans.get(k).name
                        + ".append(h.clone())) or write without in-place ops");
            }
        }
    }

    /**
     * A value of TorchScript type {@code type} for a nested graph to give where its path leaves the variable unset:
     * a 0-d f32 constant for a tensor, a node making 0 (or false) for a number; empty for other types.
     */
    private Optional<Value> placeholder(JitNode n, String type) {
        switch (type) {
            case "Tensor": {
                Value c = unsetTensor != null ? unsetTensor
                        : (unsetTensor = root.addConstant(root.freshName("unset"), ConstantTensor.scalar(DType.FLOAT32, 0)));
                return Optional.of(frame.local(c));
            }
            case "int":
                return Optional.of(number(n, PrimitiveType.INT, Arg.of(0L), "unset"));
            case "float":
                return Optional.of(number(n, PrimitiveType.FLOAT, Arg.of(0.0), "unset"));
            case "bool":
                return Optional.of(number(n, PrimitiveType.BOOL, Arg.of(0L), "unset"));
            default:
                return Optional.empty();
        }
    }

    /**
     * A node of the current graph making the number {@code lit} as type {@code t} (int, float or bool; a bool from
     * the int 0 or 1), named after {@code hint}: a value a nested graph can give where the TorchScript block gives a
     * Python number.
     */
    private Value number(JitNode n, PrimitiveType t, Arg lit, String hint) {
        String op = t == PrimitiveType.INT ? "aten::Int.Scalar" : t == PrimitiveType.FLOAT ? "aten::Float.Scalar" : "aten::Bool.int";
        Node c = graph.insertAt(graph.nodes().size(), schema(op), List.of(lit), List.of(t), List.of(graph.freshName(hint)));
        location(n).ifPresent(c::setLocation);
        return c.output();
    }

    /**
     * What a block gives, as an output of the nested graph being converted (the current frame's): a value it
     * computes or reads from outside, a tensor constant (read as an operand), or with {@code boolAsTensor} a constant
     * bool as a 0-d tensor. {@code what} says which output, for the refusal of anything else.
     */
    private Value nestedOutput(JitNode n, org.bytedeco.pytorch.Value ret, boolean boolAsTensor, String what) {
        return nestedOutput(n, bound(ret), typeText(ret), boolAsTensor, what);
    }

    /** {@link #nestedOutput(JitNode, org.bytedeco.pytorch.Value, boolean, String)} for a bound value of TorchScript type {@code type} (null: not known). */
    private Value nestedOutput(JitNode n, Bound b, String type, boolean boolAsTensor, String what) {
        if (type != null && b instanceof Known u && u.value().isNone() && UNINITIALIZED.equals(u.hint())) {
            // a variable this path leaves unset (TorchScript's prim::Uninitialized: a break inside a nested if, say);
            // never read after it, but the nested graph must give a value of the variable's type
            Optional<Value> p = placeholder(n, type);
            if (p.isPresent()) {
                return p.get();
            }
        }
        if (b instanceof Ir ir) {
            return frame.local(ir.value());
        }
        if (b instanceof Known k && k.value().isTensor()) {
            return constant(k);
        }
        if (boolAsTensor && b instanceof Known k && k.value().isBool()) {
            boolean v = k.value().toBool();
            Value c = loopConditions.computeIfAbsent(v, x -> root.addConstant(root.freshName("loop_cond"),
                    ConstantTensor.scalar(DType.BOOL, x ? 1 : 0)));
            return frame.local(c);
        }
        if (b instanceof Known k && (k.value().isInt() || k.value().isDouble() || k.value().isBool())) {
            // a number the branch sets (k = 3 under "if x.size(0) > 1:"): made by a node of the nested graph, so
            // that the two branches give a value of one type that later code reads at run time
            String hint = k.hint() == null || k.hint().isEmpty() || !Character.isLetter(k.hint().charAt(0)) ? "c" : k.hint();
            if (k.value().isInt()) {
                return number(n, PrimitiveType.INT, Arg.of(k.value().toInt()), hint);
            }
            return k.value().isDouble() ? number(n, PrimitiveType.FLOAT, Arg.of(k.value().toDouble()), hint)
                    : number(n, PrimitiveType.BOOL, Arg.of(k.value().toBool() ? 1L : 0L), hint);
        }
        throw refuse(n, n.kind().toQualString().getString(), what + " as " + describe(b)
                + "; control flow decided at run time must give tensors or values the model computes");
    }

    /**
     * Whether the model reads IR value {@code v} (through any TorchScript value bound to it) after node {@code n}: in the
     * rest of {@code n}'s block, the blocks nested there, the block's outputs, and so on outwards.
     */
    private boolean jitReadAfter(JitNode n, Value v) {
        java.util.Set<Long> names = new java.util.HashSet<>();
        env.forEach((address, b) -> {
            if (holds(b, v)) {
                names.add(address);
            }
        });
        for (JitNode at = n; at != null; ) {
            Block block = at.owningBlock();
            JitNode end = block.return_node();
            JitNode owner0 = block.owningNode();
            // in a loop body the next trip runs the whole body again: all of it comes after
            boolean loopBody = owner0 != null && !owner0.isNull() && owner0.kind().toQualString().getString().equals("prim::Loop");
            for (JitNode m = loopBody ? block.nodes().front() : at.next(); m.address() != end.address(); m = m.next()) {
                if (reads(m, names)) {
                    return true;
                }
            }
            if (reads(end, names)) {
                return true;
            }
            JitNode owner = block.owningNode();
            at = owner == null || owner.isNull() ? null : owner;
        }
        return false;
    }

    /** Whether bound value {@code b} is IR value {@code v} or a list or tuple holding it. */
    private static boolean holds(Bound b, Value v) {
        if (b instanceof Ir ir) {
            return ir.value() == v;
        }
        if (b instanceof Seq seq) {
            return seq.elements().stream().anyMatch(e -> holds(e, v));
        }
        if (b instanceof Dict d) {
            return d.entries().values().stream().anyMatch(e -> holds(e, v));
        }
        if (b instanceof Scanning s) {
            return s.last == v || s.element != null && holds(s.element, v) || s.prefix.stream().anyMatch(e -> holds(e, v));
        }
        return b instanceof Scanned s && (s.stacked() == v || s.prefix().stream().anyMatch(e -> holds(e, v)));
    }

    private static boolean reads(JitNode m, java.util.Set<Long> names) {
        ValueArrayRef ins = m.inputs();
        for (long i = 0; i < ins.size(); i++) {
            if (names.contains(ins.get(i).address())) {
                return true;
            }
        }
        BlockArrayRef blocks = m.blocks();
        for (long b = 0; b < blocks.size(); b++) {
            JitNode end = blocks.get(b).return_node();
            for (JitNode k = blocks.get(b).nodes().front(); k.address() != end.address(); k = k.next()) {
                if (reads(k, names)) {
                    return true;
                }
            }
            if (reads(end, names)) {
                return true;
            }
        }
        return false;
    }

    /** A loop's trip count, condition or initial carried value: a value of this graph, or a literal number. */
    private Arg loopArg(JitNode n, Bound b, String what) {
        if (b instanceof Ir ir) {
            return frame.local(ir.value());
        }
        if (b instanceof Known k) {
            IValue v = k.value();
            if (v.isTensor()) {
                return constant(k);
            }
            if (v.isInt()) {
                return new Arg.IntLit(v.toInt());
            }
            if (v.isDouble()) {
                return new Arg.FloatLit(v.toDouble());
            }
            if (v.isBool()) {
                return new Arg.BoolLit(v.toBool());
            }
        }
        throw refuse(n, "prim::Loop", "its " + what + " is " + describe(b) + "; a loop run at run time carries tensors and numbers");
    }

    /** A value a run-time branch or loop writes in place must be a tensor of its own: not a constant, not a view. */
    private void requireWritable(JitNode n, Value o) {
        // a view read only before (the operand of an earlier write, say) cannot see this write; any one read after can
        // (every view, not the first: x[2] read before and c = x.contiguous() read after once passed as "no view")
        Value view = null;
        for (Value v : TensorSharing.viewsTakenOf(o)) {
            if (jitReadAfter(n, v)) {
                view = v;
                break;
            }
        }
        if (o.kind() == Value.Kind.CONSTANT || TensorSharing.isView(o) || view != null) {
            throw refuse(n, n.kind().toQualString().getString(), "it writes in place into %" + o.name() + ", which is "
                    + (o.kind() == Value.Kind.CONSTANT ? "a constant of the model" : TensorSharing.isView(o)
                            ? "a view of another tensor" : "a tensor with a view, %" + view.name() + ", which would see the write")
                    + "; write it without in-place ops (y = x / 255 instead of x /= 255)");
        }
    }

    // --- operators ---

    /**
     * Folds a deterministic op whose inputs are all known scalars or one-element tensors by running it
     * in libtorch (the size arithmetic of traced models: {@code NumToTensor}, {@code floor_divide},
     * {@code Int}). Results that are not scalars stay ops, so folding never invents large constants.
     */
    private boolean tryFold(JitNode n, String kind) {
        for (String word : NONDETERMINISTIC) {
            if (kind.contains(word)) {
                return false;
            }
        }
        IValueVector stack = new IValueVector();
        for (long i = 0; i < n.inputs().size(); i++) {
            Bound b = bound(n.input(i));
            if (!(b instanceof Known k) || !isSmall(k.value())) {
                return false;
            }
            stack.push_back(k.value());
        }
        try {
            n.getOperation().apply(stack);
        } catch (RuntimeException e) {
            return false; // let the op stay in the graph; running it will report the problem
        }
        if (stack.size() != n.outputs().size()) {
            return false;
        }
        for (long i = 0; i < stack.size(); i++) {
            if (!isSmall(stack.get(i))) {
                return false;
            }
        }
        for (long i = 0; i < stack.size(); i++) {
            bind(n.output(i), new Known(stack.get(i), valueName(n.output(i)), 0));
        }
        return true;
    }

    private static boolean isSmall(IValue v) {
        if (v.isTensor()) {
            return v.toTensor().dim() == 0;
        }
        return v.isInt() || v.isDouble() || v.isBool() || v.isNone() || v.isString() || v.isDevice()
                || v.isIntList() || v.isDoubleList() || v.isBoolList();
    }

    private void emit(JitNode n, FunctionSchema fs) {
        String kind = n.kind().toQualString().getString();
        String qualified = LibtorchSchemas.qualifiedName(fs);
        OpSchema schema = schemaCache.computeIfAbsent(qualified, q -> schemas.find(q).orElseGet(() -> LibtorchSchemas.toOpSchema(fs)));
        List<SchemaArgument> params = schema.arguments();
        long count = n.inputs().size();
        if (count > params.size() && !schema.varArgs()) {
            throw refuse(n, kind, "the node has " + count + " inputs but the schema " + qualified + " takes " + params.size());
        }
        List<Arg> args = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            SchemaArgument p = params.get(i);
            if (i < count) {
                args.add(toArg(bound(n.input(i)), p.type(), n, kind, p.name()));
            } else if (p.defaultValue().isPresent()) {
                args.add(p.defaultValue().get());
            } else {
                throw refuse(n, kind, "argument '" + p.name() + "' of " + qualified + " is missing");
            }
        }
        List<Type> types = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (long i = 0; i < n.outputs().size(); i++) {
            types.add(irType(n, kind, n.output(i)));
            names.add(valueName(n.output(i)));
        }
        if (frame.parent != null && writeIntoSlice(n, schema, args, types, names)) {
            return;
        }
        Node node = graph.insertAt(graph.nodes().size(), schema, args, types, names);
        location(n).ifPresent(node::setLocation);
        for (long i = 0; i < n.outputs().size(); i++) {
            bind(n.output(i), new Ir(node.outputs().get((int) i)));
        }
    }

    /**
     * Inside a branch or a loop body, an in-place write into slices or selects of a tensor ({@code if c: x[:, 0] = 0},
     * {@code x} read from outside or made inside) is emitted functionally: the op on the view, cast to the view's dtype as an
     * in-place op would ({@code type_as}), and a {@code slice_scatter}/{@code select_scatter} back level by level; the
     * tensor then reads as the scatter, which the branch or loop gives back like any value it writes. Only when no other
     * view of the tensor was taken in the nested graph and the write reads no view of it (which could overlap).
     */
    private boolean writeIntoSlice(JitNode n, OpSchema schema, List<Arg> args, List<Type> types, List<String> names) {
        String name = schema.name();
        List<SchemaArgument> params = schema.arguments();
        if (!name.endsWith("_") || name.endsWith("__") || params.isEmpty() || !params.get(0).isMutated() || types.size() != 1
                || !(args.get(0) instanceof Value self)) {
            return false;
        }
        for (int i = 1; i < params.size(); i++) {
            if (params.get(i).isMutated()) {
                return false;
            }
        }
        OpSchema functional = SchemaRegistry.standard().find(name.substring(0, name.length() - 1), schema.overload()).orElse(null);
        if (functional == null || functional.arguments().size() != params.size()) {
            return false;
        }
        List<Node> chain = dev.kiln.ir.ViewWrites.sliceChain(self);
        Value base = chain.isEmpty() ? self : (Value) chain.get(chain.size() - 1).arg(0);
        if (chain.isEmpty() || base.kind() == Value.Kind.CONSTANT || base.graph() != graph || TensorSharing.isView(base)) {
            return false;
        }
        // the chain's views must be the only ones taken of the tensor, and the write must read none of them
        java.util.Set<Node> views = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        views.addAll(chain);
        for (Node v : chain) {
            Value owner = (Value) v.arg(0);
            for (Node u : owner.users()) {
                if (!views.contains(u) && u.outputs().stream().anyMatch(TensorSharing::isView)) {
                    return false;
                }
            }
        }
        for (int i = 1; i < args.size(); i++) {
            if (args.get(i) instanceof Value other && (other == base || other.producer().map(views::contains).orElse(false))) {
                return false;
            }
        }
        Node r = graph.insertAt(graph.nodes().size(), functional, args, types, List.of(graph.freshName(names.get(0))));
        location(n).ifPresent(r::setLocation);
        Node cast = graph.insertAt(graph.nodes().size(), schema("aten::type_as"), List.of(r.output(), self), types,
                List.of(graph.freshName(names.get(0))));
        location(n).ifPresent(cast::setLocation);
        List<Value> written = dev.kiln.ir.ViewWrites.scatterBack(chain, cast.output(), (scatter, scatterArgs, type, into) -> {
            Node sc = graph.insertAt(graph.nodes().size(), scatter, scatterArgs, List.of(type),
                    List.of(graph.freshName(into.name() + "_written")));
            location(n).ifPresent(sc::setLocation);
            return sc.output();
        });
        bind(n.output(0), new Ir(cast.output()));
        rebind(self, cast.output());
        for (int i = 0; i < chain.size(); i++) {
            rebind((Value) chain.get(i).arg(0), written.get(i));
        }
        return true;
    }

    private Arg toArg(Bound b, SchemaType type, JitNode n, String kind, String param) {
        if (b instanceof Ir ir) {
            return frame.local(ir.value());
        }
        if (b instanceof Seq seq) {
            SchemaType elem = listElement(type);
            List<Arg> out = new ArrayList<>();
            for (Bound e : seq.elements()) {
                out.add(toArg(e, elem, n, kind, param));
            }
            return new Arg.ListArg(out);
        }
        if (b instanceof Dict) {
            throw refuse(n, kind, "passes a dict as argument '" + param + "', which Kiln does not translate; pass its"
                    + " values (d['key']) instead");
        }
        if (b instanceof Scanned || b instanceof Scanning) {
            throw refuse(n, kind, "passes " + describe(b) + " as argument '" + param + "'; Kiln gives such a list to"
                    + " torch.stack, torch.cat, len() and indexing by an int after the loop: stack it (torch.stack(outs))"
                    + " and continue with the tensor");
        }
        Known k = (Known) b;
        IValue v = k.value();
        if (v.isTensor()) {
            return constant(k);
        }
        if (IValues.isTensorLike(v)) {
            List<Arg> out = new ArrayList<>();
            List<IValue> elems = IValues.elements(v);
            for (int i = 0; i < elems.size(); i++) {
                out.add(toArg(new Known(elems.get(i), k.hint() + "_" + i, 0), listElement(type), n, kind, param));
            }
            return new Arg.ListArg(out);
        }
        return IValues.literal(v, type, where(n, kind) + ", argument '" + param + "'");
    }

    private static SchemaType listElement(SchemaType t) {
        if (t instanceof SchemaType.OptionalOf o) {
            return listElement(o.element());
        }
        if (t instanceof SchemaType.ListOf l) {
            return l.element();
        }
        return t;
    }

    /** The graph constant holding a known tensor, created once per TorchScript constant. */
    private Value constant(Known k) {
        if (k.origin() != 0) {
            Value cached = constantsByOrigin.get(k.origin());
            if (cached != null) {
                return frame.local(cached);
            }
        }
        // constants live in the model's graph only; a branch reads them as operands
        ConstantTensor data = IValues.copyTensor(k.value().toTensor(), file + ": constant %" + k.hint());
        Value c = root.addConstant(constantName(k.hint()), data);
        if (k.origin() != 0) {
            constantsByOrigin.put(k.origin(), c);
        }
        return frame.local(c);
    }

    private static String constantName(String hint) {
        // "self.fc1.weight" reads best as "fc1.weight"
        String h = hint.startsWith("self.") ? hint.substring(5) : hint;
        return h.isEmpty() || Character.isDigit(h.charAt(0)) ? "c" + h : h;
    }

    private Type irType(JitNode n, String kind, org.bytedeco.pytorch.Value v) {
        String text = typeText(v);
        if (TENSOR_TYPE.matcher(text).matches()) {
            return TensorType.unknown(); // a refined tensor type such as Float(2, 3, strides=...)
        }
        Optional<Type> t = LibtorchSchemas.parseType(text, OptionalInt.empty()).toIrType();
        if (t.isEmpty()) {
            throw refuse(n, kind, "its result has the type " + text + ", which the IR cannot hold");
        }
        return t.get();
    }

    private OpSchema schema(String qualified) {
        return schemaCache.computeIfAbsent(qualified, q -> schemas.find(q).orElseGet(() -> {
            int dot = q.indexOf('.', q.indexOf("::"));
            OperatorVector ops = torch.getAllOperatorsFor(Symbol.fromQualString(dot < 0 ? q : q.substring(0, dot)));
            for (long i = 0; i < ops.size(); i++) {
                FunctionSchema fs = ops.get(i).schema();
                if (LibtorchSchemas.qualifiedName(fs).equals(q)) {
                    return LibtorchSchemas.toOpSchema(fs);
                }
            }
            throw new KilnException(file + ": libtorch has no operator " + q);
        }));
    }

    /**
     * {@code prim::ListUnpack}: interpreter-only in libtorch (no registered schema), so registered in
     * the standard registry with the same text the torch.export frontend uses (re-registering an
     * identical schema is a no-op).
     */
    static OpSchema listUnpackSchema() {
        SchemaRegistry r = SchemaRegistry.standard();
        return r.find("prim::ListUnpack", "").orElseGet(() -> r.register(LIST_UNPACK));
    }

    // --- dead code ---

    /** Drops nodes and constants nothing uses any more (shape checks of dropped assertions, folded inputs). */
    private void removeDeadCode() {
        removeDeadCode(root);
    }

    private static void removeDeadCode(Graph graph) {
        List<Node> nodes = new ArrayList<>(graph.nodes());
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (!n.schema().mutates() && n.outputs().stream().noneMatch(Value::isUsed)
                    && n.outputs().stream().noneMatch(graph.outputs()::contains)) {
                graph.remove(n);
            }
        }
        for (Value c : new ArrayList<>(graph.constants())) {
            if (!c.isUsed() && !graph.outputs().contains(c)) {
                graph.removeConstant(c);
            }
        }
    }

    // --- helpers ---

    private void bind(org.bytedeco.pytorch.Value v, Bound b) {
        env.put(v.address(), b);
        boundIn.put(v.address(), frame);
    }

    private Bound bound(org.bytedeco.pytorch.Value v) {
        Bound b = env.get(v.address());
        if (b == null) {
            throw new KilnException(file + ": TorchScript value %" + v.debugName().getString()
                    + " is used before it is defined; the archive's graph is malformed");
        }
        if (b instanceof Seq seq && !listKeys.isEmpty() && listKeys.containsKey(seq)) {
            ListKey key = listKeys.get(seq);
            if (pending(key, key.builtIn) != null) {
                // the list as it is bound lacks the element this path appended (added once the branch is done)
                throw refuse(current, current.kind().toQualString().getString(), "reads the list " + key.name + " after a"
                        + " run-time branch appended to it on this path; Kiln adds the branch's element once the branch is"
                        + " done, so keep what the rest of the branch needs in a variable instead of reading the list");
            }
        }
        return b;
    }

    private long knownLong(JitNode n, String kind, int input) {
        Bound b = bound(n.input(input));
        if (b instanceof Known k && k.value().isInt()) {
            return k.value().toInt();
        }
        throw refuse(n, kind, "the index is computed at run time");
    }

    private static String typeText(org.bytedeco.pytorch.Value v) {
        return v.type().get().str().getString();
    }

    private static String valueName(org.bytedeco.pytorch.Value v) {
        String n = v.debugName().getString();
        return n.isEmpty() || Character.isDigit(n.charAt(0)) ? "v" + n : n;
    }

    private static Optional<SourceLocation> location(JitNode n) {
        return SourceLocations.of(n);
    }

    private String where(JitNode n, String kind) {
        StringBuilder sb = new StringBuilder(file).append(": node ");
        if (n.outputs().size() > 0) {
            sb.append('%').append(n.output(0).debugName().getString()).append(' ');
        }
        sb.append('(').append(kind).append(')');
        location(n).ifPresent(l -> sb.append(" at ").append(l));
        return sb.toString();
    }

    private KilnException refuse(JitNode n, String kind, String why) {
        return new KilnException(where(n, kind) + ": " + why);
    }
}
