package dev.kiln.tck;

import dev.kiln.ir.DType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Imperative generation over a jqwik-generated choice sequence (the Hypothesis idea): each call takes
 * the next choice and maps it into the asked range, so jqwik's shrinking of the choices toward 0
 * shrinks every drawn value toward its simplest form (sizes toward 1, ranks toward the minimum,
 * specials off, the first option of a pick). Use it through {@link Gen#draw}, when a case's
 * arguments depend on each other too much for combinators to read well.
 *
 * <pre>{@code Gen.draw(d -> { long[] s = d.shape(1, 4); return OpCase.of("aten::softmax.int", d.tensor(DType.FLOAT32, s), d.dim(s.length)); })}</pre>
 */
public final class Draw {
    private final List<Long> choices;
    private int next;
    private Random overflow;

    Draw(List<Long> choices) {
        this.choices = choices;
    }

    private long choice() {
        if (next < choices.size()) {
            return choices.get(next++);
        }
        if (overflow == null) {
            overflow = new Random(choices.hashCode());
        }
        return overflow.nextLong() & Long.MAX_VALUE;
    }

    /** An int in [lo, hi], shrinking toward lo. */
    public int between(int lo, int hi) {
        return (int) longBetween(lo, hi);
    }

    /** A long in [lo, hi], shrinking toward lo. */
    public long longBetween(long lo, long hi) {
        if (hi <= lo) {
            return lo;
        }
        return lo + Math.floorMod(choice(), hi - lo + 1);
    }

    public boolean bool() {
        return between(0, 1) == 1;
    }

    /** True about one time in {@code n}. */
    public boolean oneIn(int n) {
        return between(0, n - 1) == n - 1;
    }

    @SafeVarargs
    public final <T> T pick(T... options) {
        return options[between(0, options.length - 1)];
    }

    public <T> T pick(List<T> options) {
        return options.get(between(0, options.size() - 1));
    }

    /** A dtype of {@code dtypes}, f32 first. */
    public DType dtype(Set<DType> dtypes) {
        List<DType> l = new ArrayList<>(new java.util.TreeSet<>(dtypes));
        l.sort((a, b) -> a == DType.FLOAT32 ? -1 : b == DType.FLOAT32 ? 1 : a.compareTo(b));
        return pick(l);
    }

    /** A size as {@link Gen#size()} draws it: 1 often, 2-6 mostly, 7-16 sometimes, 33-300 rarely. */
    public long size() {
        int c = between(0, 18);
        return c <= 2 ? 1 : c <= 14 ? longBetween(2, 6) : c <= 17 ? longBetween(7, 16) : longBetween(33, 300);
    }

    /** A size in [lo, hi]. */
    public long size(long lo, long hi) {
        return longBetween(lo, hi);
    }

    /** A shape of rank in [minRank, maxRank], at most {@link Gen#MAX_NUMEL} elements. */
    public long[] shape(int minRank, int maxRank) {
        int r = between(minRank, maxRank);
        long[] s = new long[r];
        for (int i = 0; i < r; i++) {
            s[i] = size();
        }
        return Gen.capped(s);
    }

    /** A shape of rank in [minRank, maxRank] with sizes in [lo, hi]. */
    public long[] shape(int minRank, int maxRank, long lo, long hi) {
        int r = between(minRank, maxRank);
        long[] s = new long[r];
        for (int i = 0; i < r; i++) {
            s[i] = longBetween(lo, hi);
        }
        return Gen.capped(s);
    }

    /** A shape broadcasting with {@code s}: leading dims dropped, some sizes set to 1. */
    public long[] broadcastWith(long[] s) {
        int drop = between(0, s.length);
        long[] out = Arrays.copyOfRange(s, drop, s.length);
        for (int i = 0; i < out.length; i++) {
            if (oneIn(4)) {
                out[i] = 1;
            }
        }
        return out;
    }

    /** A dim of a rank-{@code rank} tensor, possibly negative. */
    public long dim(int rank) {
        int r = Math.max(rank, 1);
        long d = longBetween(0, r - 1);
        return bool() ? d - r : d;
    }

    /** Distinct dims (non-empty), each possibly negative, in increasing positive order. */
    public long[] dims(int rank) {
        int r = Math.max(rank, 1);
        List<Long> out = new ArrayList<>();
        for (int d = 0; d < r; d++) {
            if (bool()) {
                out.add(bool() ? d - (long) r : d);
            }
        }
        if (out.isEmpty()) {
            out.add(dim(rank));
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** A tensor of {@code dtype}; floats draw from {@code floats} (its specials on or off), ints small, bools 0/1. */
    public TensorSpec tensor(DType dtype, long[] sizes, Values floats) {
        Values v = dtype.isFloatingPoint() ? floats : dtype == DType.BOOL ? Values.bools() : floats.kind() == Values.Kind.INTS ? floats
                : Values.ints(-20, 21);
        boolean specials = v.specials() && between(0, 2) > 0;
        return new TensorSpec(dtype, sizes, v.withSpecials(specials), longBetween(0, 1 << 20), new int[0]);
    }

    /** A tensor with normal floats and finite specials. */
    public TensorSpec tensor(DType dtype, long[] sizes) {
        return tensor(dtype, sizes, Values.normal().withSpecials());
    }

    /** A real number in [lo, hi], shrinking toward lo. */
    public double real(double lo, double hi) {
        return lo + (hi - lo) * (longBetween(0, 1000) / 1000.0);
    }
}
