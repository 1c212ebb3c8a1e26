package dev.kiln.ir.schema;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;

/**
 * Prints an {@link OpSchema} in the standard schema syntax that {@link SchemaParser} reads back,
 * the way libtorch's {@code operator<<(FunctionSchema)} does: floats as C++ prints them
 * ({@code 1.}, {@code 1.0000000000000001e-05}), {@code int[2] padding=0} for a list of equal ints,
 * strings with C escapes. Only enum defaults differ: libtorch prints their codes
 * ({@code ScalarType? dtype=4}), this printer their names ({@code long}, {@code contiguous_format}).
 */
final class SchemaPrinter {
    private SchemaPrinter() {
    }

    static String print(OpSchema s) {
        StringBuilder sb = new StringBuilder(s.qualifiedName()).append('(');
        boolean kw = false;
        List<SchemaArgument> args = s.arguments();
        for (int i = 0; i < args.size(); i++) {
            SchemaArgument a = args.get(i);
            if (i > 0) {
                sb.append(", ");
            }
            if (a.kwargOnly() && !kw) {
                sb.append("*, ");
                kw = true;
            }
            sb.append(argument(a));
        }
        if (s.varArgs()) {
            sb.append(args.isEmpty() ? "..." : ", ...");
        }
        sb.append(") -> ");
        List<SchemaArgument> rets = s.returns();
        boolean paren = !((rets.size() == 1 && !s.varReturns()) || (rets.isEmpty() && s.varReturns()));
        String single = null;
        if (rets.size() == 1 && !s.varReturns()) {
            single = argument(rets.get(0));
            // a lone tuple return needs its own parentheses: -> ((int, int))
            paren = single.startsWith("(");
        }
        if (paren) {
            sb.append('(');
        }
        if (single != null) {
            sb.append(single);
        } else {
            for (int i = 0; i < rets.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                sb.append(argument(rets.get(i)));
            }
        }
        if (s.varReturns()) {
            sb.append(rets.isEmpty() ? "..." : ", ...");
        }
        if (paren) {
            sb.append(')');
        }
        return sb.toString();
    }

    static String argument(SchemaArgument a) {
        StringBuilder sb = new StringBuilder(type(a.type(), a.alias().orElse(null), a.listAlias().orElse(null)));
        if (!a.name().isEmpty()) {
            sb.append(' ').append(a.name());
        }
        a.defaultValue().ifPresent(d -> sb.append('=').append(defaultValue(a.type(), d)));
        return sb.toString();
    }

    /**
     * The element alias goes right after the base type ({@code Tensor(a!)}, {@code Tensor(a)[]},
     * {@code Tensor(a)?}); the list alias right after the list's brackets ({@code t[](a!)}).
     */
    private static String type(SchemaType t, String alias, String listAlias) {
        if (t instanceof SchemaType.OptionalOf o) {
            return type(o.element(), alias, listAlias) + "?";
        }
        if (t instanceof SchemaType.ListOf l) {
            String brackets = "[" + (l.size().isPresent() ? Integer.toString(l.size().getAsInt()) : "") + "]";
            if (listAlias != null) {
                return type(l.element(), alias, null) + brackets + "(" + listAlias + ")";
            }
            return type(l.element(), alias, null) + brackets;
        }
        return alias == null ? t.toString() : t + "(" + alias + ")";
    }

    /** libtorch writes a fixed-size int list of equal elements as the bare int: {@code int[2] padding=0}. */
    private static String defaultValue(SchemaType type, Arg d) {
        if (type instanceof SchemaType.ListOf l && l.element() instanceof SchemaType.Named n && n.name().equals("int")
                && l.size().isPresent() && d instanceof Arg.ListArg list && list.elements().size() == l.size().getAsInt()
                && list.elements().size() > 1 && list.elements().stream().allMatch(e -> e.equals(list.elements().get(0)))) {
            return literal(list.elements().get(0));
        }
        return literal(d);
    }

    static String literal(Arg a) {
        if (a instanceof Arg.IntLit i) {
            return Long.toString(i.value());
        }
        if (a instanceof Arg.FloatLit f) {
            return formatDouble(f.value());
        }
        if (a instanceof Arg.BoolLit b) {
            return b.value() ? "True" : "False";
        }
        if (a instanceof Arg.NoneLit) {
            return "None";
        }
        if (a instanceof Arg.StrLit s) {
            return quote(s.value());
        }
        if (a instanceof Arg.DTypeLit d) {
            return dtypeName(d.value());
        }
        if (a instanceof Arg.MemoryFormatLit m) {
            return m.value();
        }
        if (a instanceof Arg.LayoutLit l) {
            return l.value();
        }
        if (a instanceof Arg.DeviceLit d) {
            return quote(d.value());
        }
        if (a instanceof Arg.ListArg l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.elements().size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(literal(l.elements().get(i)));
            }
            return sb.append(']').toString();
        }
        throw new IllegalArgumentException("not a literal: " + a);
    }

    /** The name a schema uses for a dtype default: the words libtorch's parser knows ({@code long}, {@code float}), else torch's Python name. */
    static String dtypeName(DType d) {
        switch (d) {
            case BOOL:
                return "bool";
            case UINT8:
                return "uint8";
            case INT8:
                return "int8";
            case INT16:
                return "short";
            case INT32:
                return "int";
            case INT64:
                return "long";
            case UINT16:
                return "uint16";
            case UINT32:
                return "uint32";
            case UINT64:
                return "uint64";
            case FLOAT16:
                return "half";
            case BFLOAT16:
                return "bfloat16";
            case FLOAT32:
                return "float";
            case FLOAT64:
                return "double";
            case FLOAT8_E4M3FN:
                return "float8_e4m3fn";
            case FLOAT8_E5M2:
                return "float8_e5m2";
            case COMPLEX64:
                return "complex64";
            case COMPLEX128:
                return "complex128";
            default:
                throw new IllegalArgumentException("no schema name for dtype " + d);
        }
    }

    /**
     * A double as libtorch prints an IValue: integral values below 1e10 as {@code 1.} (and {@code -0.}),
     * the rest as C++ {@code setprecision(17)} does ({@code %.17g}), which round-trips exactly; an
     * integral value of 1e10 or more keeps a trailing {@code .} so that it still reads as a float.
     */
    static String formatDouble(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        boolean subnormal = v != 0 && Math.abs(v) < Double.MIN_NORMAL;
        if (!subnormal && Math.abs(v) < 1e10 && v == (long) v) {
            if (v == 0 && Double.doubleToRawLongBits(v) != 0) {
                return "-0.";
            }
            return (long) v + ".";
        }
        BigDecimal r = new BigDecimal(v).round(new MathContext(17, RoundingMode.HALF_EVEN));
        int exp = r.precision() - r.scale() - 1;
        if (exp >= -4 && exp < 17) {
            String plain = r.setScale(Math.max(0, 16 - exp), RoundingMode.UNNECESSARY).toPlainString();
            if (plain.indexOf('.') >= 0) {
                plain = plain.replaceAll("0+$", "");
                if (plain.endsWith(".")) {
                    plain = plain.substring(0, plain.length() - 1);
                }
            }
            // C++ prints 1e10 as "10000000000", which would read back as an int: keep it a float
            return plain.indexOf('.') >= 0 ? plain : plain + ".";
        }
        String digits = r.unscaledValue().abs().toString().replaceAll("0+$", "");
        StringBuilder sb = new StringBuilder();
        if (v < 0) {
            sb.append('-');
        }
        sb.append(digits.charAt(0));
        if (digits.length() > 1) {
            sb.append('.').append(digits, 1, digits.length());
        }
        sb.append('e').append(exp < 0 ? '-' : '+');
        int e = Math.abs(exp);
        if (e < 10) {
            sb.append('0');
        }
        return sb.append(e).toString();
    }

    /** A double-quoted string with the escapes of libtorch's {@code printQuotedString}. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\'' -> sb.append("\\'");
                case '"' -> sb.append("\\\"");
                case '\u0007' -> sb.append("\\a");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\u000b' -> sb.append("\\v");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append('\\').append((char) ('0' + (c >> 6))).append((char) ('0' + ((c >> 3) & 7))).append((char) ('0' + (c & 7)));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
