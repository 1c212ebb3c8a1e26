package dev.kiln.compiler.hybrid;

import dev.kiln.ir.KilnException;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
final class InputShapes {
    private static final Pattern SHAPE = Pattern.compile("^tensor<\\s*[a-z0-9]+\\s*,\\s*\\[([^\\]]*)]\\s*>$");
    private static final Pattern SYMBOL = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** One input's declared sizes: -1 where symbolic; {@code symbols[d]} names a bare symbol at dim d (else null). */
    record Declared(String text, long[] sizes, String[] symbols) {
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
        List<String> names = p.inputs().stream().map(s -> p.slots().get(s).value()).toList();
        List<Optional<Declared>> declared = p.inputs().stream().map(s -> parse(p.slots().get(s).type())).toList();
        return new InputShapes(names, declared, p.symbols());
    }

    /** The declared sizes in a tensor type's text, or empty when it states none (an unranked or non-tensor type). */
    static Optional<Declared> parse(String typeText) {
        Matcher m = SHAPE.matcher(typeText.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        List<String> parts = topLevelItems(m.group(1));
        long[] sizes = new long[parts.size()];
        String[] symbols = new String[parts.size()];
        for (int d = 0; d < parts.size(); d++) {
            String e = parts.get(d);
            try {
                sizes[d] = Long.parseLong(e);
            } catch (NumberFormatException notAnInteger) {
                sizes[d] = -1;
                // a bare symbol must be the same size wherever it appears; an expression (2*s0) is left to the stages
                symbols[d] = SYMBOL.matcher(e).matches() ? e : null;
            }
        }
        return Optional.of(new Declared(typeText.strip(), sizes, symbols));
    }

    /** The comma-separated items of a shape's body, commas inside parentheses ({@code max(s0, 2)}) kept. */
    static List<String> topLevelItems(String body) {
        List<String> out = new java.util.ArrayList<>();
        if (body.isBlank()) {
            return out;
        }
        int depth = 0;
        int start = 0;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(body.substring(start, i).strip());
                start = i + 1;
            }
        }
        out.add(body.substring(start).strip());
        return out;
    }

    /** Throws a {@link KilnException} naming the first input whose sizes the program cannot take. */
    void check(List<long[]> given) {
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
    }
}
