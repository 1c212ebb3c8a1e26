package dev.kiln.tck;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One generated call of an op: the exact overload and its arguments in the kit's small argument
 * language, turned into a one-node IR graph by {@link CaseGraph}. An argument is a {@link TensorSpec}
 * (a graph input), a {@link Weight} (a graph constant), {@link SymSize} (the runtime size of an
 * input's dimension, an {@code aten::sym_size.int} node), {@link IntOp} (scalar int arithmetic on
 * such sizes), a Java literal ({@code Long}, {@code Integer}, {@code Double}, {@code Boolean},
 * {@code String}, {@code DType}, {@code long[]}, {@code null} for None) or a {@code List} of those.
 *
 * <pre>{@code OpCase.of("aten::add.Tensor", x, y).kw("alpha", 2.0)}</pre>
 */
public record OpCase(String op, List<Object> args, Map<String, Object> kwargs, int[] exposed, List<TensorSpec> extraInputs) {

    public OpCase {
        Objects.requireNonNull(op, "op");
        args = java.util.Collections.unmodifiableList(new ArrayList<>(args));
        kwargs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(kwargs));
        exposed = exposed == null ? null : exposed.clone();
        extraInputs = List.copyOf(extraInputs);
    }

    public OpCase(String op, List<Object> args, Map<String, Object> kwargs, int[] exposed) {
        this(op, args, kwargs, exposed, List.of());
    }

    /** A tensor input by index (in order of appearance, {@link #withInputs} ones first), e.g. for {@code aten::size.int}. */
    public record InputRef(int input) {
    }

    /**
     * The same call with graph inputs that are not arguments but feed {@link SymSize}s (a factory whose
     * size is symbolic: without an input the graph could not become an engine).
     */
    public OpCase withInputs(TensorSpec... extra) {
        List<TensorSpec> l = new ArrayList<>(extraInputs);
        l.addAll(Arrays.asList(extra));
        return new OpCase(op, args, kwargs, exposed, l);
    }

    /** A constant (weight) of the graph. */
    public record Weight(TensorSpec data) {
    }

    /** The runtime size of dimension {@code dim} of tensor input number {@code input} (in order of appearance). */
    public record SymSize(int input, int dim) {
    }

    /** A scalar int op ({@code aten::mul.int}, {@code prim::max.int}, {@code aten::size.int}) on two arguments. */
    public record IntOp(String op, Object a, Object b) {
    }

    public static OpCase of(String op, Object... args) {
        return new OpCase(op, Arrays.asList(args), Map.of(), null);
    }

    /** The same call with keyword argument {@code name} set. */
    public OpCase kw(String name, Object value) {
        Map<String, Object> k = new LinkedHashMap<>(kwargs);
        k.put(name, value);
        return new OpCase(op, args, k, exposed, extraInputs);
    }

    /** Only the given node outputs become graph outputs (e.g. the values of max_pool2d_with_indices). */
    public OpCase exposing(int... outputs) {
        return new OpCase(op, args, kwargs, outputs, extraInputs);
    }

    /** The tensor inputs, in the order they become graph inputs. */
    public List<TensorSpec> inputs() {
        List<TensorSpec> out = new ArrayList<>(extraInputs);
        for (Object a : args) {
            collect(a, out);
        }
        for (Object a : kwargs.values()) {
            collect(a, out);
        }
        return out;
    }

    private static void collect(Object a, List<TensorSpec> out) {
        if (a instanceof TensorSpec t) {
            out.add(t);
        } else if (a instanceof List<?> l) {
            l.forEach(e -> collect(e, out));
        } else if (a instanceof IntOp io) {
            collect(io.a(), out);
            collect(io.b(), out);
        }
    }

    /** Whether any input has symbolic axes. */
    public boolean isDynamic() {
        return inputs().stream().anyMatch(t -> t.dynamicAxes().length > 0);
    }

    /** {@code aten::add.Tensor(f32[2, 3] normal seed=4, f32[3] normal seed=9, alpha=2.0)}. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        if (!extraInputs.isEmpty()) {
            sb.append("inputs ").append(extraInputs).append(": ");
        }
        sb.append(op).append('(');
        List<String> parts = new ArrayList<>();
        for (Object a : args) {
            parts.add(text(a));
        }
        kwargs.forEach((k, v) -> parts.add(k + "=" + text(v)));
        sb.append(String.join(", ", parts)).append(')');
        if (exposed != null) {
            sb.append(" outputs=").append(Arrays.toString(exposed));
        }
        return sb.toString();
    }

    private static String text(Object a) {
        if (a == null) {
            return "None";
        }
        if (a instanceof long[] l) {
            return Arrays.toString(l);
        }
        if (a instanceof Weight w) {
            return "weight " + w.data().text();
        }
        if (a instanceof List<?> l) {
            List<String> p = new ArrayList<>();
            l.forEach(e -> p.add(text(e)));
            return "[" + String.join(", ", p) + "]";
        }
        if (a instanceof String s) {
            return "'" + s + "'";
        }
        return String.valueOf(a);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OpCase c && c.text().equals(text());
    }

    @Override
    public int hashCode() {
        return text().hashCode();
    }

    @Override
    public String toString() {
        return text();
    }
}
