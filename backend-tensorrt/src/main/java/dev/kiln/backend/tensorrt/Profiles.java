package dev.kiln.backend.tensorrt;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Computes the optimization profile (min/opt/max shape of every engine input) from the IR's symbolic
 * dimension ranges, or from user {@link InputSpec}s where given. Without a user spec, a symbol's
 * {@code opt} is its maximum when that is at most {@link #DEFAULT_OPT_CAP}, else
 * {@code max(min, DEFAULT_OPT_CAP)}: TensorRT picks kernels for {@code opt}, and small ranges (batch
 * 1..64) run best tuned for their top, while huge ranges (sequence 1..8192) would waste memory.
 * Engine inputs are named {@code x0, x1, ...} in graph-input order.
 *
 * <pre>{@code List<InputProfile> p = Profiles.compute(graph, List.of(InputSpec.parse("x0=1..8x3x32x32")));}</pre>
 */
public final class Profiles {
    /** Above this, a symbol's default opt point is capped (see the class comment). */
    public static final long DEFAULT_OPT_CAP = 256;

    private Profiles() {
    }

    /** The shape range of one engine input. */
    public record InputProfile(String name, String irName, long[] min, long[] opt, long[] max) {
        public boolean isDynamic() {
            return !java.util.Arrays.equals(min, max);
        }

        public int rank() {
            return min.length;
        }

        /** As an {@link InputSpec} (for printing and for tests). */
        public InputSpec spec() {
            return new InputSpec(name, min, opt, max);
        }

        @Override
        public String toString() {
            return spec().text() + " (" + irName + ")";
        }
    }

    /** The engine name of graph input {@code i}. */
    public static String inputName(int i) {
        return "x" + i;
    }

    /** The engine name of graph output {@code i}. */
    public static String outputName(int i) {
        return "y" + i;
    }

    /** One profile entry per graph input, in order. */
    public static List<InputProfile> compute(Graph g, List<InputSpec> specs) {
        List<Value> inputs = g.inputs();
        Map<String, InputSpec> byName = new LinkedHashMap<>();
        for (InputSpec s : specs) {
            if (byName.put(s.name(), s) != null) {
                throw new KilnException("input " + s.name() + " is given twice in the input specs");
            }
        }
        Set<String> known = new LinkedHashSet<>();
        for (int i = 0; i < inputs.size(); i++) {
            known.add(inputName(i));
            known.add(inputs.get(i).name());
        }
        for (String n : byName.keySet()) {
            if (!known.contains(n)) {
                throw new KilnException("input spec names '" + n + "' but the model's inputs are " + describeInputs(inputs));
            }
        }
        Map<String, Long> minB = new TreeMap<>();
        Map<String, Long> optB = new TreeMap<>();
        Map<String, Long> maxB = new TreeMap<>();
        for (Symbol s : g.symbols()) {
            minB.put(s.name(), s.min());
            maxB.put(s.name(), s.max());
            optB.put(s.name(), s.max() <= DEFAULT_OPT_CAP ? s.max() : Math.max(s.min(), DEFAULT_OPT_CAP));
        }
        List<InputProfile> out = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Value v = inputs.get(i);
            String name = inputName(i);
            TensorType tt = tensorType(v, name);
            InputSpec spec = byName.containsKey(name) ? byName.get(name) : byName.get(v.name());
            out.add(spec == null ? fromSymbols(name, v, tt, minB, optB, maxB) : fromSpec(name, v, tt, spec));
        }
        return out;
    }

    private static TensorType tensorType(Value v, String name) {
        if (!(v.type() instanceof TensorType tt) || !tt.shape().isRanked() || tt.dtype().isEmpty()) {
            throw new KilnException("graph input " + name + " (%" + v.name() + ") has type " + v.type().text()
                    + "; TensorRT needs every input's dtype and rank: run the propagate-shapes pass, or export with"
                    + " torch.export which records them");
        }
        return tt;
    }

    private static InputProfile fromSymbols(String name, Value v, TensorType tt, Map<String, Long> minB,
                                            Map<String, Long> optB, Map<String, Long> maxB) {
        int rank = tt.rank();
        long[] min = new long[rank];
        long[] opt = new long[rank];
        long[] max = new long[rank];
        for (int d = 0; d < rank; d++) {
            SymExpr e = tt.shape().dim(d);
            for (Symbol s : e.symbols()) {
                if (!s.bounded()) {
                    throw new KilnException("dimension " + d + " of input " + name + " (%" + v.name() + ") is " + e
                            + " and " + s.name() + " has no upper bound (" + s.declaration() + "); give its range with"
                            + " --input " + name + "=" + example(tt, d) + ", or export with torch.export.Dim(..., max=N)");
                }
            }
            if (e.isConstant()) {
                min[d] = opt[d] = max[d] = e.evaluate(Map.of());
            } else {
                min[d] = Math.max(0, e.lowerBound());
                max[d] = e.upperBound();
                opt[d] = Math.min(max[d], Math.max(min[d], e.evaluate(optB)));
            }
        }
        return new InputProfile(name, v.name(), min, opt, max);
    }

    private static String example(TensorType tt, int dynamicDim) {
        StringBuilder b = new StringBuilder();
        for (int d = 0; d < tt.rank(); d++) {
            if (d > 0) {
                b.append('x');
            }
            SymExpr e = tt.shape().dim(d);
            b.append(e.isConstant() ? Long.toString(e.evaluate(Map.of())) : (d == dynamicDim ? "1..64" : "1..N"));
        }
        return b.toString();
    }

    private static InputProfile fromSpec(String name, Value v, TensorType tt, InputSpec spec) {
        if (spec.rank() != tt.rank()) {
            throw new KilnException("input spec " + spec.text() + " has rank " + spec.rank() + " but input " + name
                    + " (%" + v.name() + ") is " + tt.text() + " (rank " + tt.rank() + ")");
        }
        long[] min = spec.min();
        long[] opt = spec.opt();
        long[] max = spec.max();
        for (int d = 0; d < tt.rank(); d++) {
            SymExpr e = tt.shape().dim(d);
            if (e.isConstant()) {
                long c = e.evaluate(Map.of());
                if (min[d] != c || max[d] != c) {
                    throw new KilnException("input spec " + spec.text() + ": dimension " + d + " of input " + name
                            + " (%" + v.name() + ", " + tt.text() + ") was exported as the static size " + c
                            + "; re-export with a torch.export.Dim for that dimension to make it dynamic");
                }
            } else {
                long lo = Math.max(0, e.lowerBound());
                long hi = e.upperBound();
                if (min[d] < lo || max[d] > hi) {
                    throw new KilnException("input spec " + spec.text() + ": dimension " + d + " of input " + name
                            + " is " + e + " in [" + lo + ", " + (hi == Symbol.UNBOUNDED ? "inf" : Long.toString(hi))
                            + "] as exported; the range " + min[d] + ".." + max[d] + " goes outside it");
                }
            }
        }
        return new InputProfile(name, v.name(), min, opt, max);
    }

    private static String describeInputs(List<Value> inputs) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            parts.add(inputName(i) + " (%" + inputs.get(i).name() + ": " + inputs.get(i).type().text() + ")");
        }
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }
}
