package dev.kiln.compiler.hybrid;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrParser;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sizes a program's inputs must have, read from their slots' type text ({@code tensor<f32, [s0, 3, 16, 16]>}):
 * the rank, every static size, and one size per symbol across all inputs of a call. Checked before a call
 * runs anything, so a tensor of the wrong shape gets an error naming the input and the dimension instead
 * of whatever the first stage makes of it (TorchScript's own input assertions are dropped at import).
 * A symbol's size must also lie in the range the program declares for it (the export's constraints or
 * the user's input spec), which the engines' profiles were built for.
 *
 * <pre>{@code InputShapes s = InputShapes.of(program);
 * s.check(List.of(new long[] {2, 3, 16, 16}));   // or a KilnException naming input and dimension}</pre>
 */
public final class InputShapes {
    /**
     * One input's declared sizes: {@code dims} as the IR's size expressions; {@code sizes[d]} the static size or -1;
     * {@code symbols[d]} names a bare symbol at dim d (else null).
     */
    record Declared(String text, List<SymExpr> dims) {
        long[] sizes() {
            return dims.stream().mapToLong(e -> e instanceof SymExpr.Const c ? c.value() : -1).toArray();
        }

        String[] symbols() {
            return dims.stream().map(e -> e instanceof SymExpr.Sym s ? s.symbol().name() : null).toArray(String[]::new);
        }
    }

    private final List<String> names;
    private final List<Optional<Declared>> declared;
    private final Map<String, Program.SymbolRange> ranges;

    private InputShapes(List<String> names, List<Optional<Declared>> declared, Map<String, Program.SymbolRange> ranges) {
        this.names = names;
        this.declared = declared;
        this.ranges = ranges;
    }

    static InputShapes of(Program p) {
        Graph scope = scope(p.symbols());
        List<String> names = p.inputs().stream().map(s -> p.slots().get(s).value()).toList();
        List<Optional<Declared>> declared = p.inputs().stream().map(s -> parse(p.slots().get(s).type(), scope)).toList();
        return new InputShapes(names, declared, p.symbols());
    }

    /**
     * The sizes {@code g}'s inputs must have, before it is compiled: so that a caller can refuse inputs in a second
     * rather than after minutes of engine builds. The compiled program checks again, against the ranges its input
     * specs gave.
     */
    public static InputShapes of(Graph g) {
        Map<String, Program.SymbolRange> ranges = new HashMap<>();
        g.symbols().forEach(s -> ranges.put(s.name(), new Program.SymbolRange(s.min(), s.max())));
        Graph scope = scope(ranges);
        List<String> names = g.inputs().stream().map(v -> v.name()).toList();
        List<Optional<Declared>> declared = g.inputs().stream().map(v -> parse(v.type().text(), scope)).toList();
        return new InputShapes(names, declared, ranges);
    }

    /** A graph that declares {@code symbols}, to read slot types against (IrParser's scope). */
    static Graph scope(Map<String, Program.SymbolRange> symbols) {
        Graph g = new Graph("slots");
        symbols.forEach((name, r) -> g.declare(new Symbol(name, r.min(), r.max())));
        return g;
    }

    /** The declared sizes in a tensor type's text, or empty when it states none (an unranked or non-tensor type). */
    static Optional<Declared> parse(String typeText) {
        return parse(typeText, new Graph("slots"));
    }

    /** {@link #parse(String)} with the symbols {@code scope} declares (others are read as unbounded). */
    static Optional<Declared> parse(String typeText, Graph scope) {
        Type t;
        try {
            t = IrParser.parseTypeDeclaringSymbols(typeText.strip(), scope);
        } catch (KilnException notAType) {
            return Optional.empty(); // a type this Kiln cannot read states no sizes it can check
        }
        if (!(t instanceof TensorType tt) || !tt.shape().isRanked()) {
            return Optional.empty();
        }
        return Optional.of(new Declared(typeText.strip(), tt.shape().dims()));
    }

    /** Throws a {@link KilnException} naming the first input whose sizes the program cannot take. */
    public void check(List<long[]> given) {
        Map<String, Long> bound = new HashMap<>();
        Map<String, String> boundBy = new HashMap<>();
        for (int i = 0; i < given.size() && i < declared.size(); i++) {
            Optional<Declared> want = declared.get(i);
            if (want.isEmpty()) {
                continue;
            }
            long[] got = given.get(i);
            Declared d = want.get();
            String input = "input x" + i + " (%" + names.get(i) + ")";
            if (got.length != d.sizes().length) {
                throw new KilnException(input + " has sizes " + Arrays.toString(got) + " (rank " + got.length + ") but the model takes "
                        + d.text() + " (rank " + d.sizes().length + "); pass a tensor of that rank");
            }
            for (int k = 0; k < got.length; k++) {
                if (d.sizes()[k] >= 0 && got[k] != d.sizes()[k]) {
                    throw new KilnException(input + " has sizes " + Arrays.toString(got) + " but the model takes " + d.text()
                            + ": dimension " + k + " must be " + d.sizes()[k] + " (a static size of the model; to vary it, export the model"
                            + " with a torch.export.Dim there, or give a TorchScript model an input spec with a range)");
                }
                String sym = d.symbols()[k];
                Program.SymbolRange range = sym == null ? null : ranges.get(sym);
                if (range != null && (got[k] < range.min() || got[k] > range.max())) {
                    throw new KilnException(input + " has " + got[k] + " at dimension " + k + ", where the model has " + sym + " in "
                            + range.text() + "; pass a size in that range, or recompile with an input spec whose range holds "
                            + got[k] + " (kiln compile --input x" + i + "=...; as far as the export allows)");
                }
                if (sym != null) {
                    Long before = bound.putIfAbsent(sym, got[k]);
                    if (before != null && before != got[k]) {
                        throw new KilnException(input + " has " + got[k] + " at dimension " + k + ", where the model has " + sym
                                + ", but " + boundBy.get(sym) + " gave " + sym + " = " + before
                                + "; inputs that share a symbolic size must agree on it");
                    }
                    boundBy.putIfAbsent(sym, input);
                }
            }
        }
        // sizes the model derives from its symbols (2*s0, s0 + s1), once every symbol in them is bound
        for (int i = 0; i < given.size() && i < declared.size(); i++) {
            if (declared.get(i).isEmpty()) {
                continue;
            }
            Declared d = declared.get(i).get();
            long[] got = given.get(i);
            for (int k = 0; k < got.length; k++) {
                SymExpr e = d.dims().get(k);
                if (e instanceof SymExpr.Const || e instanceof SymExpr.Sym
                        || !e.symbols().stream().allMatch(s -> bound.containsKey(s.name()))) {
                    continue;
                }
                long want = e.evaluate(bound);
                if (got[k] != want) {
                    String input = "input x" + i + " (%" + names.get(i) + ")";
                    List<String> from = e.symbols().stream().map(s -> s.name() + " = " + bound.get(s.name()) + " (from "
                            + boundBy.get(s.name()) + ")").sorted().toList();
                    throw new KilnException(input + " has sizes " + Arrays.toString(got) + " but the model takes " + d.text()
                            + ": dimension " + k + " must be " + e + " = " + want + ", with " + String.join(", ", from)
                            + "; pass inputs whose sizes agree");
                }
            }
        }
    }
}
