package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongBinaryOperator;

/**
 * An integer expression over {@link Symbol}s: the size of a dimension. Expressions are built through
 * the static factories, which fold constants and order commutative operands, so equal sizes built in
 * different ways compare equal in the common cases ({@code s0*2 + 1}).
 *
 * <pre>{@code SymExpr out = SymExpr.add(SymExpr.floorDiv(SymExpr.sub(h, SymExpr.of(1)), SymExpr.of(2)), SymExpr.of(1));}</pre>
 */
public sealed interface SymExpr permits SymExpr.Const, SymExpr.Sym, SymExpr.Op {

    /** A known size. */
    record Const(long value) implements SymExpr {
        @Override
        public String toString() {
            return Long.toString(value);
        }
    }

    /** A symbol. */
    record Sym(Symbol symbol) implements SymExpr {
        @Override
        public String toString() {
            return symbol.name();
        }
    }

    /** The operators a size expression may use, with their text form and precedence. */
    enum Kind {
        ADD("+", 1), MUL("*", 2), FLOORDIV("//", 2), MOD("%", 2), MAX("max", 3), MIN("min", 3);

        final String text;
        final int precedence;

        Kind(String text, int precedence) {
            this.text = text;
            this.precedence = precedence;
        }

        public String text() {
            return text;
        }

        boolean commutative() {
            return this == ADD || this == MUL || this == MAX || this == MIN;
        }
    }

    /** A binary operation; build it with the factories, not this constructor. */
    record Op(Kind kind, SymExpr lhs, SymExpr rhs) implements SymExpr {
        @Override
        public String toString() {
            if (kind == Kind.MAX || kind == Kind.MIN) {
                return kind.text + "(" + lhs + ", " + rhs + ")";
            }
            // Negative constants on the right of + print as subtraction.
            if (kind == Kind.ADD && rhs instanceof Const c && c.value() < 0) {
                return wrap(lhs, kind.precedence, false) + " - " + (-c.value());
            }
            if (kind == Kind.ADD && rhs instanceof Op m && m.kind == Kind.MUL && m.lhs instanceof Const c && c.value() == -1) {
                return wrap(lhs, kind.precedence, false) + " - " + wrap(m.rhs, kind.precedence, true);
            }
            return wrap(lhs, kind.precedence, false) + (kind == Kind.MUL ? "*" : " " + kind.text + " ") + wrap(rhs, kind.precedence, true);
        }

        private static String wrap(SymExpr e, int outer, boolean right) {
            if (e instanceof Op o && o.kind.precedence < 3 && (o.kind.precedence < outer || (right && o.kind.precedence == outer))) {
                return "(" + e + ")";
            }
            if (e instanceof Const c && c.value() < 0) {
                return "(" + e + ")";
            }
            return e.toString();
        }
    }

    static SymExpr of(long value) {
        return new Const(value);
    }

    static SymExpr of(Symbol symbol) {
        return new Sym(symbol);
    }

    static SymExpr add(SymExpr a, SymExpr b) {
        return make(Kind.ADD, a, b);
    }

    static SymExpr sub(SymExpr a, SymExpr b) {
        return add(a, mul(of(-1), b));
    }

    static SymExpr mul(SymExpr a, SymExpr b) {
        return make(Kind.MUL, a, b);
    }

    /** Python's {@code //}: rounds toward negative infinity. */
    static SymExpr floorDiv(SymExpr a, SymExpr b) {
        return make(Kind.FLOORDIV, a, b);
    }

    /** Python's {@code %}: the result has the sign of the divisor. */
    static SymExpr mod(SymExpr a, SymExpr b) {
        return make(Kind.MOD, a, b);
    }

    static SymExpr max(SymExpr a, SymExpr b) {
        return make(Kind.MAX, a, b);
    }

    static SymExpr min(SymExpr a, SymExpr b) {
        return make(Kind.MIN, a, b);
    }

    /** Builds {@code a kind b}, folding constants and identities and ordering commutative operands. */
    static SymExpr make(Kind kind, SymExpr a, SymExpr b) {
        if (a instanceof Const x && b instanceof Const y) {
            return of(apply(kind, x.value(), y.value()));
        }
        // put commutative operands in canonical order first, so the rules below see one orientation
        // and building an expression from its own parts gives it back (the text form relies on that)
        if (kind.commutative() && canonicalOrder(kind).compare(a, b) > 0) {
            SymExpr t = a;
            a = b;
            b = t;
        }
        switch (kind) {
            case ADD -> {
                if (b instanceof Const c && c.value() == 0) return a;
                if (a.equals(b)) return mul(of(2), a);
                // (x + c1) + c2 -> x + (c1 + c2)
                if (b instanceof Const c2 && a instanceof Op o && o.kind == Kind.ADD && o.rhs instanceof Const c1) {
                    return add(o.lhs, of(c1.value() + c2.value()));
                }
                // x - x -> 0 (as x + (-1)*x, in either order)
                if (b instanceof Op m && m.kind == Kind.MUL && m.lhs instanceof Const c && c.value() == -1 && m.rhs.equals(a)) {
                    return of(0);
                }
                if (a instanceof Op m && m.kind == Kind.MUL && m.lhs instanceof Const c && c.value() == -1 && m.rhs.equals(b)) {
                    return of(0);
                }
            }
            case MUL -> {
                if (a instanceof Const c && c.value() == 1) return b;
                if (a instanceof Const c && c.value() == 0) return of(0);
                // c1 * (c2 * x) -> (c1*c2) * x
                if (a instanceof Const c1 && b instanceof Op o && o.kind == Kind.MUL && o.lhs instanceof Const c2) {
                    return mul(of(c1.value() * c2.value()), o.rhs);
                }
            }
            case FLOORDIV -> {
                if (b instanceof Const c && c.value() == 1) return a;
                if (a.equals(b)) return of(1);
                // (c*x) // c -> x
                if (b instanceof Const c && a instanceof Op o && o.kind == Kind.MUL && o.lhs instanceof Const k && c.value() != 0 && k.value() % c.value() == 0) {
                    return mul(of(k.value() / c.value()), o.rhs);
                }
            }
            case MOD -> {
                if (b instanceof Const c && c.value() == 1) return of(0);
                if (a.equals(b)) return of(0);
            }
            case MAX, MIN -> {
                if (a.equals(b)) return a;
            }
        }
        return new Op(kind, a, b);
    }

    /** The operand order of {@code kind}: for + constants last ({@code s0 + 1}), otherwise first ({@code 2*s0}). */
    private static Comparator<SymExpr> canonicalOrder(Kind kind) {
        if (kind != Kind.ADD) {
            return ORDER;
        }
        return (x, y) -> {
            boolean cx = x instanceof Const;
            boolean cy = y instanceof Const;
            if (cx != cy) {
                return cx ? 1 : -1;
            }
            return x.toString().compareTo(y.toString());
        };
    }

    /** Orders operands deterministically: constants first, then by text. */
    Comparator<SymExpr> ORDER = (x, y) -> {
        int rx = x instanceof Const ? 0 : 1;
        int ry = y instanceof Const ? 0 : 1;
        if (rx != ry) {
            return Integer.compare(rx, ry);
        }
        return x.toString().compareTo(y.toString());
    };

    private static long apply(Kind kind, long x, long y) {
        return switch (kind) {
            case ADD -> Math.addExact(x, y);
            case MUL -> Math.multiplyExact(x, y);
            case FLOORDIV -> {
                if (y == 0) throw new KilnException("symbolic size divides by zero: " + x + " // 0");
                yield Math.floorDiv(x, y);
            }
            case MOD -> {
                if (y == 0) throw new KilnException("symbolic size takes a remainder by zero: " + x + " % 0");
                yield Math.floorMod(x, y);
            }
            case MAX -> Math.max(x, y);
            case MIN -> Math.min(x, y);
        };
    }

    /** Whether this is a known constant. */
    default boolean isConstant() {
        return this instanceof Const;
    }

    /** The value with every symbol bound; throws when a symbol is missing from {@code bindings}. */
    default long evaluate(Map<String, Long> bindings) {
        if (this instanceof Const c) {
            return c.value();
        }
        if (this instanceof Sym s) {
            Long v = bindings.get(s.symbol().name());
            if (v == null) throw new KilnException("no value bound for symbolic size " + s.symbol().name());
            return v;
        }
        Op o = (Op) this;
        return apply(o.kind(), o.lhs().evaluate(bindings), o.rhs().evaluate(bindings));
    }

    /** Symbols used, in name order. */
    default Set<Symbol> symbols() {
        Set<Symbol> out = new TreeSet<>(Comparator.comparing(Symbol::name));
        collect(this, out);
        return out;
    }

    private static void collect(SymExpr e, Set<Symbol> out) {
        if (e instanceof Sym s) {
            out.add(s.symbol());
        } else if (e instanceof Op o) {
            collect(o.lhs(), out);
            collect(o.rhs(), out);
        }
    }

    /** Inclusive lower bound over the symbols' ranges (interval arithmetic; may be loose). */
    default long lowerBound() {
        return bounds()[0];
    }

    /** Inclusive upper bound over the symbols' ranges; {@link Symbol#UNBOUNDED} when unbounded. */
    default long upperBound() {
        return bounds()[1];
    }

    private long[] bounds() {
        if (this instanceof Const c) {
            return new long[] {c.value(), c.value()};
        }
        if (this instanceof Sym s) {
            return new long[] {s.symbol().min(), s.symbol().max()};
        }
        Op o = (Op) this;
        long[] a = o.lhs().bounds();
        long[] b = o.rhs().bounds();
        return switch (o.kind()) {
                    case ADD -> new long[] {satAdd(a[0], b[0]), satAdd(a[1], b[1])};
                    case MUL -> corners(a, b, SymExpr::satMul);
                    case FLOORDIV -> (b[0] > 0) ? corners(a, b, (x, y) -> y == Long.MAX_VALUE ? (x >= 0 ? 0 : -1) : x == Long.MAX_VALUE ? Long.MAX_VALUE : Math.floorDiv(x, y))
                            : new long[] {Long.MIN_VALUE, Long.MAX_VALUE};
                    case MOD -> (b[0] > 0) ? new long[] {0, b[1] == Long.MAX_VALUE ? Long.MAX_VALUE : b[1] - 1} : new long[] {Long.MIN_VALUE, Long.MAX_VALUE};
                    case MAX -> new long[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])};
                    case MIN -> new long[] {Math.min(a[0], b[0]), Math.min(a[1], b[1])};
        };
    }

    private static long[] corners(long[] a, long[] b, LongBinaryOperator f) {
        List<Long> c = new ArrayList<>(4);
        for (long x : a) {
            for (long y : b) {
                c.add(f.applyAsLong(x, y));
            }
        }
        return new long[] {c.stream().min(Long::compare).orElseThrow(), c.stream().max(Long::compare).orElseThrow()};
    }

    private static long satAdd(long x, long y) {
        if (x == Long.MAX_VALUE || y == Long.MAX_VALUE) return Long.MAX_VALUE;
        if (x == Long.MIN_VALUE || y == Long.MIN_VALUE) return Long.MIN_VALUE;
        long r = x + y;
        if (((x ^ r) & (y ^ r)) < 0) return x > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        return r;
    }

    private static long satMul(long x, long y) {
        if (x == 0 || y == 0) return 0;
        if (Math.abs(x) == Long.MAX_VALUE || Math.abs(y) == Long.MAX_VALUE || x == Long.MIN_VALUE || y == Long.MIN_VALUE) {
            return (x > 0) == (y > 0) ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        long hi = Math.multiplyHigh(x, y);
        long lo = x * y;
        if ((hi == 0 && lo >= 0) || (hi == -1 && lo < 0)) return lo;
        return (x > 0) == (y > 0) ? Long.MAX_VALUE : Long.MIN_VALUE;
    }
}
