package dev.kiln.tck;

import dev.kiln.ir.DType;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The kit's generators, built on jqwik arbitraries so that failures shrink: sizes (mostly small,
 * often 1, sometimes large, with the element count capped), shapes of rank 0-5, shapes that
 * broadcast against a given one, dtypes, dims (negative ones too), dim subsets, tensors with special
 * values, and ready-made case generators for common op shapes (unary, binary with broadcasting).
 *
 * <pre>{@code Arbitrary<OpCase> c = Gen.unary("aten::relu", Gen.FLOATS, Values.normal().withSpecials());}</pre>
 */
public final class Gen {
    private Gen() {
    }

    public static final Set<DType> FLOATS = Collections.unmodifiableSet(EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16));
    public static final Set<DType> NUMERIC = Collections.unmodifiableSet(EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16,
            DType.INT32, DType.INT64));
    public static final Set<DType> INTS = Collections.unmodifiableSet(EnumSet.of(DType.INT32, DType.INT64));

    /** Generated tensors hold at most this many elements (large dims make the others small). */
    public static final long MAX_NUMEL = 1 << 13;

    /** One size: 1 (often), 2-6 (mostly), 7-16, or large (33-300). Shrinks toward 1. */
    public static Arbitrary<Long> size() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.just(1L)),
                net.jqwik.api.Tuple.of(12, Arbitraries.longs().between(2, 6)),
                net.jqwik.api.Tuple.of(3, Arbitraries.longs().between(7, 16)),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(33, 300)));
    }

    /** Sizes between {@code min} and {@code max}. */
    public static Arbitrary<Long> size(long min, long max) {
        return Arbitraries.longs().between(min, max).shrinkTowards(min);
    }

    /** A shape of rank in [minRank, maxRank] with at most {@link #MAX_NUMEL} elements. */
    public static Arbitrary<long[]> shape(int minRank, int maxRank) {
        return Arbitraries.integers().between(minRank, maxRank).flatMap(r -> shapeOfRank(r, size()));
    }

    /** A shape of rank in [minRank, maxRank] with every size drawn from {@code sizes}. */
    public static Arbitrary<long[]> shape(int minRank, int maxRank, Arbitrary<Long> sizes) {
        return Arbitraries.integers().between(minRank, maxRank).flatMap(r -> shapeOfRank(r, sizes));
    }

    private static Arbitrary<long[]> shapeOfRank(int rank, Arbitrary<Long> sizes) {
        return sizes.list().ofSize(rank).map(l -> capped(l.stream().mapToLong(Long::longValue).toArray()));
    }

    /** {@code s} with its largest sizes halved until it has at most {@link #MAX_NUMEL} elements. */
    public static long[] capped(long[] s) {
        long[] out = s.clone();
        while (numel(out) > MAX_NUMEL) {
            int big = 0;
            for (int i = 1; i < out.length; i++) {
                if (out[i] > out[big]) {
                    big = i;
                }
            }
            out[big] = Math.max(1, out[big] / 2);
        }
        return out;
    }

    public static long numel(long[] s) {
        long n = 1;
        for (long v : s) {
            n *= v;
        }
        return n;
    }

    /**
     * A shape that broadcasts with {@code s}: some leading dims dropped, some sizes replaced by 1
     * (shrinks toward {@code s} itself).
     */
    public static Arbitrary<long[]> broadcastWith(long[] s) {
        Arbitrary<Integer> drop = Arbitraries.integers().between(0, s.length);
        Arbitrary<List<Boolean>> ones = Arbitraries.of(false, false, false, true).list().ofSize(s.length);
        return Combinators.combine(drop, ones).as((d, o) -> {
            long[] out = Arrays.copyOfRange(s, d, s.length);
            for (int i = 0; i < out.length; i++) {
                if (o.get(i + d)) {
                    out[i] = 1;
                }
            }
            return out;
        });
    }

    public static Arbitrary<DType> dtype(Set<DType> dtypes) {
        List<DType> l = new ArrayList<>(new java.util.TreeSet<>(dtypes));
        // f32 first: shrinking goes there
        l.sort((a, b) -> a == DType.FLOAT32 ? -1 : b == DType.FLOAT32 ? 1 : a.compareTo(b));
        return Arbitraries.of(l);
    }

    /** A dim index for a tensor of {@code rank}, negative half of the time ({@code rank 0} accepts -1 and 0). */
    public static Arbitrary<Long> dim(int rank) {
        int r = Math.max(rank, 1);
        return Arbitraries.longs().between(-r, r - 1).shrinkTowards(0);
    }

    /** A non-empty set of distinct dims (each in positive or negative form), in random order. */
    public static Arbitrary<long[]> dims(int rank) {
        if (rank == 0) {
            return Arbitraries.of(new long[] {0}, new long[] {-1});
        }
        return Arbitraries.integers().between(0, rank - 1).set().ofMinSize(1).ofMaxSize(rank)
                .flatMap(set -> Arbitraries.of(false, true).list().ofSize(set.size()).map(neg -> {
                    long[] out = new long[set.size()];
                    int i = 0;
                    for (int d : new java.util.TreeSet<>(set)) {
                        out[i] = neg.get(i) ? d - rank : d;
                        i++;
                    }
                    return out;
                }));
    }

    /** A tensor of {@code dtype} and {@code sizes}; floats draw from {@code floats} with specials on or off. */
    public static Arbitrary<TensorSpec> tensor(DType dtype, long[] sizes, Values floats) {
        Values base = dtype.isFloatingPoint() ? floats : dtype == DType.BOOL ? Values.bools() : Values.ints(-20, 21);
        return tensor(dtype, sizes, base, base.specials());
    }

    /** A tensor with exactly these values (specials toggled by the generator when {@code specials}). */
    public static Arbitrary<TensorSpec> tensor(DType dtype, long[] sizes, Values values, boolean specials) {
        Arbitrary<Boolean> sp = specials ? Arbitraries.of(false, true, true) : Arbitraries.just(false);
        return Combinators.combine(Arbitraries.longs().between(0, 1 << 20), sp)
                .as((seed, s) -> new TensorSpec(dtype, sizes, values.withSpecials(s), seed, new int[0]));
    }

    /** A tensor of {@code dtype} with default values for it. */
    public static Arbitrary<TensorSpec> tensor(DType dtype, long[] sizes) {
        return tensor(dtype, sizes, Values.normal().withSpecials());
    }

    /** Cases drawn imperatively from a shrinkable choice sequence (see {@link Draw}). */
    public static Arbitrary<OpCase> draw(Function<Draw, OpCase> make) {
        return Arbitraries.longs().between(0, Long.MAX_VALUE).shrinkTowards(0).list().ofSize(48).map(l -> make.apply(new Draw(l)));
    }

    /** {@code op(x)} for x of rank 0-5 and a dtype in {@code dtypes}. */
    public static Arbitrary<OpCase> unary(String op, Set<DType> dtypes, Values floats) {
        return unary(op, dtypes, floats, x -> OpCase.of(op, x));
    }

    /** {@code make(x)} for x of rank 0-5 and a dtype in {@code dtypes}. */
    public static Arbitrary<OpCase> unary(String op, Set<DType> dtypes, Values floats, Function<TensorSpec, OpCase> make) {
        return Combinators.combine(dtype(dtypes), shape(0, 5)).flatAs((t, s) -> tensor(t, s, floats)).map(make);
    }

    /** {@code make(x, y)} with y's shape broadcasting against x's (either may be the larger), same dtype. */
    public static Arbitrary<OpCase> binary(Set<DType> dtypes, Values floats, java.util.function.BiFunction<TensorSpec, TensorSpec, OpCase> make) {
        return Combinators.combine(dtype(dtypes), shape(0, 5), Arbitraries.of(false, true)).flatAs((t, s, swap) ->
                broadcastWith(s).flatMap(o -> Combinators.combine(tensor(t, swap ? o : s, floats), tensor(t, swap ? s : o, floats))
                        .as(make::apply)));
    }

    /**
     * The case with dim 0 symbolic in its first input and in every other input of the same rank and
     * size there (size 1 stays static: it broadcasts).
     */
    public static OpCase batchDynamic(OpCase c) {
        List<TensorSpec> ins = c.inputs();
        if (ins.isEmpty() || ins.get(0).rank() == 0 || ins.get(0).sizes()[0] < 2) {
            return c;
        }
        TensorSpec first = ins.get(0);
        java.util.Map<TensorSpec, TensorSpec> swap = new java.util.IdentityHashMap<>();
        for (TensorSpec t : ins) {
            if (t == first || t.rank() == first.rank() && t.sizes()[0] == first.sizes()[0]) {
                swap.put(t, t.dynamic(0));
            }
        }
        return replace(c, swap);
    }

    /** {@code c} with tensor specs replaced (identity map). */
    public static OpCase replace(OpCase c, java.util.Map<TensorSpec, TensorSpec> swap) {
        List<Object> args = new ArrayList<>();
        for (Object a : c.args()) {
            args.add(replace(a, swap));
        }
        java.util.Map<String, Object> kw = new java.util.LinkedHashMap<>();
        c.kwargs().forEach((k, v) -> kw.put(k, replace(v, swap)));
        List<TensorSpec> extra = new ArrayList<>();
        c.extraInputs().forEach(t -> extra.add(swap.getOrDefault(t, t)));
        return new OpCase(c.op(), args, kw, c.exposed(), extra);
    }

    private static Object replace(Object a, java.util.Map<TensorSpec, TensorSpec> swap) {
        if (a instanceof TensorSpec t) {
            return swap.getOrDefault(t, t);
        }
        if (a instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(e -> out.add(replace(e, swap)));
            return out;
        }
        if (a instanceof OpCase.IntOp io) {
            return new OpCase.IntOp(io.op(), replace(io.a(), swap), replace(io.b(), swap));
        }
        return a;
    }
}
