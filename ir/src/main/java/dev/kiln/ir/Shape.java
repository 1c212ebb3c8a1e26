package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.Comparator;

/**
 * The shape of a tensor: a list of sizes, each a {@link SymExpr} (a constant or an expression over
 * symbols), or unranked when nothing is known yet (TorchScript gives {@code Tensor} without shapes;
 * shape propagation fills them in).
 *
 * <pre>{@code Shape s = Shape.of(SymExpr.of(batch), SymExpr.of(3), SymExpr.of(224), SymExpr.of(224));}</pre>
 */
public final class Shape {
    private static final Shape UNRANKED = new Shape(null);
    private final List<SymExpr> dims;

    private Shape(List<SymExpr> dims) {
        this.dims = dims;
    }

    public static Shape unranked() {
        return UNRANKED;
    }

    public static Shape of(List<SymExpr> dims) {
        return new Shape(List.copyOf(dims));
    }

    public static Shape of(SymExpr... dims) {
        return new Shape(List.of(dims));
    }

    public static Shape of(long... sizes) {
        List<SymExpr> d = new ArrayList<>(sizes.length);
        for (long s : sizes) {
            d.add(SymExpr.of(s));
        }
        return new Shape(List.copyOf(d));
    }

    public static Shape scalar() {
        return new Shape(List.of());
    }

    public boolean isRanked() {
        return dims != null;
    }

    /** The sizes; throws for an unranked shape. */
    public List<SymExpr> dims() {
        requireRanked();
        return dims;
    }

    public int rank() {
        requireRanked();
        return dims.size();
    }

    public SymExpr dim(int i) {
        requireRanked();
        return dims.get(i < 0 ? i + dims.size() : i);
    }

    /** True when every size is a known constant. */
    public boolean isStatic() {
        return dims != null && dims.stream().allMatch(SymExpr::isConstant);
    }

    /** The sizes as numbers, when static. */
    public Optional<long[]> staticSizes() {
        if (!isStatic()) {
            return Optional.empty();
        }
        return Optional.of(dims.stream().mapToLong(d -> ((SymExpr.Const) d).value()).toArray());
    }

    /** The sizes with every symbol bound. */
    public long[] evaluate(Map<String, Long> bindings) {
        return dims().stream().mapToLong(d -> d.evaluate(bindings)).toArray();
    }

    /** Number of elements as an expression. */
    public SymExpr numel() {
        SymExpr n = SymExpr.of(1);
        for (SymExpr d : dims()) {
            n = SymExpr.mul(n, d);
        }
        return n;
    }

    /** Symbols used by any size, in name order. */
    public Set<Symbol> symbols() {
        Set<Symbol> out = new TreeSet<>(Comparator.comparing(Symbol::name));
        if (dims != null) {
            dims.forEach(d -> out.addAll(d.symbols()));
        }
        return out;
    }

    private void requireRanked() {
        if (dims == null) {
            throw new KilnException("the shape is not known yet (unranked); run shape propagation first");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && java.util.Objects.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hashCode(dims);
    }

    /** {@code [s0, 3, 224, 224]}, {@code []} for a scalar, {@code *} when unranked. */
    @Override
    public String toString() {
        if (dims == null) {
            return "*";
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(dims.get(i));
        }
        return sb.append(']').toString();
    }

    static String render(long[] sizes) {
        return Arrays.toString(sizes);
    }
}
