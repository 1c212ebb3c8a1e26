package dev.kiln.passes.text;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.passes.eval.TorchSchemas;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The textual IR ({@code .kir}) as the passes print and read it: golden tests, {@code kiln opt},
 * {@code --print-ir-*} dumps and failure reproducers. Printing then parsing gives an equal graph.
 * Op schemas are looked up by name ({@link TorchSchemas} by default); every argument is written.
 * This is the passes' bridge until {@code dev.kiln.ir.text} (IrPrinter/IrParser) is merged; the form
 * follows the same conventions.
 *
 * <pre>{@code
 * graph main {
 *   symbol s0 in [1, 64]
 *   input %x : tensor<f32, [s0, 4]>
 *   const %w : tensor<f32, [2]> = [1.0, 2.0]
 *   %y : tensor<f32, [s0, 4]> = aten::relu(%x)
 *   return %y
 * }
 * }</pre>
 */
public final class KirText {
    private static final Set<String> MEMORY_FORMATS = Set.of("contiguous_format", "preserve_format", "channels_last",
            "channels_last_3d");
    private static final Set<String> LAYOUTS = Set.of("strided", "sparse_coo", "sparse_csr", "mkldnn");

    private KirText() {
    }

    /** Prints {@code g} in the text form. */
    public static String print(Graph g) {
        StringBuilder sb = new StringBuilder();
        sb.append("graph ").append(g.name()).append(" {\n");
        for (Map.Entry<String, String> e : g.attributes().entrySet()) {
            sb.append("  attr ").append(e.getKey()).append(" = ").append(quote(e.getValue())).append('\n');
        }
        for (Symbol s : g.symbols()) {
            sb.append("  symbol ").append(s.declaration()).append('\n');
        }
        for (Value v : g.inputs()) {
            sb.append("  input %").append(v.name()).append(" : ").append(v.type().text()).append('\n');
        }
        for (Value c : g.constants()) {
            sb.append("  const %").append(c.name()).append(" : ").append(c.type().text()).append(" = ");
            printData(sb, c.constant().orElseThrow());
            sb.append('\n');
        }
        for (Node n : g.nodes()) {
            sb.append("  ");
            for (int i = 0; i < n.outputs().size(); i++) {
                Value o = n.output(i);
                sb.append(i == 0 ? "" : ", ").append('%').append(o.name()).append(" : ").append(o.type().text());
            }
            sb.append(n.outputs().isEmpty() ? "" : " = ").append(n.op()).append('(');
            for (int i = 0; i < n.args().size(); i++) {
                sb.append(i == 0 ? "" : ", ");
                printArg(sb, n.arg(i));
            }
            sb.append(')');
            n.location().ifPresent(l -> sb.append(" loc(").append(quote(l.file())).append(':').append(l.line()).append(')'));
            sb.append('\n');
        }
        sb.append("  return");
        for (int i = 0; i < g.outputs().size(); i++) {
            sb.append(i == 0 ? " " : ", ").append('%').append(g.outputs().get(i).name());
        }
        return sb.append("\n}\n").toString();
    }

    /** Parses the text form, resolving ops with libtorch's schemas. */
    public static Graph parse(String text) {
        return parse(text, TorchSchemas::get);
    }

    /** Parses the text form, resolving ops with {@code schemas}. */
    public static Graph parse(String text, Function<String, OpSchema> schemas) {
        return new Parser(text, schemas).graph();
    }

    static void printArg(StringBuilder sb, Arg a) {
        if (a instanceof Value v) {
            sb.append('%').append(v.name());
        } else if (a instanceof Arg.FloatLit f) {
            sb.append(formatDouble(f.value()));
        } else if (a instanceof Arg.StrLit s) {
            sb.append(quote(s.value()));
        } else if (a instanceof Arg.DTypeLit d) {
            sb.append(d.value().text());
        } else if (a instanceof Arg.DeviceLit d) {
            sb.append("device(").append(quote(d.value())).append(')');
        } else if (a instanceof Arg.LayoutLit l) {
            sb.append(l.value());
        } else if (a instanceof Arg.MemoryFormatLit m) {
            sb.append(m.value());
        } else if (a instanceof Arg.ListArg l) {
            sb.append('[');
            for (int i = 0; i < l.elements().size(); i++) {
                sb.append(i == 0 ? "" : ", ");
                printArg(sb, l.elements().get(i));
            }
            sb.append(']');
        } else {
            sb.append(a);
        }
    }

    static String formatDouble(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        return Double.toString(d);
    }

    private static void printData(StringBuilder sb, ConstantTensor c) {
        sb.append('[');
        long n = c.numel();
        for (long i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ", ");
            DType t = c.dtype();
            if (t.isFloatingPoint()) {
                double d = c.getDouble(i);
                sb.append(t == DType.FLOAT64 ? formatDouble(d) : formatFloat((float) d));
            } else if (t == DType.INT64) {
                sb.append(c.getLong(i));
            } else {
                sb.append((long) c.getDouble(i));
            }
        }
        sb.append(']');
    }

    private static String formatFloat(float f) {
        if (Float.isNaN(f)) {
            return "nan";
        }
        if (Float.isInfinite(f)) {
            return f > 0 ? "inf" : "-inf";
        }
        return Float.toString(f);
    }

    static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    /** A recursive-descent parser over a small tokenizer. */
    private static final class Parser {
        private final String src;
        private final Function<String, OpSchema> schemas;
        private int pos;
        private Graph graph;

        Parser(String src, Function<String, OpSchema> schemas) {
            this.src = src;
            this.schemas = schemas;
        }

        Graph graph() {
            expectWord("graph");
            graph = new Graph(ident());
            expect("{");
            while (true) {
                skipSpace();
                if (peek("}")) {
                    throw error("missing 'return' before '}'");
                }
                if (peekWord("attr")) {
                    expectWord("attr");
                    String k = ident();
                    expect("=");
                    graph.attributes().put(k, string());
                } else if (peekWord("symbol")) {
                    expectWord("symbol");
                    String name = ident();
                    expectWord("in");
                    expect("[");
                    long min = integer();
                    expect(",");
                    long max = peekWord("inf") ? skipWord("inf", Symbol.UNBOUNDED) : integer();
                    expect("]");
                    graph.declare(new Symbol(name, min, max));
                } else if (peekWord("input")) {
                    expectWord("input");
                    String name = valueName();
                    expect(":");
                    checkName(graph.addInput(name, type()), name);
                } else if (peekWord("const")) {
                    expectWord("const");
                    String name = valueName();
                    expect(":");
                    Type t = type();
                    expect("=");
                    checkName(graph.addConstant(name, data(name, t)), name);
                } else if (peekWord("return")) {
                    expectWord("return");
                    List<Value> outs = new ArrayList<>();
                    skipSpace();
                    if (!peek("}")) {
                        do {
                            outs.add(ref(valueName()));
                        } while (accept(","));
                    }
                    graph.setOutputs(outs);
                    expect("}");
                    skipSpace();
                    if (pos < src.length()) {
                        throw error("unexpected text after the graph");
                    }
                    return graph;
                } else {
                    node();
                }
            }
        }

        private void node() {
            List<String> names = new ArrayList<>();
            List<Type> types = new ArrayList<>();
            skipSpace();
            if (peek("%")) {
                do {
                    names.add(valueName());
                    expect(":");
                    types.add(type());
                } while (accept(","));
                expect("=");
            }
            int at = pos;
            String op = opName();
            OpSchema schema;
            try {
                schema = schemas.apply(op);
            } catch (KilnException e) {
                pos = at;
                throw error(e.getMessage());
            }
            expect("(");
            List<Arg> args = new ArrayList<>();
            skipSpace();
            if (!peek(")")) {
                do {
                    args.add(arg());
                } while (accept(","));
            }
            expect(")");
            if (args.size() != schema.arguments().size()) {
                pos = at;
                throw error(op + " takes " + schema.arguments().size() + " arguments (all are written) but "
                        + args.size() + " were given; schema: " + schema);
            }
            Node n = graph.insertAt(graph.nodes().size(), schema, args, types, names);
            for (int i = 0; i < names.size(); i++) {
                checkName(n.output(i), names.get(i));
            }
            skipSpace();
            if (peekWord("loc")) {
                expectWord("loc");
                expect("(");
                String file = string();
                expect(":");
                n.setLocation(new dev.kiln.ir.SourceLocation(file, (int) integer()));
                expect(")");
            }
        }

        private void checkName(Value v, String wanted) {
            if (!v.name().equals(wanted)) {
                throw error("value %" + wanted + " is defined twice");
            }
        }

        private Arg arg() {
            skipSpace();
            if (peek("%")) {
                return ref(valueName());
            }
            if (peek("[")) {
                expect("[");
                List<Arg> items = new ArrayList<>();
                skipSpace();
                if (!peek("]")) {
                    do {
                        items.add(arg());
                    } while (accept(","));
                }
                expect("]");
                return new Arg.ListArg(items);
            }
            if (peek("\"")) {
                return new Arg.StrLit(string());
            }
            char c = src.charAt(pos);
            if (Character.isDigit(c) || c == '-' || c == '+') {
                String num = number();
                if (num.matches("[-+]?\\d+")) {
                    return new Arg.IntLit(Long.parseLong(num));
                }
                return new Arg.FloatLit(parseDouble(num));
            }
            String w = ident();
            switch (w) {
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
                case "device": {
                    expect("(");
                    String d = string();
                    expect(")");
                    return new Arg.DeviceLit(d);
                }
                default:
                    if (MEMORY_FORMATS.contains(w)) {
                        return new Arg.MemoryFormatLit(w);
                    }
                    if (LAYOUTS.contains(w)) {
                        return new Arg.LayoutLit(w);
                    }
                    try {
                        return new Arg.DTypeLit(DType.parse(w));
                    } catch (KilnException e) {
                        throw error("unknown literal '" + w + "'");
                    }
            }
        }

        private Value ref(String name) {
            return graph.value(name).orElseThrow(() -> error("%" + name + " is used before it is defined"));
        }

        Type type() {
            String w = ident();
            switch (w) {
                case "tensor": {
                    skipSpace();
                    if (!peek("<")) {
                        return TensorType.unknown();
                    }
                    expect("<");
                    Optional<DType> dt = Optional.empty();
                    if (!accept("?")) {
                        dt = Optional.of(DType.parse(ident()));
                    }
                    expect(",");
                    Shape shape;
                    if (accept("*")) {
                        shape = Shape.unranked();
                    } else {
                        expect("[");
                        List<SymExpr> dims = new ArrayList<>();
                        skipSpace();
                        if (!peek("]")) {
                            do {
                                dims.add(expr());
                            } while (accept(","));
                        }
                        expect("]");
                        shape = Shape.of(dims);
                    }
                    expect(">");
                    return new TensorType(dt, shape);
                }
                case "list": {
                    expect("<");
                    Type e = type();
                    expect(">");
                    return new ListType(e);
                }
                case "optional": {
                    expect("<");
                    Type e = type();
                    expect(">");
                    return new OptionalType(e);
                }
                default:
                    for (PrimitiveType p : PrimitiveType.values()) {
                        if (p.text().equals(w)) {
                            return p;
                        }
                    }
                    throw error("unknown type '" + w + "'");
            }
        }

        // size expressions: sum := term (('+'|'-') term)*; term := atom (('*'|'//'|'%') atom)*
        private SymExpr expr() {
            SymExpr e = term();
            while (true) {
                if (accept("+")) {
                    e = SymExpr.add(e, term());
                } else if (acceptMinus()) {
                    e = SymExpr.sub(e, term());
                } else {
                    return e;
                }
            }
        }

        private SymExpr term() {
            SymExpr e = atom();
            while (true) {
                if (accept("//")) {
                    e = SymExpr.floorDiv(e, atom());
                } else if (accept("*")) {
                    e = SymExpr.mul(e, atom());
                } else if (accept("%")) {
                    e = SymExpr.mod(e, atom());
                } else {
                    return e;
                }
            }
        }

        private SymExpr atom() {
            skipSpace();
            if (accept("(")) {
                SymExpr e = expr();
                expect(")");
                return e;
            }
            char c = src.charAt(pos);
            if (Character.isDigit(c) || c == '-') {
                return SymExpr.of(integer());
            }
            String w = ident();
            if (w.equals("max") || w.equals("min")) {
                expect("(");
                SymExpr a = expr();
                expect(",");
                SymExpr b = expr();
                expect(")");
                return w.equals("max") ? SymExpr.max(a, b) : SymExpr.min(a, b);
            }
            Symbol s = graph.symbol(w).orElseThrow(() -> error("symbol " + w + " is not declared"));
            return SymExpr.of(s);
        }

        private boolean acceptMinus() {
            skipSpace();
            if (src.startsWith("-", pos)) {
                pos++;
                return true;
            }
            return false;
        }

        private ConstantTensor data(String name, Type t) {
            if (!(t instanceof TensorType tt) || !tt.isComplete() || !tt.shape().isStatic()) {
                throw error("constant %" + name + " needs a static tensor type");
            }
            DType dt = tt.elementType();
            long[] sizes = tt.shape().staticSizes().orElseThrow();
            ByteBuffer b = ConstantTensor.allocate(dt, sizes);
            long n = 1;
            for (long s : sizes) {
                n *= s;
            }
            expect("[");
            for (long i = 0; i < n; i++) {
                if (i > 0) {
                    expect(",");
                }
                skipSpace();
                String num = src.startsWith("inf", pos) || src.startsWith("nan", pos) ? ident() : number();
                if (dt == DType.INT64) {
                    b.putLong((int) (i * 8), Long.parseLong(num));
                } else {
                    ElementCodec.put(dt, b, i, parseDouble(num));
                }
            }
            expect("]");
            return new ConstantTensor(dt, sizes, b);
        }

        private double parseDouble(String s) {
            switch (s) {
                case "inf":
                case "+inf":
                    return Double.POSITIVE_INFINITY;
                case "-inf":
                    return Double.NEGATIVE_INFINITY;
                case "nan":
                    return Double.NaN;
                default:
                    return Double.parseDouble(s);
            }
        }

        // --- tokens ---

        private void skipSpace() {
            while (pos < src.length()) {
                char c = src.charAt(pos);
                if (c == '#') {
                    while (pos < src.length() && src.charAt(pos) != '\n') {
                        pos++;
                    }
                } else if (Character.isWhitespace(c)) {
                    pos++;
                } else {
                    return;
                }
            }
        }

        private boolean peek(String s) {
            skipSpace();
            return src.startsWith(s, pos);
        }

        private boolean peekWord(String w) {
            skipSpace();
            if (!src.startsWith(w, pos)) {
                return false;
            }
            int end = pos + w.length();
            return end >= src.length() || !isIdentChar(src.charAt(end));
        }

        private long skipWord(String w, long value) {
            expectWord(w);
            return value;
        }

        private boolean accept(String s) {
            if (peek(s)) {
                pos += s.length();
                return true;
            }
            return false;
        }

        private void expect(String s) {
            if (!accept(s)) {
                throw error("expected '" + s + "'");
            }
        }

        private void expectWord(String w) {
            if (!peekWord(w)) {
                throw error("expected '" + w + "'");
            }
            pos += w.length();
        }

        private static boolean isIdentChar(char c) {
            return Character.isLetterOrDigit(c) || c == '_';
        }

        private String ident() {
            skipSpace();
            int start = pos;
            while (pos < src.length() && isIdentChar(src.charAt(pos))) {
                pos++;
            }
            if (start == pos) {
                throw error("expected a name");
            }
            return src.substring(start, pos);
        }

        private String valueName() {
            expect("%");
            int start = pos;
            while (pos < src.length() && (isIdentChar(src.charAt(pos)) || src.charAt(pos) == '.')) {
                pos++;
            }
            if (start == pos) {
                throw error("expected a value name after '%'");
            }
            return src.substring(start, pos);
        }

        private String opName() {
            skipSpace();
            int start = pos;
            while (pos < src.length() && (isIdentChar(src.charAt(pos)) || src.charAt(pos) == '.' || src.charAt(pos) == ':')) {
                pos++;
            }
            if (start == pos) {
                throw error("expected an op name such as aten::relu");
            }
            return src.substring(start, pos);
        }

        private String string() {
            expect("\"");
            StringBuilder sb = new StringBuilder();
            while (pos < src.length() && src.charAt(pos) != '"') {
                char c = src.charAt(pos++);
                if (c == '\\' && pos < src.length()) {
                    char e = src.charAt(pos++);
                    sb.append(e == 'n' ? '\n' : e);
                } else {
                    sb.append(c);
                }
            }
            if (pos >= src.length()) {
                throw error("unterminated string");
            }
            pos++;
            return sb.toString();
        }

        private long integer() {
            String n = number();
            try {
                return Long.parseLong(n);
            } catch (NumberFormatException e) {
                throw error("expected an integer, got '" + n + "'");
            }
        }

        private String number() {
            skipSpace();
            int start = pos;
            if (pos < src.length() && (src.charAt(pos) == '-' || src.charAt(pos) == '+')) {
                pos++;
            }
            if (src.startsWith("inf", pos) || src.startsWith("nan", pos)) {
                pos += 3;
                return src.substring(start, pos);
            }
            while (pos < src.length()) {
                char c = src.charAt(pos);
                boolean exp = (c == '-' || c == '+') && pos > start && (src.charAt(pos - 1) == 'e' || src.charAt(pos - 1) == 'E');
                if (Character.isDigit(c) || c == '.' || c == 'e' || c == 'E' || exp) {
                    pos++;
                } else {
                    break;
                }
            }
            if (start == pos) {
                throw error("expected a number");
            }
            return src.substring(start, pos);
        }

        private KilnException error(String msg) {
            int line = 1;
            int col = 1;
            for (int i = 0; i < Math.min(pos, src.length()); i++) {
                if (src.charAt(i) == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            return new KilnException("IR text line " + line + ":" + col + ": " + msg);
        }
    }
}
