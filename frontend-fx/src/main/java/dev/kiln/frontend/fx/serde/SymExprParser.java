package dev.kiln.frontend.fx.serde;

import dev.kiln.ir.KilnException;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Parses the symbolic sizes torch.export writes: sympy {@code srepr} text such as
 * {@code Mul(Integer(2), Symbol('s77', positive=True, integer=True))} (2.6 and later) and the plain
 * {@code str} form such as {@code 2*s77 + 1}. Supported: integers, symbols, {@code Add}, {@code Mul},
 * {@code FloorDiv}/{@code CleanDiv}, {@code Mod}/{@code PythonMod}, {@code Max}, {@code Min} and
 * {@code Pow} with a small constant exponent; anything else is refused by name.
 *
 * <pre>{@code SymExpr e = SymExprParser.parse("Mul(Integer(2), Symbol('s0'))", name -> new Symbol(name, 1, 64));}</pre>
 */
public final class SymExprParser {
    private static final int MAX_DEPTH = 200;
    private final String text;
    private final Function<String, Symbol> symbols;
    private int pos;
    private int depth;

    private SymExprParser(String text, Function<String, Symbol> symbols) {
        this.text = text;
        this.symbols = symbols;
    }

    /** Parses {@code text}; {@code symbols} resolves a symbol name to its declared {@link Symbol}. */
    public static SymExpr parse(String text, Function<String, Symbol> symbols) {
        SymExprParser p = new SymExprParser(text, symbols);
        try {
            SymExpr e = p.expr();
            p.skipSpace();
            if (p.pos != text.length()) {
                throw p.fail("unexpected '" + text.charAt(p.pos) + "'");
            }
            return e;
        } catch (ArithmeticException e) {
            throw p.fail("arithmetic overflow");
        }
    }

    private KilnException fail(String problem) {
        return new KilnException("cannot read the symbolic size '" + text + "' at character " + pos + ": " + problem);
    }

    private SymExpr expr() {
        if (++depth > MAX_DEPTH) {
            throw fail("nested deeper than " + MAX_DEPTH);
        }
        SymExpr e = term();
        while (true) {
            skipSpace();
            if (eat("+")) {
                e = SymExpr.add(e, term());
            } else if (eat("-")) {
                e = SymExpr.sub(e, term());
            } else {
                depth--;
                return e;
            }
        }
    }

    private SymExpr term() {
        SymExpr e = unary();
        while (true) {
            skipSpace();
            if (eat("//")) {
                e = SymExpr.floorDiv(e, unary());
            } else if (eat("*")) {
                e = SymExpr.mul(e, unary());
            } else if (eat("%")) {
                e = SymExpr.mod(e, unary());
            } else if (peek('/')) {
                throw fail("true division is not an integer size");
            } else {
                return e;
            }
        }
    }

    private SymExpr unary() {
        skipSpace();
        if (eat("-")) {
            if (++depth > MAX_DEPTH) {
                throw fail("nested deeper than " + MAX_DEPTH);
            }
            SymExpr e = SymExpr.mul(SymExpr.of(-1), unary());
            depth--;
            return e;
        }
        return primary();
    }

    private SymExpr primary() {
        skipSpace();
        if (pos >= text.length()) {
            throw fail("unexpected end");
        }
        char c = text.charAt(pos);
        if (c == '(') {
            pos++;
            SymExpr e = expr();
            expect(")");
            return e;
        }
        if (Character.isDigit(c)) {
            return SymExpr.of(integer());
        }
        if (Character.isLetter(c) || c == '_') {
            String name = identifier();
            skipSpace();
            if (!peek('(')) {
                return SymExpr.of(symbol(name));
            }
            pos++;
            return call(name);
        }
        throw fail("unexpected '" + c + "'");
    }

    private SymExpr call(String fn) {
        if (fn.equals("Symbol")) {
            skipSpace();
            String name = string();
            skipKeywords();
            return SymExpr.of(symbol(name));
        }
        if (fn.equals("Integer")) {
            skipSpace();
            boolean neg = eat("-");
            long v = integer();
            expect(")");
            return SymExpr.of(neg ? -v : v);
        }
        List<SymExpr> args = new ArrayList<>();
        skipSpace();
        if (!eat(")")) {
            do {
                args.add(expr());
                skipSpace();
            } while (eat(","));
            expect(")");
        }
        switch (fn) {
            case "Zero":
                return SymExpr.of(0);
            case "One":
                return SymExpr.of(1);
            case "NegativeOne":
                return SymExpr.of(-1);
            case "Add":
                return fold(args, SymExpr::add, fn);
            case "Mul":
                return fold(args, SymExpr::mul, fn);
            case "Max":
                return fold(args, SymExpr::max, fn);
            case "Min":
                return fold(args, SymExpr::min, fn);
            case "FloorDiv":
            case "CleanDiv":
                binary(args, fn);
                return SymExpr.floorDiv(args.get(0), args.get(1));
            case "Mod":
            case "PythonMod":
                binary(args, fn);
                return SymExpr.mod(args.get(0), args.get(1));
            case "Pow":
                binary(args, fn);
                if (!(args.get(1) instanceof SymExpr.Const k) || k.value() < 0 || k.value() > 8) {
                    throw fail("Pow needs a constant exponent from 0 to 8");
                }
                SymExpr r = SymExpr.of(1);
                for (long i = 0; i < k.value(); i++) {
                    r = SymExpr.mul(r, args.get(0));
                }
                return r;
            default:
                throw fail("the function " + fn + " is not supported in sizes (supported: Add, Mul, FloorDiv, "
                        + "CleanDiv, Mod, PythonMod, Max, Min, Pow)");
        }
    }

    private void binary(List<SymExpr> args, String fn) {
        if (args.size() != 2) {
            throw fail(fn + " takes 2 arguments, got " + args.size());
        }
    }

    private SymExpr fold(List<SymExpr> args, java.util.function.BinaryOperator<SymExpr> op, String fn) {
        if (args.isEmpty()) {
            throw fail(fn + " without arguments");
        }
        SymExpr e = args.get(0);
        for (int i = 1; i < args.size(); i++) {
            e = op.apply(e, args.get(i));
        }
        return e;
    }

    /** Skips {@code , positive=True, integer=True)} after a symbol's name. */
    private void skipKeywords() {
        while (true) {
            skipSpace();
            if (eat(")")) {
                return;
            }
            expect(",");
            skipSpace();
            identifier();
            skipSpace();
            expect("=");
            skipSpace();
            identifier();
        }
    }

    private Symbol symbol(String name) {
        Symbol s = symbols.apply(name);
        if (s == null) {
            throw fail("unknown symbol " + name);
        }
        return s;
    }

    private String string() {
        if (pos >= text.length() || (text.charAt(pos) != '\'' && text.charAt(pos) != '"')) {
            throw fail("expected a quoted name");
        }
        char q = text.charAt(pos++);
        int start = pos;
        while (pos < text.length() && text.charAt(pos) != q) {
            pos++;
        }
        if (pos >= text.length()) {
            throw fail("unterminated string");
        }
        return text.substring(start, pos++);
    }

    private String identifier() {
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
            pos++;
        }
        if (start == pos) {
            throw fail("expected a name");
        }
        return text.substring(start, pos);
    }

    private long integer() {
        int start = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
            pos++;
        }
        if (start == pos || pos - start > 18) {
            throw fail("expected an integer of at most 18 digits");
        }
        return Long.parseLong(text.substring(start, pos));
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private boolean peek(char c) {
        return pos < text.length() && text.charAt(pos) == c;
    }

    private boolean eat(String s) {
        if (text.startsWith(s, pos)) {
            pos += s.length();
            return true;
        }
        return false;
    }

    private void expect(String s) {
        skipSpace();
        if (!eat(s)) {
            throw fail("expected '" + s + "'");
        }
    }
}
