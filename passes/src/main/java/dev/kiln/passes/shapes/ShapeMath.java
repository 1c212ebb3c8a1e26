package dev.kiln.passes.shapes;

import dev.kiln.ir.SymExpr;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Size arithmetic on {@link SymExpr}s shared by the shape rules: products, exact division that
 * cancels common factors ({@code 192*s0 / s0 = 192}), ceiling division, and the output-size formulas
 * of convolution and pooling exactly as ATen computes them.
 *
 * <pre>{@code SymExpr h = ShapeMath.convOutput(SymExpr.of(h), 3, 1, 1, 2); // (h + 2 - 2 - 1) // 2 + 1}</pre>
 */
public final class ShapeMath {
    private ShapeMath() {
    }

    static final SymExpr ZERO = SymExpr.of(0);
    static final SymExpr ONE = SymExpr.of(1);

    /** The product of {@code dims}, 1 for none. */
    public static SymExpr product(List<SymExpr> dims) {
        SymExpr n = ONE;
        for (SymExpr d : dims) {
            n = SymExpr.mul(n, d);
        }
        return n;
    }

    /**
     * {@code a / b} for sizes known to divide exactly (a reshape's {@code -1}, a split's pieces):
     * common factors of the two products cancel, so {@code (3*s0*64) / s0} is {@code 192}. Falls back
     * to {@code a // b} when the factors do not cancel.
     */
    public static SymExpr exactDiv(SymExpr a, SymExpr b) {
        if (a instanceof SymExpr.Const x && b instanceof SymExpr.Const y && y.value() != 0) {
            return SymExpr.of(Math.floorDiv(x.value(), y.value()));
        }
        Factors fa = Factors.of(a);
        Factors fb = Factors.of(b);
        if (fb.constant != 0 && fa.constant % fb.constant == 0) {
            List<SymExpr> rest = new ArrayList<>(fa.factors);
            boolean all = true;
            for (SymExpr f : fb.factors) {
                if (!rest.remove(f)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                SymExpr r = SymExpr.of(fa.constant / fb.constant);
                for (SymExpr f : rest) {
                    r = SymExpr.mul(r, f);
                }
                return r;
            }
        }
        return SymExpr.floorDiv(a, b);
    }

    /** A product split into its constant and its other factors (sorted by text). */
    private record Factors(long constant, List<SymExpr> factors) {
        static Factors of(SymExpr e) {
            List<SymExpr> out = new ArrayList<>();
            long c = collect(e, out);
            out.sort(SymExpr.ORDER);
            return new Factors(c, out);
        }

        private static long collect(SymExpr e, List<SymExpr> out) {
            if (e instanceof SymExpr.Const c) {
                return c.value();
            }
            if (e instanceof SymExpr.Op o && o.kind() == SymExpr.Kind.MUL) {
                return Math.multiplyExact(collect(o.lhs(), out), collect(o.rhs(), out));
            }
            out.add(e);
            return 1;
        }
    }

    /**
     * {@code a - b} when it is a constant once both sides are written as sums of terms with integer
     * coefficients ({@code s0 - (s0 - 1) = 1}); empty otherwise.
     */
    public static Optional<Long> constantDifference(SymExpr a, SymExpr b) {
        Map<String, Long> terms = new TreeMap<>();
        long c = Math.addExact(linear(a, 1, terms), linear(b, -1, terms));
        for (long coeff : terms.values()) {
            if (coeff != 0) {
                return Optional.empty();
            }
        }
        return Optional.of(c);
    }

    /** Adds {@code scale * e} to {@code terms} (keyed by the term's text) and returns its constant part. */
    private static long linear(SymExpr e, long scale, Map<String, Long> terms) {
        if (e instanceof SymExpr.Const k) {
            return Math.multiplyExact(scale, k.value());
        }
        if (e instanceof SymExpr.Op o && o.kind() == SymExpr.Kind.ADD) {
            return Math.addExact(linear(o.lhs(), scale, terms), linear(o.rhs(), scale, terms));
        }
        if (e instanceof SymExpr.Op o && o.kind() == SymExpr.Kind.MUL && o.lhs() instanceof SymExpr.Const k) {
            return linear(o.rhs(), Math.multiplyExact(scale, k.value()), terms);
        }
        terms.merge(e.toString(), scale, Long::sum);
        return 0;
    }

    /**
     * Rewrites {@code e} as a sum of distinct terms with integer coefficients plus one constant,
     * simplifying inside divisions, remainders, min and max: {@code ((2 + s1) - 2) - 1} becomes
     * {@code s1 - 1}. Built through the {@link SymExpr} factories, so equal sums come out identical.
     */
    public static SymExpr simplify(SymExpr e) {
        if (e instanceof SymExpr.Const || e instanceof SymExpr.Sym) {
            return e;
        }
        SymExpr.Op o = (SymExpr.Op) e;
        if (o.kind() == SymExpr.Kind.ADD || (o.kind() == SymExpr.Kind.MUL && o.lhs() instanceof SymExpr.Const)) {
            Map<String, Term> terms = new TreeMap<>();
            long c = collectTerms(e, 1, terms);
            SymExpr acc = null;
            for (Term t : terms.values()) {
                if (t.coeff == 0) {
                    continue;
                }
                SymExpr term = t.coeff == 1 ? t.atom : SymExpr.mul(SymExpr.of(t.coeff), t.atom);
                acc = acc == null ? term : SymExpr.add(acc, term);
            }
            if (acc == null) {
                return SymExpr.of(c);
            }
            return c == 0 ? acc : SymExpr.add(acc, SymExpr.of(c));
        }
        return SymExpr.make(o.kind(), simplify(o.lhs()), simplify(o.rhs()));
    }

    private static final class Term {
        final SymExpr atom;
        long coeff;

        Term(SymExpr atom) {
            this.atom = atom;
        }
    }

    private static long collectTerms(SymExpr e, long scale, Map<String, Term> terms) {
        if (e instanceof SymExpr.Const k) {
            return Math.multiplyExact(scale, k.value());
        }
        if (e instanceof SymExpr.Op o && o.kind() == SymExpr.Kind.ADD) {
            return Math.addExact(collectTerms(o.lhs(), scale, terms), collectTerms(o.rhs(), scale, terms));
        }
        if (e instanceof SymExpr.Op o && o.kind() == SymExpr.Kind.MUL && o.lhs() instanceof SymExpr.Const k) {
            return collectTerms(o.rhs(), Math.multiplyExact(scale, k.value()), terms);
        }
        SymExpr atom = e instanceof SymExpr.Op o ? SymExpr.make(o.kind(), simplify(o.lhs()), simplify(o.rhs())) : e;
        if (atom instanceof SymExpr.Const || (atom instanceof SymExpr.Op a && (a.kind() == SymExpr.Kind.ADD
                || (a.kind() == SymExpr.Kind.MUL && a.lhs() instanceof SymExpr.Const)))) {
            return collectTerms(atom, scale, terms); // simplifying the parts made it a sum again
        }
        Term t = terms.computeIfAbsent(atom.toString(), k -> new Term(atom));
        t.coeff = Math.addExact(t.coeff, scale);
        return 0;
    }

    /** The sum of {@code dims}, 0 for none. */
    public static SymExpr sum(List<SymExpr> dims) {
        SymExpr n = ZERO;
        for (SymExpr d : dims) {
            n = SymExpr.add(n, d);
        }
        return n;
    }

    /** {@code max(e, 0)}, left out when the symbols' ranges show {@code e >= 0}. */
    public static SymExpr nonNegative(SymExpr e) {
        Optional<Long> k = constantDifference(e, ZERO);
        if (k.isPresent()) {
            return SymExpr.of(Math.max(k.get(), 0));
        }
        if (e.lowerBound() >= 0) {
            return e;
        }
        if (e.upperBound() <= 0) {
            return ZERO;
        }
        return SymExpr.max(e, ZERO);
    }

    /** {@code min(e, bound)}, left out when {@code e <= bound} is evident. */
    public static SymExpr atMost(SymExpr e, SymExpr bound) {
        Optional<Long> k = constantDifference(bound, e);
        if (k.isPresent()) {
            return k.get() >= 0 ? e : bound;
        }
        if (provablyAtMost(e, bound)) {
            return e;
        }
        if (provablyAtMost(bound, e)) {
            return bound;
        }
        return SymExpr.min(e, bound);
    }

    /** Whether {@code a <= b} for every value of the symbols (a sound, incomplete check). */
    public static boolean provablyAtMost(SymExpr a, SymExpr b) {
        Optional<Long> k = constantDifference(b, a);
        if (k.isPresent()) {
            return k.get() >= 0;
        }
        if (SymExpr.sub(b, a).lowerBound() >= 0) {
            return true;
        }
        // x // c <= x for x >= 0 and c >= 1
        if (a instanceof SymExpr.Op o && o.kind() == SymExpr.Kind.FLOORDIV && o.rhs() instanceof SymExpr.Const c
                && c.value() >= 1 && o.lhs().lowerBound() >= 0) {
            return provablyAtMost(o.lhs(), b);
        }
        if (a instanceof SymExpr.Op o && o.kind() == SymExpr.Kind.MIN) {
            return provablyAtMost(o.lhs(), b) || provablyAtMost(o.rhs(), b);
        }
        if (b instanceof SymExpr.Op o && o.kind() == SymExpr.Kind.MAX) {
            return provablyAtMost(a, o.lhs()) || provablyAtMost(a, o.rhs());
        }
        return false;
    }

    /** {@code ceil(a / b)} for a positive divisor: {@code (a + b - 1) // b}. */
    public static SymExpr ceilDiv(SymExpr a, SymExpr b) {
        return SymExpr.floorDiv(SymExpr.add(a, SymExpr.sub(b, ONE)), b);
    }

    /** Convolution output size: {@code (in + 2p - d*(k-1) - 1) // s + 1}. */
    public static SymExpr convOutput(SymExpr in, SymExpr kernel, long stride, long padding, long dilation) {
        SymExpr span = SymExpr.mul(SymExpr.of(dilation), SymExpr.sub(kernel, ONE));
        SymExpr num = SymExpr.sub(SymExpr.sub(SymExpr.add(in, SymExpr.of(2 * padding)), span), ONE);
        return SymExpr.add(SymExpr.floorDiv(num, SymExpr.of(stride)), ONE);
    }

    /** Transposed convolution output size: {@code (in - 1)*s - 2p + d*(k-1) + output_padding + 1}. */
    public static SymExpr convTransposeOutput(SymExpr in, SymExpr kernel, long stride, long padding, long dilation,
                                              long outputPadding) {
        SymExpr r = SymExpr.mul(SymExpr.sub(in, ONE), SymExpr.of(stride));
        r = SymExpr.add(r, SymExpr.of(-2 * padding));
        r = SymExpr.add(r, SymExpr.mul(SymExpr.of(dilation), SymExpr.sub(kernel, ONE)));
        return SymExpr.add(r, SymExpr.of(outputPadding + 1));
    }

    /**
     * Pooling output size as ATen's {@code pooling_output_shape}: like {@link #convOutput}, and in
     * ceil mode rounded up but never starting a window in the right padding. The ceil-mode correction
     * is written as {@code min(ceil_size, (in + p - 1) // s + 1)}, which equals ATen's "decrement when
     * the last window starts past the input" for every padding ATen accepts ({@code p <= k/2}).
     */
    public static SymExpr poolOutput(SymExpr in, long kernel, long stride, long padding, long dilation, boolean ceilMode) {
        SymExpr num = SymExpr.add(in, SymExpr.of(2 * padding - dilation * (kernel - 1) - 1));
        if (!ceilMode) {
            return SymExpr.add(SymExpr.floorDiv(num, SymExpr.of(stride)), ONE);
        }
        SymExpr ceil = SymExpr.add(SymExpr.floorDiv(SymExpr.add(num, SymExpr.of(stride - 1)), SymExpr.of(stride)), ONE);
        SymExpr lastStart = SymExpr.add(SymExpr.floorDiv(SymExpr.add(in, SymExpr.of(padding - 1)), SymExpr.of(stride)), ONE);
        return SymExpr.min(ceil, lastStart);
    }

    /** {@code floor(in * scale)} as ATen sizes an upsample; empty when the scale is not a short binary fraction and {@code in} is symbolic. */
    public static Optional<SymExpr> scaled(SymExpr in, double scale) {
        if (in instanceof SymExpr.Const c) {
            return Optional.of(SymExpr.of((long) Math.floor(c.value() * scale)));
        }
        for (int k = 0; k <= 10; k++) {
            double m = scale * (1 << k);
            if (m == Math.rint(m) && Math.abs(m) < (1L << 40)) {
                return Optional.of(SymExpr.floorDiv(SymExpr.mul(in, SymExpr.of((long) m)), SymExpr.of(1L << k)));
            }
        }
        return Optional.empty();
    }

    /**
     * True when {@code a} and {@code b} provably differ: both constant and unequal, or unequal at
     * every probe binding of their symbols. Sizes that merely print differently are not "different".
     */
    public static boolean provablyDifferent(SymExpr a, SymExpr b) {
        if (a.equals(b)) {
            return false;
        }
        if (a.isConstant() && b.isConstant()) {
            return true;
        }
        Optional<Long> k = constantDifference(a, b);
        return k.isPresent() && k.get() != 0;
    }

    /** Whether {@code a} and {@code b} agree at several bindings of their symbols within the symbols' ranges. */
    public static boolean agreeAtProbes(SymExpr a, SymExpr b) {
        if (a.equals(b)) {
            return true;
        }
        java.util.Set<dev.kiln.ir.Symbol> syms = new java.util.TreeSet<>(java.util.Comparator.comparing(dev.kiln.ir.Symbol::name));
        syms.addAll(a.symbols());
        syms.addAll(b.symbols());
        for (Map<String, Long> binding : probeBindings(List.copyOf(syms))) {
            try {
                if (a.evaluate(binding) != b.evaluate(binding)) {
                    return false;
                }
            } catch (RuntimeException e) {
                return false;
            }
        }
        return true;
    }

    /** A few bindings per symbol set: the range ends, small values and a large one, each symbol varied. */
    public static List<Map<String, Long>> probeBindings(List<dev.kiln.ir.Symbol> symbols) {
        long[] picks = {2, 3, 5, 7, 16, 31, 64, 100, 1000, 1};
        List<Map<String, Long>> out = new ArrayList<>();
        for (int round = 0; round < picks.length + 2; round++) {
            Map<String, Long> b = new TreeMap<>();
            for (int i = 0; i < symbols.size(); i++) {
                dev.kiln.ir.Symbol s = symbols.get(i);
                long v;
                if (round == picks.length) {
                    v = s.min();
                } else if (round == picks.length + 1) {
                    v = s.bounded() ? s.max() : s.min() + 97;
                } else {
                    v = picks[(round + i) % picks.length];
                }
                v = Math.max(s.min(), Math.min(s.max(), v));
                b.put(s.name(), v);
            }
            out.add(Collections.unmodifiableMap(b));
        }
        return out;
    }

    /**
     * The {@code permute} order of {@code movedim(x, source, destination)} on a tensor of rank {@code rank}: result dim
     * {@code i} is input dim {@code order[i]}, the dims not moved keeping their order (as PyTorch). Null when the lists
     * differ in length, repeat a dim or name one out of range.
     */
    public static long[] movedimOrder(long[] source, long[] destination, int rank) {
        if (source.length != destination.length) {
            return null;
        }
        long[] order = new long[rank];
        java.util.Arrays.fill(order, -1);
        boolean[] moved = new boolean[rank];
        for (int i = 0; i < source.length; i++) {
            if (source[i] < -rank || source[i] >= rank || destination[i] < -rank || destination[i] >= rank) {
                return null;
            }
            int s = (int) (source[i] < 0 ? source[i] + rank : source[i]);
            int d = (int) (destination[i] < 0 ? destination[i] + rank : destination[i]);
            if (moved[s] || order[d] >= 0) {
                return null;
            }
            moved[s] = true;
            order[d] = s;
        }
        int next = 0;
        for (int d = 0; d < rank; d++) {
            if (order[d] < 0) {
                while (moved[next]) {
                    next++;
                }
                order[d] = next++;
            }
        }
        return order;
    }
}
