package dev.kiln.ir.schema;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * Parses the standard operator schema syntax of ATen and TorchScript, as {@code native_functions.yaml}
 * writes it and as libtorch prints it, into an {@link OpSchema}. Default values become IR literals,
 * typed by the argument: {@code ScalarType? dtype=long} (or libtorch's {@code =4}) is a
 * {@link Arg.DTypeLit}, {@code MemoryFormat memory_format=contiguous_format} (or {@code =0}) a
 * {@link Arg.MemoryFormatLit}, {@code int reduction=Mean} the int ATen uses, {@code float eps=1} a
 * float, and {@code int[2] stride=1} the list {@code [1, 1]}.
 *
 * <pre>{@code OpSchema s = SchemaParser.parse("aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor");}</pre>
 */
public final class SchemaParser {
    /** Base types written with a type argument in parentheses ({@code Future(t)}) rather than an alias annotation. */
    private static final List<String> GENERIC_TYPES = List.of("Future", "Await", "RRef");

    /** The c10 {@code MemoryFormat} enum, by code. */
    static final List<String> MEMORY_FORMATS = List.of("contiguous_format", "preserve_format", "channels_last", "channels_last_3d");
    /** The c10 {@code Layout} enum, by code, as Python spells it. */
    static final List<String> LAYOUTS = List.of("strided", "sparse_coo", "sparse_csr", "_mkldnn", "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged");
    /** ATen's {@code at::Reduction} enum. */
    static final Map<String, Long> REDUCTIONS = Map.of("None", 0L, "Mean", 1L, "Sum", 2L);
    /** c10's own {@code ScalarType} names, which libtorch's parser also accepts for dtype defaults. */
    private static final Map<String, DType> C10_DTYPES = Map.ofEntries(
            Map.entry("Byte", DType.UINT8), Map.entry("Char", DType.INT8), Map.entry("Short", DType.INT16),
            Map.entry("Int", DType.INT32), Map.entry("Long", DType.INT64), Map.entry("Half", DType.FLOAT16),
            Map.entry("Float", DType.FLOAT32), Map.entry("Double", DType.FLOAT64), Map.entry("ComplexFloat", DType.COMPLEX64),
            Map.entry("ComplexDouble", DType.COMPLEX128), Map.entry("Bool", DType.BOOL), Map.entry("BFloat16", DType.BFLOAT16),
            Map.entry("Float8_e5m2", DType.FLOAT8_E5M2), Map.entry("Float8_e4m3fn", DType.FLOAT8_E4M3FN),
            Map.entry("UInt16", DType.UINT16), Map.entry("UInt32", DType.UINT32), Map.entry("UInt64", DType.UINT64));

    private final String text;
    private int pos;

    private SchemaParser(String text) {
        this.text = text;
    }

    /**
     * Parses one schema.
     *
     * @throws KilnException naming the schema text and the column when {@code schema} is malformed
     */
    public static OpSchema parse(String schema) {
        if (schema == null) {
            throw new KilnException("cannot parse an operator schema: the text is missing");
        }
        return new SchemaParser(schema).schema();
    }

    // ---- schema, arguments, returns --------------------------------------------------------

    private OpSchema schema() {
        skipSpace();
        String ns = identifier("a namespace (aten::...)");
        if (!text.startsWith("::", pos)) {
            throw error("expected '::' after the namespace '" + ns + "' (operator names are qualified: aten::add)");
        }
        pos += 2;
        String op = identifier("an operator name");
        String overload = "";
        if (peek() == '.') {
            pos++;
            overload = identifier("an overload name");
        }
        if (overload.equals("default")) {
            // libtorch spells the default overload as the empty name
            overload = "";
        }
        String name = ns + "::" + op;
        skipSpace();
        expect('(');
        List<SchemaArgument> args = new ArrayList<>();
        boolean varArgs = false;
        boolean kwOnly = false;
        skipSpace();
        if (peek() != ')') {
            while (true) {
                skipSpace();
                if (varArgs) {
                    throw error("'...' must be the last argument");
                }
                if (text.startsWith("...", pos)) {
                    pos += 3;
                    varArgs = true;
                } else if (peek() == '*') {
                    if (kwOnly) {
                        throw error("'*' appears twice");
                    }
                    pos++;
                    kwOnly = true;
                } else {
                    args.add(argument(kwOnly, true));
                }
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    continue;
                }
                break;
            }
        }
        // no check for repeated argument names: libtorch registers one (static_runtime::clamp_nan_to_num)
        expect(')');
        skipSpace();
        if (!text.startsWith("->", pos)) {
            throw error("expected '->' and the returns after the arguments");
        }
        pos += 2;
        skipSpace();
        List<SchemaArgument> rets = new ArrayList<>();
        boolean varRets = false;
        if (text.startsWith("...", pos)) {
            pos += 3;
            varRets = true;
        } else if (peek() == '(') {
            pos++;
            skipSpace();
            if (peek() != ')') {
                while (true) {
                    skipSpace();
                    if (varRets) {
                        throw error("'...' must be the last return");
                    }
                    if (text.startsWith("...", pos)) {
                        pos += 3;
                        varRets = true;
                    } else {
                        rets.add(argument(false, false));
                    }
                    skipSpace();
                    if (peek() == ',') {
                        pos++;
                        continue;
                    }
                    break;
                }
            }
            expect(')');
        } else {
            rets.add(argument(false, false));
        }
        skipSpace();
        if (pos < text.length()) {
            throw error("unexpected text after the returns");
        }
        return new OpSchema(name, overload, args, rets, varArgs, varRets);
    }

    /** {@code Type(alias) name=default}; arguments need a name, returns may have one but no default. */
    private SchemaArgument argument(boolean kwOnly, boolean isArgument) {
        Aliases aliases = new Aliases();
        SchemaType type = type(aliases, 0);
        skipSpace();
        String name = "";
        if (isIdentStart(peek())) {
            name = identifier("a name");
        } else if (isArgument) {
            throw error("expected the argument's name after its type " + type);
        }
        skipSpace();
        Optional<Arg> def = Optional.empty();
        if (peek() == '=') {
            if (!isArgument) {
                throw error("a return cannot have a default value");
            }
            pos++;
            skipSpace();
            int at = pos;
            Raw raw = rawLiteral();
            def = Optional.of(convert(type, raw, at, name));
        }
        return new SchemaArgument(name, type, def, kwOnly, Optional.ofNullable(aliases.element), Optional.ofNullable(aliases.list));
    }

    // ---- types ---------------------------------------------------------------------------

    /** Alias annotations found while reading one argument's type. */
    private static final class Aliases {
        String element;
        String list;
    }

    /** A type with its {@code []}, {@code [N]} and {@code ?} suffixes; depth > 0 inside compound types, where aliases are refused. */
    private SchemaType type(Aliases aliases, int depth) {
        skipSpace();
        SchemaType t = baseType(aliases, depth);
        while (true) {
            skipSpace();
            char c = peek();
            if (c == '[') {
                pos++;
                skipSpace();
                OptionalInt size = OptionalInt.empty();
                if (Character.isDigit(peek())) {
                    int s = pos;
                    while (Character.isDigit(peek())) {
                        pos++;
                    }
                    try {
                        size = OptionalInt.of(Integer.parseInt(text.substring(s, pos)));
                    } catch (NumberFormatException e) {
                        pos = s;
                        throw error("list size too large");
                    }
                }
                skipSpace();
                expect(']');
                if (aliases.list != null) {
                    throw error("an alias annotation on a list inside another list is not supported");
                }
                t = new SchemaType.ListOf(t, size);
                if (peek() == '(') {
                    if (depth > 0) {
                        throw error("alias annotations inside compound types are not supported");
                    }
                    aliases.list = aliasAnnotation();
                }
            } else if (c == '?') {
                pos++;
                // T?? is T?, as in libtorch
                if (!(t instanceof SchemaType.OptionalOf)) {
                    t = new SchemaType.OptionalOf(t);
                }
            } else {
                break;
            }
        }
        return t;
    }

    private SchemaType baseType(Aliases aliases, int depth) {
        SchemaType t;
        if (peek() == '(') {
            pos++;
            List<SchemaType> elems = new ArrayList<>();
            skipSpace();
            if (peek() != ')') {
                while (true) {
                    elems.add(type(aliases, depth + 1));
                    skipSpace();
                    if (peek() == ',') {
                        pos++;
                        continue;
                    }
                    break;
                }
            }
            expect(')');
            t = new SchemaType.TupleOf(elems);
        } else {
            int start = pos;
            String name = qualifiedTypeName();
            skipSpace();
            if (name.equals("Dict")) {
                expect('(');
                SchemaType k = type(aliases, depth + 1);
                skipSpace();
                expect(',');
                SchemaType v = type(aliases, depth + 1);
                skipSpace();
                expect(')');
                t = new SchemaType.DictOf(k, v);
            } else if (GENERIC_TYPES.contains(name)) {
                expect('(');
                SchemaType e = type(aliases, depth + 1);
                skipSpace();
                expect(')');
                t = new SchemaType.Generic(name, e);
            } else if (name.equals("Union")) {
                pos = start;
                throw error("Union types are not supported in schemas");
            } else {
                t = SchemaType.named(name);
            }
        }
        if (peek() == '(') {
            if (depth > 0) {
                throw error("alias annotations inside compound types are not supported");
            }
            aliases.element = aliasAnnotation();
        }
        return t;
    }

    /** A type name, dotted for TorchBind classes ({@code __torch__.torch.classes.quantized.LinearPackedParamsBase}). */
    private String qualifiedTypeName() {
        StringBuilder sb = new StringBuilder(identifier("a type"));
        while (peek() == '.' && pos + 1 < text.length() && isIdentStart(text.charAt(pos + 1))) {
            pos++;
            sb.append('.').append(identifier("a type"));
        }
        return sb.toString();
    }

    /**
     * {@code (a)}, {@code (a!)}, {@code (*)}, {@code (a -> *)}, {@code (b|a)}, {@code (a! -> a|b)}: returned
     * without the parentheses, normalized to single spaces around {@code ->}, none elsewhere, and each
     * set of alias sets sorted ({@code b|a} reads as {@code a|b}): they are sets, and libtorch prints
     * them in hash order.
     */
    private String aliasAnnotation() {
        expect('(');
        StringBuilder sb = new StringBuilder(aliasSets());
        skipSpace();
        if (peek() == '!') {
            pos++;
            sb.append('!');
        }
        skipSpace();
        if (text.startsWith("->", pos)) {
            pos += 2;
            sb.append(" -> ").append(aliasSets());
            skipSpace();
        }
        expect(')');
        return sb.toString();
    }

    private String aliasSets() {
        TreeSet<String> sets = new TreeSet<>();
        while (true) {
            skipSpace();
            if (peek() == '*') {
                pos++;
                sets.add("*");
            } else if (isIdentStart(peek())) {
                sets.add(identifier("an alias set"));
            } else {
                throw error("expected an alias set name such as 'a' or '*'");
            }
            skipSpace();
            if (peek() == '|') {
                pos++;
                continue;
            }
            return String.join("|", sets);
        }
    }

    // ---- default values ------------------------------------------------------------------

    /** A default value as written, before the argument's type gives it meaning. */
    private sealed interface Raw permits Num, Str, Ident, RawList {
    }

    private record Num(String text, boolean isFloat) implements Raw {
    }

    private record Str(String value) implements Raw {
    }

    private record Ident(String name) implements Raw {
    }

    private record RawList(List<Raw> elements) implements Raw {
    }

    private Raw rawLiteral() {
        char c = peek();
        if (c == '[') {
            pos++;
            List<Raw> elems = new ArrayList<>();
            skipSpace();
            if (peek() != ']') {
                while (true) {
                    skipSpace();
                    elems.add(rawLiteral());
                    skipSpace();
                    if (peek() == ',') {
                        pos++;
                        continue;
                    }
                    break;
                }
            }
            expect(']');
            return new RawList(elems);
        }
        if (c == '"' || c == '\'') {
            return new Str(stringLiteral());
        }
        if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) {
            return number();
        }
        if (isIdentStart(c)) {
            String id = identifier("a default value");
            if (peek() == ':' && pos + 1 < text.length() && Character.isDigit(text.charAt(pos + 1))) {
                // libtorch prints a Device default unquoted: Device d=cuda:0
                int s = ++pos;
                while (Character.isDigit(peek())) {
                    pos++;
                }
                id = id + ":" + text.substring(s, pos);
            }
            return new Ident(id);
        }
        throw error("expected a default value");
    }

    private Raw number() {
        int start = pos;
        if (peek() == '-' || peek() == '+') {
            pos++;
            if (isIdentStart(peek())) {
                String id = identifier("a number");
                if (id.equals("inf")) {
                    return new Num(text.substring(start, pos), true);
                }
                pos = start;
                throw error("expected a number");
            }
        }
        boolean isFloat = false;
        int digits = 0;
        while (Character.isDigit(peek())) {
            pos++;
            digits++;
        }
        if (peek() == '.') {
            pos++;
            isFloat = true;
            while (Character.isDigit(peek())) {
                pos++;
                digits++;
            }
        }
        if (digits == 0) {
            pos = start;
            throw error("expected a number");
        }
        if (peek() == 'e' || peek() == 'E') {
            int e = pos;
            pos++;
            if (peek() == '-' || peek() == '+') {
                pos++;
            }
            if (!Character.isDigit(peek())) {
                pos = e;
                throw error("expected the exponent's digits");
            }
            while (Character.isDigit(peek())) {
                pos++;
            }
            isFloat = true;
        }
        if (peek() == 'j') {
            throw error("complex default values are not supported");
        }
        if (isIdentStart(peek())) {
            throw error("unexpected character after a number");
        }
        return new Num(text.substring(start, pos), isFloat);
    }

    private String stringLiteral() {
        int start = pos;
        char quote = text.charAt(pos++);
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                pos = start;
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == quote) {
                return sb.toString();
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) {
                pos = start;
                throw error("unterminated string");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000b');
                case 'x' -> {
                    if (pos + 2 > text.length() || !isHex(text.charAt(pos)) || !isHex(text.charAt(pos + 1))) {
                        pos -= 2;
                        throw error("a \\x escape needs two hex digits");
                    }
                    sb.append((char) Integer.parseInt(text.substring(pos, pos + 2), 16));
                    pos += 2;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int i = 0; i < 2 && pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '7'; i++) {
                            v = v * 8 + (text.charAt(pos++) - '0');
                        }
                        sb.append((char) v);
                    } else {
                        pos -= 2;
                        throw error("unknown escape '\\" + e + "' in a string");
                    }
                }
            }
        }
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    /** Gives a raw default its meaning from the argument's type, the way libtorch's schema parser does. */
    private Arg convert(SchemaType type, Raw raw, int at, String argName) {
        if (type instanceof SchemaType.OptionalOf o) {
            if (raw instanceof Ident id && id.name().equals("None")) {
                return Arg.NONE;
            }
            return convert(o.element(), raw, at, argName);
        }
        if (type instanceof SchemaType.ListOf l) {
            if (raw instanceof RawList rl) {
                List<Arg> out = new ArrayList<>(rl.elements().size());
                for (Raw e : rl.elements()) {
                    out.add(convert(l.element(), e, at, argName));
                }
                return Arg.list(out);
            }
            if (l.size().isPresent() && !(raw instanceof Ident id && id.name().equals("None"))) {
                // int[2] stride=1 means [1, 1]
                Arg e = convert(l.element(), raw, at, argName);
                return Arg.list(Collections.nCopies(l.size().getAsInt(), e));
            }
            if (raw instanceof Ident id && id.name().equals("None")) {
                return Arg.NONE;
            }
            throw errorAt(at, "the default of list argument '" + argName + "' must be written as a list ([...])");
        }
        String base = type instanceof SchemaType.Named n ? n.name() : "";
        switch (base) {
            case "float", "SymFloat" -> {
                if (raw instanceof Num n) {
                    return Arg.of(parseDouble(n, at));
                }
            }
            case "int", "SymInt" -> {
                if (raw instanceof Ident id && REDUCTIONS.containsKey(id.name())) {
                    return Arg.of(REDUCTIONS.get(id.name()));
                }
            }
            case "ScalarType" -> {
                if (raw instanceof Num n && !n.isFloat()) {
                    long code = parseLong(n, at);
                    Optional<DType> d = DType.fromC10((int) code);
                    return d.<Arg>map(Arg::of).orElse(Arg.of(code));
                }
            }
            case "MemoryFormat" -> {
                if (raw instanceof Num n && !n.isFloat()) {
                    long code = parseLong(n, at);
                    if (code >= 0 && code < MEMORY_FORMATS.size()) {
                        return new Arg.MemoryFormatLit(MEMORY_FORMATS.get((int) code));
                    }
                }
            }
            case "Layout" -> {
                if (raw instanceof Num n && !n.isFloat()) {
                    long code = parseLong(n, at);
                    if (code >= 0 && code < LAYOUTS.size()) {
                        return new Arg.LayoutLit(LAYOUTS.get((int) code));
                    }
                }
            }
            case "Device" -> {
                if (raw instanceof Str s) {
                    return new Arg.DeviceLit(s.value());
                }
                if (raw instanceof Ident id && !id.name().equals("None")) {
                    return new Arg.DeviceLit(id.name());
                }
            }
            default -> {
                // Scalar, number, type variables and the rest take the literal as written
            }
        }
        return plain(raw, at, argName);
    }

    /** A literal without help from the type: numbers, strings, True/False/None and the enum names ATen uses. */
    private Arg plain(Raw raw, int at, String argName) {
        if (raw instanceof Num n) {
            return n.isFloat() ? Arg.of(parseDouble(n, at)) : Arg.of(parseLong(n, at));
        }
        if (raw instanceof Str s) {
            return Arg.of(s.value());
        }
        if (raw instanceof RawList rl) {
            List<Arg> out = new ArrayList<>();
            for (Raw e : rl.elements()) {
                out.add(plain(e, at, argName));
            }
            return Arg.list(out);
        }
        String id = ((Ident) raw).name();
        switch (id) {
            case "True":
                return Arg.of(true);
            case "False":
                return Arg.of(false);
            case "None":
                return Arg.NONE;
            case "inf":
                return Arg.of(Double.POSITIVE_INFINITY);
            case "nan":
                return Arg.of(Double.NaN);
            case "complex":
                // libtorch's schema parser reads the bare word 'complex' as ComplexFloat
                return Arg.of(DType.COMPLEX64);
            default:
                break;
        }
        if (REDUCTIONS.containsKey(id)) {
            return Arg.of(REDUCTIONS.get(id));
        }
        if (MEMORY_FORMATS.contains(id)) {
            return new Arg.MemoryFormatLit(id);
        }
        if (LAYOUTS.contains(id) || id.equals("mkldnn")) {
            return new Arg.LayoutLit(id.equals("mkldnn") ? "_mkldnn" : id);
        }
        Optional<DType> d = DType.fromTorchName(id).or(() -> Optional.ofNullable(C10_DTYPES.get(id)));
        if (d.isPresent()) {
            return Arg.of(d.get());
        }
        throw errorAt(at, "unknown default value '" + id + "' for argument '" + argName + "'");
    }

    private double parseDouble(Num n, int at) {
        String s = n.text();
        if (s.endsWith("inf")) {
            return s.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw errorAt(at, "malformed number '" + s + "'");
        }
    }

    private long parseLong(Num n, int at) {
        if (n.isFloat()) {
            throw errorAt(at, "expected an integer, found '" + n.text() + "'");
        }
        try {
            return Long.parseLong(n.text().startsWith("+") ? n.text().substring(1) : n.text());
        } catch (NumberFormatException e) {
            throw errorAt(at, "integer '" + n.text() + "' does not fit in 64 bits");
        }
    }

    // ---- lexing helpers ------------------------------------------------------------------

    private String identifier(String what) {
        skipSpace();
        int start = pos;
        if (!isIdentStart(peek())) {
            throw error("expected " + what);
        }
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
            pos++;
        }
        return text.substring(start, pos);
    }

    private static boolean isIdentStart(char c) {
        return c == '_' || (c < 128 && Character.isLetter(c));
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void expect(char c) {
        skipSpace();
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private KilnException error(String message) {
        return errorAt(pos, message);
    }

    private KilnException errorAt(int at, String message) {
        String found = at >= text.length() ? "the end" : "'" + text.charAt(at) + "'";
        return new KilnException("cannot parse operator schema '" + text + "' at column " + (at + 1) + " (found " + found + "): "
                + message + "\n  " + text + "\n  " + " ".repeat(Math.max(0, at)) + "^");
    }
}
