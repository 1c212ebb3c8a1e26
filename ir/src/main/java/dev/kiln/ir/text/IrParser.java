package dev.kiln.ir.text;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SourceLocation;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.Lexer.Kind;
import dev.kiln.ir.text.Lexer.Token;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parses the IR text form (see the package documentation) back into a {@link Graph}, resolving
 * each op to its exact overload in a {@link SchemaRegistry}. Nodes must list all their
 * arguments; nothing is filled in. Errors are {@link KilnException}s with {@code source:line:column}
 * and what was expected.
 *
 * <pre>{@code Graph g = IrParser.parse(text, "model.kir", SchemaRegistry.standard());}</pre>
 */
public final class IrParser {

    /**
     * Parsing options. {@code acceptElided}: accept constants printed as {@code dense<elided>} and
     * fill them with zeros (the text came from a display print; never use it to run a model).
     *
     * <pre>{@code IrParser.parse(text, "dump.kir", registry, IrParser.Options.acceptingElided())}</pre>
     */
    public record Options(boolean acceptElided) {
        public static Options strict() {
            return new Options(false);
        }

        public static Options acceptingElided() {
            return new Options(true);
        }
    }

    private final List<Token> tokens;
    private final String source;
    private final SchemaRegistry schemas;
    private final Options options;
    /** Whether an undeclared symbol in a size is declared (unbounded) in the scope instead of refused. */
    private boolean declareUnknownSymbols;
    private int pos;

    private IrParser(String text, String source, SchemaRegistry schemas, Options options) {
        this.tokens = Lexer.tokenize(text, source);
        this.source = source;
        this.schemas = schemas;
        this.options = options;
    }

    /** Parses one graph; {@code source} names the text in errors. */
    public static Graph parse(String text, String source, SchemaRegistry schemas) {
        return parse(text, source, schemas, Options.strict());
    }

    public static Graph parse(String text, String source, SchemaRegistry schemas, Options options) {
        IrParser p = new IrParser(text, source, schemas, options);
        Graph g = p.graph();
        p.expectKind(Kind.EOF, "the end of the text after the graph");
        return g;
    }

    /** Parses the graph in {@code file} (UTF-8); errors name the file. */
    public static Graph parse(Path file, SchemaRegistry schemas, Options options) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KilnException(file + ": cannot read the IR text: " + e.getMessage(), e);
        }
        return parse(text, file.toString(), schemas, options);
    }

    /**
     * Parses a type on its own ({@code tensor<f32, [s0, 3]>}, {@code list<int>}), resolving symbols
     * against those declared in {@code scope}: handy in tests and tools.
     */
    public static Type parseType(String text, Graph scope) {
        IrParser p = new IrParser(text, "type", null, Options.strict());
        Type t = p.type(scope);
        p.expectKind(Kind.EOF, "the end of the type");
        return t;
    }

    /**
     * Parses a type like {@link #parseType(String, Graph)}, declaring any symbol {@code scope} does not know as unbounded
     * in it: for reading types that were printed on their own (a compiled program's slot types), where the symbols'
     * declarations may not travel with them.
     */
    public static Type parseTypeDeclaringSymbols(String text, Graph scope) {
        IrParser p = new IrParser(text, "type", null, Options.strict());
        p.declareUnknownSymbols = true;
        Type t = p.type(scope);
        p.expectKind(Kind.EOF, "the end of the type");
        return t;
    }

    // --- graph ---

    private record PendingInput(Token name, int typeStart, int typeEnd) {
    }

    private Graph graph() {
        expectWord("graph");
        Token nameTok = next();
        if (nameTok.kind() != Kind.GLOBAL) {
            throw error(nameTok, "a graph name such as @main");
        }
        Graph g = new Graph(nameTok.text());
        expect("(");
        // input types may use symbols declared in the body: remember where they are, read them later
        List<PendingInput> pending = new ArrayList<>();
        if (!peek().is(")")) {
            do {
                Token v = expectKind(Kind.VALUE, "an input such as %x");
                expect(":");
                int start = pos;
                skipType();
                pending.add(new PendingInput(v, start, pos));
            } while (accept(","));
        }
        expect(")");
        expect("{");
        while (peek().is("symbol") && peekAt(1).kind() == Kind.IDENT || peek().is("attribute") && !peekAt(1).is("::")) {
            if (peek().is("symbol")) {
                symbol(g);
            } else {
                attribute(g);
            }
        }
        int resume = pos;
        for (PendingInput in : pending) {
            pos = in.typeStart;
            Type t = type(g);
            if (pos != in.typeEnd) {
                throw error(peek(), "',' or ')' after the type of input %" + IrPrinter.name(in.name.text()));
            }
            checkFresh(g, in.name);
            checkNamed(g.addInput(in.name.text(), t), in.name);
        }
        pos = resume;
        while (true) {
            Token t = peek();
            if (t.is("return") && !peekAt(1).is("::")) {
                next();
                List<Value> outs = new ArrayList<>();
                if (peek().kind() == Kind.VALUE) {
                    do {
                        outs.add(valueRef(g));
                    } while (accept(","));
                }
                g.setOutputs(outs);
                expect("}");
                return g;
            } else if (t.is("symbol") && peekAt(1).kind() == Kind.IDENT) {
                symbol(g);
            } else if (t.is("attribute") && !peekAt(1).is("::")) {
                attribute(g);
            } else if (t.is("const") && peekAt(1).kind() == Kind.VALUE) {
                constant(g);
            } else if (t.kind() == Kind.VALUE || t.kind() == Kind.IDENT) {
                node(g);
            } else {
                throw error(t, "a statement (symbol, attribute, const, a node or return)");
            }
        }
    }

    private void symbol(Graph g) {
        Token kw = next();
        Token name = expectKind(Kind.IDENT, "a symbol name");
        expectWord("in");
        expect("[");
        long min = signedInt();
        expect(",");
        long max;
        if (peek().is("inf")) {
            next();
            max = Symbol.UNBOUNDED;
        } else {
            max = signedInt();
        }
        expect("]");
        try {
            if (g.symbol(name.text()).isPresent()) {
                throw new KilnException("symbol " + name.text() + " is declared twice");
            }
            g.declare(new Symbol(name.text(), min, max));
        } catch (KilnException e) {
            throw at(kw, e.getMessage());
        }
    }

    private void attribute(Graph g) {
        next();
        Token key = next();
        if (key.kind() != Kind.IDENT && key.kind() != Kind.STRING) {
            throw error(key, "an attribute name");
        }
        expect("=");
        Token v = expectKind(Kind.STRING, "a string attribute value");
        if (g.attributes().containsKey(key.text())) {
            throw at(key, "attribute " + key.text() + " is given twice");
        }
        g.attributes().put(key.text(), v.text());
    }

    private void constant(Graph g) {
        next();
        Token name = next();
        expect(":");
        Token typeTok = peek();
        Type type = type(g);
        expect("=");
        expectWord("dense");
        expect("<");
        if (!(type instanceof TensorType tt) || tt.dtype().isEmpty() || !tt.shape().isStatic()) {
            throw at(typeTok, "a constant needs a tensor type with a dtype and static sizes, not " + type.text());
        }
        DType dtype = tt.dtype().get();
        long[] sizes = tt.shape().staticSizes().orElseThrow();
        ByteBuffer data;
        try {
            data = ConstantTensor.allocate(dtype, sizes);
        } catch (RuntimeException e) {
            throw at(typeTok, "cannot hold constant %" + name.text() + " of type " + type.text() + ": " + e.getMessage());
        }
        Token d = next();
        if (d.is("elided")) {
            if (!options.acceptElided()) {
                throw at(d, "constant %" + name.text() + " has elided data (dense<elided>): this text was printed for "
                        + "display; print the graph in full, or parse with IrParser.Options.acceptingElided() to fill zeros");
            }
        } else if (d.kind() == Kind.STRING) {
            String hex = d.text();
            if (!hex.startsWith("0x") || hex.length() != 2 + 2L * data.capacity()) {
                throw at(d, "constant %" + name.text() + " of type " + type.text() + " needs \"0x\" and "
                        + 2L * data.capacity() + " hex digits, found " + Math.max(0, hex.length() - 2) + " characters");
            }
            for (int i = 0; i < data.capacity(); i++) {
                int hi = Character.digit(hex.charAt(2 + 2 * i), 16);
                int lo = Character.digit(hex.charAt(3 + 2 * i), 16);
                if (hi < 0 || lo < 0) {
                    throw at(d, "constant %" + name.text() + " has a non-hex character in its data near byte " + i);
                }
                data.put(i, (byte) (hi << 4 | lo));
            }
        } else {
            throw error(d, "the constant's data: a hex string \"0x...\" or elided");
        }
        expect(">");
        checkFresh(g, name);
        checkNamed(g.addConstant(name.text(), new ConstantTensor(dtype, sizes, data)), name);
    }

    private void node(Graph g) {
        List<Token> names = new ArrayList<>();
        List<Type> types = new ArrayList<>();
        if (peek().kind() == Kind.VALUE) {
            do {
                Token v = expectKind(Kind.VALUE, "an output name such as %y");
                expect(":");
                types.add(type(g));
                checkFresh(g, v);
                for (Token other : names) {
                    if (other.text().equals(v.text())) {
                        throw at(v, "value %" + IrPrinter.name(v.text()) + " is defined twice");
                    }
                }
                names.add(v);
            } while (accept(","));
            expect("=");
        }
        Token opTok = expectKind(Kind.IDENT, "an op name such as aten::relu");
        expect("::");
        Token opName = expectKind(Kind.IDENT, "an op name after '::'");
        String op = opTok.text() + "::" + opName.text();
        OpSchema schema;
        try {
            schema = schemas.get(op);
        } catch (KilnException e) {
            throw at(opTok, e.getMessage());
        }
        expect("(");
        List<Arg> args = new ArrayList<>();
        if (!peek().is(")")) {
            do {
                args.add(arg(g));
            } while (accept(","));
        }
        expect(")");
        int want = schema.arguments().size();
        if (args.size() != want && !(schema.varArgs() && args.size() > want)) {
            StringBuilder argNames = new StringBuilder();
            schema.arguments().forEach(a -> argNames.append(argNames.length() == 0 ? "" : ", ").append(a.name()));
            throw at(opTok, op + " takes " + want + (schema.varArgs() ? " or more" : "") + " arguments (" + argNames
                    + ") but " + args.size() + " are given; the text form lists every argument in schema order");
        }
        List<String> outNames = new ArrayList<>();
        names.forEach(t -> outNames.add(t.text()));
        Node n;
        try {
            n = g.insertAt(g.nodes().size(), schema, args, types, outNames);
        } catch (KilnException | IllegalArgumentException e) {
            throw at(opTok, e.getMessage());
        }
        for (int i = 0; i < outNames.size(); i++) {
            checkNamed(n.output(i), names.get(i));
        }
        n.setName(outNames.isEmpty() ? IrPrinter.baseName(n) : outNames.get(0));
        if (peek().is("name") && peekAt(1).is("(")) {
            next();
            next();
            n.setName(expectKind(Kind.STRING, "the node name as a string").text());
            expect(")");
        }
        if (peek().is("loc") && peekAt(1).is("(")) {
            next();
            next();
            String file = expectKind(Kind.STRING, "the source file as a string").text();
            expect(":");
            boolean negative = accept("-");
            Token line = expectKind(Kind.INT, "a line number");
            String code = "";
            if (accept(",")) {
                code = expectKind(Kind.STRING, "the source code line as a string").text();
            }
            expect(")");
            try {
                n.setLocation(new SourceLocation(file, Integer.parseInt((negative ? "-" : "") + line.text()), code));
            } catch (NumberFormatException e) {
                throw at(line, "line number " + line.text() + " is too large");
            }
        }
        if (accept("{")) {
            while (!accept("}")) {
                n.addSubgraph(graph());
            }
        }
    }

    // --- arguments ---

    private Arg arg(Graph g) {
        Token t = peek();
        switch (t.kind()) {
            case VALUE:
                return valueRef(g);
            case INT:
            case FLOAT:
                return number(false);
            case STRING:
                next();
                return new Arg.StrLit(t.text());
            case IDENT:
                return wordArg(g);
            case PUNCT:
                if (t.is("-")) {
                    next();
                    return number(true);
                }
                if (t.is("[")) {
                    next();
                    List<Arg> elems = new ArrayList<>();
                    if (!peek().is("]")) {
                        do {
                            elems.add(arg(g));
                        } while (accept(","));
                    }
                    expect("]");
                    return new Arg.ListArg(elems);
                }
                break;
            default:
                break;
        }
        throw error(t, "an argument (a %value, number, string, true/false/none, dtype<..>, device<..>, layout<..>, memory_format<..> or a [list])");
    }

    private Arg wordArg(Graph g) {
        Token t = next();
        switch (t.text()) {
            case "true":
                return new Arg.BoolLit(true);
            case "false":
                return new Arg.BoolLit(false);
            case "none":
                return Arg.NONE;
            case "inf":
                return new Arg.FloatLit(Double.POSITIVE_INFINITY);
            case "nan":
                return new Arg.FloatLit(Double.NaN);
            case "dtype": {
                expect("<");
                Token d = expectKind(Kind.IDENT, "a dtype such as f32");
                expect(">");
                try {
                    return new Arg.DTypeLit(DType.parse(d.text()));
                } catch (KilnException e) {
                    throw at(d, e.getMessage());
                }
            }
            case "device": {
                expect("<");
                String d = expectKind(Kind.STRING, "a device string such as \"cuda:0\"").text();
                expect(">");
                return new Arg.DeviceLit(d);
            }
            case "layout": {
                expect("<");
                String l = identOrString("a layout such as strided");
                expect(">");
                return new Arg.LayoutLit(l);
            }
            case "memory_format": {
                expect("<");
                String m = identOrString("a memory format such as contiguous_format");
                expect(">");
                return new Arg.MemoryFormatLit(m);
            }
            default:
                throw error(t, "an argument (true, false, none, inf, nan, dtype<..>, device<..>, layout<..>, memory_format<..>)");
        }
    }

    private Arg number(boolean negative) {
        Token t = next();
        if (t.kind() == Kind.INT) {
            try {
                return new Arg.IntLit(Long.parseLong((negative ? "-" : "") + t.text()));
            } catch (NumberFormatException e) {
                throw at(t, "integer " + (negative ? "-" : "") + t.text() + " does not fit in 64 bits");
            }
        }
        if (t.kind() == Kind.FLOAT) {
            double v = Double.parseDouble(t.text());
            return new Arg.FloatLit(negative ? -v : v);
        }
        if (negative && t.is("inf")) {
            return new Arg.FloatLit(Double.NEGATIVE_INFINITY);
        }
        throw error(t, "a number after '-'");
    }

    private Value valueRef(Graph g) {
        Token t = expectKind(Kind.VALUE, "a value such as %x");
        return g.value(t.text()).orElseThrow(() -> at(t, "value %" + IrPrinter.name(t.text())
                + " is not defined before this use (values are defined by inputs, const or an earlier node)"));
    }

    // --- types ---

    /** Skips the tokens of a type without interpreting them (up to ',' or ')' at depth 0). */
    private void skipType() {
        int depth = 0;
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.EOF) {
                throw error(t, "a type");
            }
            if (depth == 0 && (t.is(",") || t.is(")"))) {
                return;
            }
            if (t.is("(") || t.is("[") || t.is("<")) {
                depth++;
            } else if (t.is(")") || t.is("]") || t.is(">")) {
                depth--;
            }
            next();
        }
    }

    private Type type(Graph g) {
        Token t = expectKind(Kind.IDENT, "a type such as tensor<f32, [2, 3]>, int or list<int>");
        switch (t.text()) {
            case "tensor": {
                if (!accept("<")) {
                    return TensorType.unknown();
                }
                Optional<DType> dtype;
                if (accept("?")) {
                    dtype = Optional.empty();
                } else {
                    Token d = expectKind(Kind.IDENT, "a dtype such as f32, or ?");
                    try {
                        dtype = Optional.of(DType.parse(d.text()));
                    } catch (KilnException e) {
                        throw at(d, e.getMessage());
                    }
                }
                if (accept(">")) {
                    // tensor<f32>: the dtype alone, the shape unknown (as tensor<f32, *>)
                    return new TensorType(dtype, Shape.unranked());
                }
                expect(",");
                Shape shape;
                if (accept("*")) {
                    shape = Shape.unranked();
                } else {
                    expect("[");
                    List<SymExpr> dims = new ArrayList<>();
                    if (!peek().is("]")) {
                        do {
                            Token at = peek();
                            try {
                                dims.add(sizeExpr(g));
                            } catch (ArithmeticException e) {
                                throw at(at, "size expression overflows 64 bits: " + e.getMessage());
                            }
                        } while (accept(","));
                    }
                    expect("]");
                    shape = Shape.of(dims);
                }
                expect(">");
                return new TensorType(dtype, shape);
            }
            case "list": {
                expect("<");
                Type e = type(g);
                expect(">");
                return new ListType(e);
            }
            case "optional": {
                expect("<");
                Type e = type(g);
                expect(">");
                return new OptionalType(e);
            }
            default:
                for (PrimitiveType p : PrimitiveType.values()) {
                    if (p.text().equals(t.text())) {
                        return p;
                    }
                }
                throw error(t, "a type (tensor, int, float, bool, number, str, device, layout, memory_format, dtype, none, list<..>, optional<..>)");
        }
    }

    // --- size expressions: + - * // % max(,) min(,) and parentheses, built with SymExpr's factories ---

    private SymExpr sizeExpr(Graph g) {
        SymExpr e = term(g);
        while (true) {
            if (accept("+")) {
                e = SymExpr.add(e, term(g));
            } else if (accept("-")) {
                e = SymExpr.sub(e, term(g));
            } else {
                return e;
            }
        }
    }

    private SymExpr term(Graph g) {
        SymExpr e = factor(g);
        while (true) {
            Token op = peek();
            try {
                if (accept("*")) {
                    e = SymExpr.mul(e, factor(g));
                } else if (accept("//")) {
                    e = SymExpr.floorDiv(e, factor(g));
                } else if (accept("%")) {
                    e = SymExpr.mod(e, factor(g));
                } else {
                    return e;
                }
            } catch (ArithmeticException ex) {
                throw at(op, "size expression overflows: " + ex.getMessage());
            }
        }
    }

    private SymExpr factor(Graph g) {
        Token t = next();
        if (t.kind() == Kind.INT) {
            try {
                return SymExpr.of(Long.parseLong(t.text()));
            } catch (NumberFormatException e) {
                throw at(t, "size " + t.text() + " does not fit in 64 bits");
            }
        }
        if (t.is("-")) {
            if (peek().kind() == Kind.INT) {
                Token n = next();
                try {
                    return SymExpr.of(Long.parseLong("-" + n.text()));
                } catch (NumberFormatException e) {
                    throw at(n, "size -" + n.text() + " does not fit in 64 bits");
                }
            }
            return SymExpr.mul(SymExpr.of(-1), factor(g));
        }
        if (t.is("(")) {
            SymExpr e = sizeExpr(g);
            expect(")");
            return e;
        }
        if (t.kind() == Kind.IDENT) {
            if ((t.text().equals("max") || t.text().equals("min")) && peek().is("(")) {
                next();
                SymExpr a = sizeExpr(g);
                expect(",");
                SymExpr b = sizeExpr(g);
                expect(")");
                return t.text().equals("max") ? SymExpr.max(a, b) : SymExpr.min(a, b);
            }
            Symbol s = declareUnknownSymbols && g.symbol(t.text()).isEmpty() ? g.declare(new Symbol(t.text(), 0, Symbol.UNBOUNDED))
                    : g.symbol(t.text()).orElseThrow(() -> at(t, "symbol " + t.text()
                    + " is not declared; declare it first with 'symbol " + t.text() + " in [min, max]'"));
            return SymExpr.of(s);
        }
        throw error(t, "a size (a number, a declared symbol, max(..), min(..) or a parenthesized expression)");
    }

    // --- tokens ---

    private long signedInt() {
        boolean neg = accept("-");
        Token t = expectKind(Kind.INT, "an integer");
        try {
            return Long.parseLong((neg ? "-" : "") + t.text());
        } catch (NumberFormatException e) {
            throw at(t, "integer " + t.text() + " does not fit in 64 bits");
        }
    }

    private String identOrString(String what) {
        Token t = next();
        if (t.kind() == Kind.IDENT || t.kind() == Kind.STRING) {
            return t.text();
        }
        throw error(t, what);
    }

    private void checkFresh(Graph g, Token name) {
        if (g.value(name.text()).isPresent()) {
            throw at(name, "value %" + IrPrinter.name(name.text()) + " is defined twice");
        }
    }

    /** The graph cleans names it does not allow; the text must name values exactly as the graph will. */
    private void checkNamed(Value v, Token name) {
        if (!v.name().equals(name.text())) {
            throw at(name, "value name %" + IrPrinter.name(name.text()) + " is not allowed: value names use letters, digits,"
                    + " '_' and '.' (the graph would call it %" + v.name() + ")");
        }
    }

    private Token peek() {
        return tokens.get(pos);
    }

    private Token peekAt(int ahead) {
        return tokens.get(Math.min(pos + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(pos);
        if (t.kind() != Kind.EOF) {
            pos++;
        }
        return t;
    }

    private boolean accept(String punct) {
        if (peek().kind() == Kind.PUNCT && peek().text().equals(punct)) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(String punct) {
        if (!accept(punct)) {
            throw error(peek(), "'" + punct + "'");
        }
    }

    private void expectWord(String word) {
        Token t = peek();
        if (t.kind() != Kind.IDENT || !t.text().equals(word)) {
            throw error(t, "'" + word + "'");
        }
        pos++;
    }

    private Token expectKind(Kind kind, String what) {
        Token t = peek();
        if (t.kind() != kind) {
            throw error(t, what);
        }
        return next();
    }

    private KilnException error(Token t, String expected) {
        return at(t, "expected " + expected + " but found " + t.show());
    }

    private KilnException at(Token t, String msg) {
        return new KilnException(source + ":" + t.line() + ":" + t.col() + ": " + msg);
    }
}
