package dev.kiln.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Objects;

/**
 * One argument of a {@link Node}: a reference to a {@link Value}, or a literal (int, float, bool,
 * string, none, dtype, device, layout, memory format) or a list of arguments, which may mix values
 * and literals ({@code [%batch, -1]} in a reshape). Nodes hold their arguments in schema order with
 * every default filled in.
 *
 * <pre>{@code List<Arg> args = List.of(x, w, Arg.NONE, Arg.ints(1, 1));}</pre>
 */
public sealed interface Arg permits Value, Arg.IntLit, Arg.FloatLit, Arg.BoolLit, Arg.StrLit, Arg.NoneLit,
        Arg.DTypeLit, Arg.DeviceLit, Arg.LayoutLit, Arg.MemoryFormatLit, Arg.ListArg {

    NoneLit NONE = new NoneLit();

    record IntLit(long value) implements Arg {
        @Override
        public String toString() {
            return Long.toString(value);
        }
    }

    record FloatLit(double value) implements Arg {
        @Override
        public boolean equals(Object o) {
            // bitwise, so NaN equals NaN and -0.0 differs from 0.0 (matters for CSE and round trips)
            return o instanceof FloatLit f && Double.doubleToLongBits(f.value) == Double.doubleToLongBits(value);
        }

        @Override
        public int hashCode() {
            return Double.hashCode(value);
        }

        @Override
        public String toString() {
            return Double.toString(value);
        }
    }

    record BoolLit(boolean value) implements Arg {
        @Override
        public String toString() {
            return Boolean.toString(value);
        }
    }

    record StrLit(String value) implements Arg {
        public StrLit {
            Objects.requireNonNull(value, "value");
        }
    }

    record NoneLit() implements Arg {
        @Override
        public String toString() {
            return "none";
        }
    }

    record DTypeLit(DType value) implements Arg {
        public DTypeLit {
            Objects.requireNonNull(value, "value");
        }
    }

    /** A device such as {@code cpu} or {@code cuda:0}. */
    record DeviceLit(String value) implements Arg {
        public DeviceLit {
            Objects.requireNonNull(value, "value");
        }
    }

    /** A layout such as {@code strided}. */
    record LayoutLit(String value) implements Arg {
        public LayoutLit {
            Objects.requireNonNull(value, "value");
        }
    }

    /** A memory format: {@code contiguous_format}, {@code channels_last}, {@code channels_last_3d}, {@code preserve_format}. */
    record MemoryFormatLit(String value) implements Arg {
        public MemoryFormatLit {
            Objects.requireNonNull(value, "value");
        }
    }

    record ListArg(List<Arg> elements) implements Arg {
        public ListArg {
            elements = List.copyOf(elements);
        }
    }

    static IntLit of(long v) {
        return new IntLit(v);
    }

    static FloatLit of(double v) {
        return new FloatLit(v);
    }

    static BoolLit of(boolean v) {
        return new BoolLit(v);
    }

    static StrLit of(String v) {
        return new StrLit(v);
    }

    static DTypeLit of(DType v) {
        return new DTypeLit(v);
    }

    /**
     * The literal argument for a plain Java value: {@code Long} or {@code Integer} (int), {@code Double}
     * (float), {@code Boolean}, {@code String}, {@link DType}, {@code long[]} (an int list) and {@code null}
     * (none); empty for anything else.
     */
    static Optional<Arg> literal(Object o) {
        if (o == null) {
            return Optional.of(NONE);
        }
        if (o instanceof Long l) {
            return Optional.of(of(l.longValue()));
        }
        if (o instanceof Integer i) {
            return Optional.of(of((long) i));
        }
        if (o instanceof Double d) {
            return Optional.of(of(d.doubleValue()));
        }
        if (o instanceof Boolean b) {
            return Optional.of(of(b.booleanValue()));
        }
        if (o instanceof String s) {
            return Optional.of(of(s));
        }
        if (o instanceof DType t) {
            return Optional.of(of(t));
        }
        if (o instanceof long[] ls) {
            return Optional.of(ints(ls));
        }
        return Optional.empty();
    }

    static ListArg list(List<? extends Arg> elements) {
        return new ListArg(new ArrayList<>(elements));
    }

    static ListArg ints(long... values) {
        List<Arg> l = new ArrayList<>(values.length);
        for (long v : values) {
            l.add(new IntLit(v));
        }
        return new ListArg(l);
    }

    static ListArg floats(double... values) {
        List<Arg> l = new ArrayList<>(values.length);
        for (double v : values) {
            l.add(new FloatLit(v));
        }
        return new ListArg(l);
    }

    default boolean isNone() {
        return this instanceof NoneLit;
    }

    /** Every {@link Value} referenced by this argument, in order (lists are flattened). */
    default List<Value> values() {
        List<Value> out = new ArrayList<>();
        collectValues(this, out);
        return out;
    }

    private static void collectValues(Arg a, List<Value> out) {
        if (a instanceof Value v) {
            out.add(v);
        } else if (a instanceof ListArg l) {
            for (Arg e : l.elements()) {
                collectValues(e, out);
            }
        }
    }
}
