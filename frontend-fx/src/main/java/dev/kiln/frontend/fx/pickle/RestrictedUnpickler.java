package dev.kiln.frontend.fx.pickle;

import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader that runs only what {@code torch.save} writes for tensors: the opcodes of
 * protocols 0-4 that build plain data, and five kinds of globals — {@code torch._utils._rebuild_tensor_v2},
 * {@code torch._utils._rebuild_parameter}, the typed storages {@code torch.<X>Storage} (only as
 * persistent-id markers, never called), and {@code collections.OrderedDict}. Any other global is
 * refused by name before anything could be called; persistent ids must be
 * {@code ('storage', torch.<X>Storage, key, location, numel)}.
 *
 * <pre>{@code PickleValue state = new RestrictedUnpickler(pkl, "model.pt: entry 'archive/data.pkl'").load();}</pre>
 */
public final class RestrictedUnpickler {
    /** The storages {@code torch.save} names, with the dtype of their elements. */
    private static final Map<String, DType> STORAGES = Map.ofEntries(
            Map.entry("FloatStorage", DType.FLOAT32), Map.entry("DoubleStorage", DType.FLOAT64),
            Map.entry("HalfStorage", DType.FLOAT16), Map.entry("BFloat16Storage", DType.BFLOAT16),
            Map.entry("LongStorage", DType.INT64), Map.entry("IntStorage", DType.INT32),
            Map.entry("ShortStorage", DType.INT16), Map.entry("CharStorage", DType.INT8),
            Map.entry("ByteStorage", DType.UINT8), Map.entry("BoolStorage", DType.BOOL),
            Map.entry("ComplexFloatStorage", DType.COMPLEX64), Map.entry("ComplexDoubleStorage", DType.COMPLEX128));
    private static final Set<String> CALLABLES = Set.of(
            "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "collections.OrderedDict");
    private static final int MAX_DEPTH = 10_000;

    private final ByteBuffer in;
    private final String where;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, PickleValue> memo = new HashMap<>();

    /** Marks the start of a group on the stack (MARK). */
    private static final Object MARK = new Object();

    public RestrictedUnpickler(byte[] pickle, String where) {
        this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
        this.where = where;
    }

    /** Runs the pickle program and returns the object it builds. */
    public PickleValue load() {
        try {
            return run();
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw fail("ends in the middle of an instruction (truncated)");
        } catch (ClassCastException e) {
            throw fail("has an instruction applied to a value of the wrong kind");
        }
    }

    private KilnException fail(String problem) {
        return new KilnException(where + ": pickle " + problem);
    }

    private PickleValue run() {
        while (true) {
            if (!in.hasRemaining()) {
                throw fail("has no STOP instruction (truncated)");
            }
            int at = in.position();
            int op = in.get() & 0xFF;
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = in.get() & 0xFF;
                    if (v > 4) {
                        throw fail("protocol " + v + " is not supported (torch.save writes 2)");
                    }
                }
                case 0x95 -> in.getLong(); // FRAME: framing carries no meaning here
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw fail("stops with " + stack.size() + " values on the stack");
                    }
                    return value(pop());
                }
                case '(' -> {
                    if (marks.size() > MAX_DEPTH) {
                        throw fail("nests deeper than " + MAX_DEPTH);
                    }
                    marks.add(stack.size());
                }
                case '}' -> push(new PickleValue.Dict(new LinkedHashMap<>()));
                case ']' -> push(new PickleValue.PyList(new ArrayList<>()));
                case ')' -> push(new PickleValue.Tuple(List.of()));
                case 't' -> push(new PickleValue.Tuple(popMark()));
                case 0x85 -> push(new PickleValue.Tuple(List.of(value(pop()))));
                case 0x86 -> {
                    PickleValue b = value(pop());
                    PickleValue a = value(pop());
                    push(new PickleValue.Tuple(List.of(a, b)));
                }
                case 0x87 -> {
                    PickleValue c = value(pop());
                    PickleValue b = value(pop());
                    PickleValue a = value(pop());
                    push(new PickleValue.Tuple(List.of(a, b, c)));
                }
                case 'l' -> push(new PickleValue.PyList(new ArrayList<>(popMark())));
                case 'd' -> {
                    List<PickleValue> kv = popMark();
                    PickleValue.Dict d = new PickleValue.Dict(new LinkedHashMap<>());
                    putAll(d, kv);
                    push(d);
                }
                case 'N' -> push(new PickleValue.None());
                case 0x88 -> push(new PickleValue.Bool(true));
                case 0x89 -> push(new PickleValue.Bool(false));
                case 'J' -> push(new PickleValue.Int(in.getInt()));
                case 'K' -> push(new PickleValue.Int(in.get() & 0xFF));
                case 'M' -> push(new PickleValue.Int(in.getShort() & 0xFFFF));
                case 0x8a -> push(new PickleValue.Int(long1(in.get() & 0xFF)));
                case 'G' -> push(new PickleValue.Float(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))));
                case 'X' -> push(new PickleValue.Str(utf8(length(in.getInt() & 0xFFFFFFFFL))));
                case 0x8c -> push(new PickleValue.Str(utf8(length(in.get() & 0xFF))));
                case 0x8d -> push(new PickleValue.Str(utf8(length(in.getLong()))));
                case 'T' -> push(new PickleValue.Bytes(bytes(length(in.getInt() & 0xFFFFFFFFL))));
                case 'U' -> push(new PickleValue.Bytes(bytes(length(in.get() & 0xFF))));
                case 'B' -> push(new PickleValue.Bytes(bytes(length(in.getInt() & 0xFFFFFFFFL))));
                case 'C' -> push(new PickleValue.Bytes(bytes(length(in.get() & 0xFF))));
                case 'q' -> memo.put((long) (in.get() & 0xFF), value(peek()));
                case 'r' -> memo.put(in.getInt() & 0xFFFFFFFFL, value(peek()));
                case 0x94 -> memo.put((long) memo.size(), value(peek()));
                case 'h' -> push(memoGet(in.get() & 0xFF));
                case 'j' -> push(memoGet(in.getInt() & 0xFFFFFFFFL));
                case 'c' -> push(global(line(), line()));
                case 0x93 -> {
                    PickleValue name = value(pop());
                    PickleValue module = value(pop());
                    if (!(module instanceof PickleValue.Str m) || !(name instanceof PickleValue.Str n)) {
                        throw fail("STACK_GLOBAL needs two strings");
                    }
                    push(global(m.value(), n.value()));
                }
                case 'Q' -> push(persistent(value(pop())));
                case 'R' -> {
                    PickleValue args = value(pop());
                    PickleValue fn = value(pop());
                    push(call(fn, args));
                }
                case 's' -> {
                    PickleValue v = value(pop());
                    PickleValue k = value(pop());
                    putAll(dict(peek()), List.of(k, v));
                }
                case 'u' -> {
                    List<PickleValue> kv = popMark();
                    putAll(dict(peek()), kv);
                }
                case 'a' -> {
                    PickleValue v = value(pop());
                    list(peek()).items().add(v);
                }
                case 'e' -> {
                    List<PickleValue> vs = popMark();
                    list(peek()).items().addAll(vs);
                }
                case '0' -> pop();
                case '2' -> push(peek());
                default -> throw fail("instruction 0x" + Integer.toHexString(op) + " at byte " + at
                        + " is not allowed (only the data instructions torch.save emits are)");
            }
        }
    }

    // --- globals and calls ---

    private PickleValue global(String module, String name) {
        String q = module + "." + name;
        if (CALLABLES.contains(q) || module.equals("torch") && STORAGES.containsKey(name)) {
            return new PickleValue.Global(module, name);
        }
        throw fail("refers to the global '" + q + "', which is not allowed: only torch.save's tensor, parameter, "
                + "storage and OrderedDict globals are read (the file may not be a plain state dict, or may be malicious)");
    }

    private PickleValue call(PickleValue fn, PickleValue args) {
        if (!(fn instanceof PickleValue.Global g)) {
            throw fail("calls something that is not an allowed global");
        }
        if (!(args instanceof PickleValue.Tuple t)) {
            throw fail("calls " + g.qualified() + " without an argument tuple");
        }
        List<PickleValue> a = t.items();
        switch (g.qualified()) {
            case "collections.OrderedDict" -> {
                if (!a.isEmpty()) {
                    throw fail("calls collections.OrderedDict with arguments");
                }
                return new PickleValue.Dict(new LinkedHashMap<>());
            }
            case "torch._utils._rebuild_tensor_v2" -> {
                if (a.size() < 6 || !(a.get(0) instanceof PickleValue.Storage s)) {
                    throw fail("calls _rebuild_tensor_v2 with unexpected arguments");
                }
                return new PickleValue.Tensor(s, integer(a.get(1)), longs(a.get(2)), longs(a.get(3)), false);
            }
            case "torch._utils._rebuild_parameter" -> {
                if (a.size() != 3 || !(a.get(0) instanceof PickleValue.Tensor x)) {
                    throw fail("calls _rebuild_parameter with unexpected arguments");
                }
                return new PickleValue.Tensor(x.storage(), x.offset(), x.sizes(), x.strides(), true);
            }
            default -> throw fail("calls " + g.qualified() + ", which is a type marker, not a function");
        }
    }

    private PickleValue persistent(PickleValue pid) {
        if (pid instanceof PickleValue.Tuple t && t.items().size() == 5
                && t.items().get(0) instanceof PickleValue.Str tag && tag.value().equals("storage")
                && t.items().get(1) instanceof PickleValue.Global type && type.module().equals("torch")
                && STORAGES.containsKey(type.name())
                && t.items().get(2) instanceof PickleValue.Str key
                && t.items().get(3) instanceof PickleValue.Str location) {
            long numel = integer(t.items().get(4));
            if (numel < 0) {
                throw fail("names storage '" + key.value() + "' with a negative size");
            }
            return new PickleValue.Storage(key.value(), STORAGES.get(type.name()), numel, location.value());
        }
        throw fail("has a persistent id that is not a torch storage record");
    }

    // --- helpers ---

    private long integer(PickleValue v) {
        if (v instanceof PickleValue.Int i) {
            return i.value();
        }
        throw fail("has a non-integer where a size or offset belongs");
    }

    private long[] longs(PickleValue v) {
        if (!(v instanceof PickleValue.Tuple t)) {
            throw fail("has sizes or strides that are not a tuple");
        }
        long[] out = new long[t.items().size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(t.items().get(i));
        }
        return out;
    }

    private void putAll(PickleValue.Dict d, List<PickleValue> kv) {
        if (kv.size() % 2 != 0) {
            throw fail("sets a dict from an odd number of items");
        }
        for (int i = 0; i < kv.size(); i += 2) {
            PickleValue k = kv.get(i);
            if (!(k instanceof PickleValue.Str || k instanceof PickleValue.Int || k instanceof PickleValue.Bool)) {
                throw fail("uses a " + k.getClass().getSimpleName() + " as a dict key; only strings and ints are read");
            }
            d.entries().put(k, kv.get(i + 1));
        }
    }

    private PickleValue.Dict dict(Object o) {
        if (o instanceof PickleValue.Dict d) {
            return d;
        }
        throw fail("sets items on something that is not a dict");
    }

    private PickleValue.PyList list(Object o) {
        if (o instanceof PickleValue.PyList l) {
            return l;
        }
        throw fail("appends to something that is not a list");
    }

    private PickleValue memoGet(long key) {
        PickleValue v = memo.get(key);
        if (v == null) {
            throw fail("reads memo slot " + key + " before it was written");
        }
        return v;
    }

    private long long1(int n) {
        if (n > 8) {
            throw fail("has an integer of " + n + " bytes; only 64-bit integers are read");
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (in.get() & 0xFFL) << (8 * i);
        }
        if (n > 0 && n < 8 && (v & (1L << (8 * n - 1))) != 0) {
            v |= -1L << (8 * n); // sign-extend
        }
        return v;
    }

    private int length(long n) {
        if (n < 0 || n > in.remaining()) {
            throw fail("has a string of " + n + " bytes, more than remain (truncated or corrupt)");
        }
        return (int) n;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String utf8(int n) {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    private String line() {
        StringBuilder sb = new StringBuilder();
        while (true) {
            byte b = in.get();
            if (b == '\n') {
                return sb.toString();
            }
            if (sb.length() > 512) {
                throw fail("has a global name longer than 512 characters");
            }
            sb.append((char) (b & 0xFF));
        }
    }

    private void push(Object v) {
        if (stack.size() > 1_000_000) {
            throw fail("grows its stack past a million values");
        }
        stack.add(v);
    }

    private Object pop() {
        if (stack.isEmpty() || (!marks.isEmpty() && marks.get(marks.size() - 1) == stack.size())) {
            throw fail("pops from an empty stack");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        if (stack.isEmpty()) {
            throw fail("reads an empty stack");
        }
        return stack.get(stack.size() - 1);
    }

    private List<PickleValue> popMark() {
        if (marks.isEmpty()) {
            throw fail("closes a group that was never opened (no MARK)");
        }
        int m = marks.remove(marks.size() - 1);
        List<PickleValue> out = new ArrayList<>(stack.size() - m);
        for (int i = m; i < stack.size(); i++) {
            out.add(value(stack.get(i)));
        }
        stack.subList(m, stack.size()).clear();
        return out;
    }

    private PickleValue value(Object o) {
        if (o instanceof PickleValue v) {
            return v;
        }
        throw fail("uses a MARK as a value");
    }
}
