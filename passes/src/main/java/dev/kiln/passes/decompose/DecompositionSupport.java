package dev.kiln.passes.decompose;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.passes.Ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the decompositions of this package share: reading an input's type and static sizes, the dims a reduction
 * argument names, result types of reductions, literal checks for {@link Decomposition#unsupported}, 0-d constants and
 * size lists.
 */
final class DecompositionSupport {
    private DecompositionSupport() {
    }

    /** The tensor type of {@code v} when its dtype and rank are known. */
    static Optional<TensorType> known(Value v) {
        return v.type() instanceof TensorType t && t.dtype().isPresent() && t.shape().isRanked() ? Optional.of(t) : Optional.empty();
    }

    static TensorType typeOf(Node n, int arg) {
        return known((Value) n.arg(arg)).orElseThrow();
    }

    /** The static size of dim {@code d}, or -1. */
    static long size(TensorType t, int d) {
        return t.shape().dim(d) instanceof SymExpr.Const c ? c.value() : -1;
    }

    /** The longs of an int literal or a list of int literals. */
    static long[] longs(Arg a) {
        if (a instanceof Arg.IntLit i) {
            return new long[] {i.value()};
        }
        if (a instanceof Arg.ListArg l) {
            return l.elements().stream().mapToLong(e -> ((Arg.IntLit) e).value()).toArray();
        }
        throw new IllegalArgumentException("not int literals: " + a);
    }

    static int norm(long d, int rank) {
        return (int) (d < 0 ? d + rank : d);
    }

    /** The reduced dims of a reduction's {@code int[1]?} argument: every dim when None or empty. */
    static List<Integer> reduced(Arg dims, int rank) {
        List<Integer> out = new ArrayList<>();
        long[] ds = dims.isNone() ? new long[0] : dims instanceof Arg.IntLit i ? new long[] {i.value()} : longs(dims);
        if (ds.length == 0) {
            for (int d = 0; d < rank; d++) {
                out.add(d);
            }
        } else {
            for (long d : ds) {
                out.add(norm(d, rank));
            }
        }
        return out;
    }

    /** A reduction's dims argument: None (every dim) for the overloads that have none ({@code var(x)}, {@code all(x)}). */
    static Arg dimArg(Node n) {
        return n.schema().indexOf("dim").isPresent() ? n.arg("dim") : Arg.NONE;
    }

    /** A reduction's {@code keepdim}: false for the overloads that have none. */
    static boolean keepdim(Node n) {
        return n.schema().indexOf("keepdim").isPresent() && n.boolArg("keepdim");
    }

    /** {@code t} with the dims in {@code dims} made 1 ({@code keepdim}) or dropped. */
    static TensorType reducedType(TensorType t, List<Integer> dims, boolean keepdim) {
        List<SymExpr> out = new ArrayList<>();
        for (int d = 0; d < t.rank(); d++) {
            if (!dims.contains(d)) {
                out.add(t.shape().dim(d));
            } else if (keepdim) {
                out.add(SymExpr.of(1));
            }
        }
        return t.withShape(Shape.of(out));
    }

    static TensorType ofSizes(DType dtype, long... sizes) {
        return new TensorType(dtype, Shape.of(sizes));
    }

    static Arg.ListArg ints(List<Integer> xs) {
        return Arg.ints(xs.stream().mapToLong(Integer::longValue).toArray());
    }

    /** A 0-d constant of {@code dtype}. */
    static Value constant(Node anchor, DType dtype, double value) {
        return Ops.scalarConstant(anchor.graph(), "c", dtype, value);
    }

    static Optional<String> needsKnownType(Node n, int arg) {
        return n.arg(arg) instanceof Value v && known(v).isPresent() ? Optional.empty()
                : Optional.of("needs the dtype and rank of its input (run shape propagation first)");
    }

    static Optional<String> needsLiterals(Node n, String... names) {
        for (String name : names) {
            Arg a = n.arg(name);
            if (a instanceof Value || a instanceof Arg.ListArg l && l.elements().stream().anyMatch(e -> !(e instanceof Arg.IntLit))) {
                return Optional.of("'" + name + "' must be a literal");
            }
        }
        return Optional.empty();
    }

    /** {@code index_select(x, d, idx)} with {@code idx} a new i64 constant (named after {@code hint}); the result typed {@code type}. */
    static Value selectAlong(DecompositionBuilder b, Value x, int d, long[] idx, String hint, TensorType type) {
        dev.kiln.ir.Graph g = b.node().graph();
        Value index = g.addConstant(g.freshName(hint), dev.kiln.ir.ConstantTensor.ofLongs(new long[] {idx.length}, idx));
        return b.call("aten::index_select", List.of(x, new Arg.IntLit(d), index), Map.of(), type);
    }

    /** The first present reason. */
    @SafeVarargs
    static Optional<String> first(java.util.function.Supplier<Optional<String>>... checks) {
        for (var c : checks) {
            Optional<String> r = c.get();
            if (r.isPresent()) {
                return r;
            }
        }
        return Optional.empty();
    }

    /** Whether every size of {@code t} is static. */
    static boolean allStatic(TensorType t) {
        for (int d = 0; d < t.rank(); d++) {
            if (size(t, d) < 0) {
                return false;
            }
        }
        return true;
    }

    static long[] sizes(TensorType t) {
        long[] s = new long[t.rank()];
        for (int d = 0; d < s.length; d++) {
            s[d] = size(t, d);
        }
        return s;
    }

    static Optional<String> staticInput(Node n, String listArg) {
        Optional<String> r = first(() -> needsKnownType(n, 0), () -> needsLiterals(n, listArg));
        if (r.isPresent()) {
            return r;
        }
        if (!(n.arg(listArg) instanceof Arg.ListArg l) || l.elements().stream().anyMatch(e -> !(e instanceof Arg.IntLit))) {
            return Optional.of("'" + listArg + "' must be constant ints");
        }
        return allStatic(typeOf(n, 0)) ? Optional.empty() : Optional.of("needs static input sizes");
    }

    /** The sizes of {@code other} as a size list: literals where static, {@code sym_size.int} where symbolic. */
    static Arg.ListArg sizesOf(DecompositionBuilder b, Value other) {
        TensorType t = known(other).orElseThrow();
        List<Arg> out = new ArrayList<>();
        for (int d = 0; d < t.rank(); d++) {
            long s = size(t, d);
            out.add(s >= 0 ? new Arg.IntLit(s)
                    : b.call("aten::sym_size.int", List.of(other, new Arg.IntLit(d)), Map.of(), dev.kiln.ir.PrimitiveType.INT));
        }
        return Arg.list(out);
    }
}
