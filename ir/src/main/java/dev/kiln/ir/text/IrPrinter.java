package dev.kiln.ir.text;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.SourceLocation;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * Prints a {@link Graph} in the IR text form (see the package documentation), deterministically:
 * the same graph always gives the same text, and {@link IrParser} reads it back to an equal graph.
 *
 * <pre>{@code String text = IrPrinter.print(graph);}</pre>
 */
public final class IrPrinter {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /**
     * Printing options. {@code elideConstantsOverBytes}: constants larger than this many bytes print
     * as {@code dense<elided>} (for display; such text parses only with
     * {@link IrParser.Options#acceptingElided()}).
     *
     * <pre>{@code IrPrinter.print(graph, IrPrinter.Options.elidingOver(64))}</pre>
     */
    public record Options(long elideConstantsOverBytes) {
        /** Every constant printed in full: the text is a faithful copy of the graph. */
        public static Options full() {
            return new Options(Long.MAX_VALUE);
        }

        /** Constants over {@code bytes} bytes print as {@code dense<elided>}. */
        public static Options elidingOver(long bytes) {
            return new Options(bytes);
        }
    }

    private final Options options;
    private final Appendable out;

    private IrPrinter(Options options, Appendable out) {
        this.options = options;
        this.out = out;
    }

    /** The full text of {@code g}. */
    public static String print(Graph g) {
        return print(g, Options.full());
    }

    public static String print(Graph g, Options options) {
        StringBuilder sb = new StringBuilder();
        print(g, options, sb);
        return sb.toString();
    }

    /** Streams the text of {@code g} to {@code out} (for large graphs: constants are hex-encoded in pieces). */
    public static void print(Graph g, Options options, Appendable out) {
        try {
            new IrPrinter(options, out).graph(g, "");
        } catch (IOException e) {
            throw new KilnException("cannot write the IR text of graph @" + g.name() + ": " + e.getMessage(), e);
        }
    }

    /** An argument in text form: {@code %x}, {@code 1.0}, {@code [%n, -1]}, {@code dtype<f16>}. */
    public static String arg(Arg a) {
        StringBuilder sb = new StringBuilder();
        try {
            new IrPrinter(Options.full(), sb).writeArg(a);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }

    /** A float literal that never reads as an int: {@code 1.0}, {@code 1.0e-5}, {@code -0.0}, {@code inf}, {@code nan}. */
    public static String floatText(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return Double.toString(v).replace('E', 'e');
    }

    /** {@code name} as written after {@code %} or {@code @}: bare when plain, else a JSON string. */
    public static String name(String name) {
        return isPlainName(name) ? name : quote(name);
    }

    static boolean isPlainName(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.'))) {
                return false;
            }
        }
        return true;
    }

    static boolean isIdentifier(String s) {
        return isPlainName(s) && (Character.isLetter(s.charAt(0)) || s.charAt(0) == '_');
    }

    /** A JSON string literal; control characters, DEL and lone surrogates are escaped so the text is exact. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    // --- graph ---

    private void graph(Graph g, String indent) throws IOException {
        out.append(indent).append("graph @").append(name(g.name())).append('(');
        List<Value> inputs = g.inputs();
        for (int i = 0; i < inputs.size(); i++) {
            out.append(i == 0 ? "" : ", ").append('%').append(name(inputs.get(i).name())).append(": ")
                    .append(inputs.get(i).type().text());
        }
        out.append(") {\n");
        String in = indent + "  ";
        for (Symbol s : g.symbols()) {
            out.append(in).append("symbol ").append(s.declaration()).append('\n');
        }
        for (Map.Entry<String, String> a : g.attributes().entrySet()) {
            out.append(in).append("attribute ").append(isIdentifier(a.getKey()) ? a.getKey() : quote(a.getKey()))
                    .append(" = ").append(quote(a.getValue())).append('\n');
        }
        for (Value c : g.constants()) {
            constant(c, in);
        }
        for (Node n : g.nodes()) {
            node(n, in);
        }
        out.append(in).append("return");
        List<Value> outs = g.outputs();
        for (int i = 0; i < outs.size(); i++) {
            out.append(i == 0 ? " " : ", ").append('%').append(name(outs.get(i).name()));
        }
        out.append('\n').append(indent).append("}\n");
    }

    private void constant(Value c, String indent) throws IOException {
        out.append(indent).append("const %").append(name(c.name())).append(" : ").append(c.type().text()).append(" = dense<");
        ConstantTensor t = c.constant().orElseThrow();
        if (t.byteSize() > options.elideConstantsOverBytes()) {
            out.append("elided");
        } else {
            out.append("\"0x");
            ByteBuffer data = t.data();
            char[] chunk = new char[8192];
            int k = 0;
            while (data.hasRemaining()) {
                int b = data.get() & 0xff;
                chunk[k++] = HEX[b >>> 4];
                chunk[k++] = HEX[b & 0xf];
                if (k == chunk.length) {
                    out.append(new String(chunk, 0, k));
                    k = 0;
                }
            }
            out.append(new String(chunk, 0, k)).append('"');
        }
        out.append(">\n");
    }

    private void node(Node n, String indent) throws IOException {
        out.append(indent);
        List<Value> outs = n.outputs();
        for (int i = 0; i < outs.size(); i++) {
            out.append(i == 0 ? "" : ", ").append('%').append(name(outs.get(i).name())).append(" : ").append(outs.get(i).type().text());
        }
        if (!outs.isEmpty()) {
            out.append(" = ");
        }
        out.append(n.op()).append('(');
        List<Arg> args = n.args();
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) {
                out.append(", ");
            }
            writeArg(args.get(i));
        }
        out.append(')');
        String defaultName = outs.isEmpty() ? baseName(n) : outs.get(0).name();
        if (!n.name().equals(defaultName)) {
            out.append(" name(").append(quote(n.name())).append(')');
        }
        if (n.location().isPresent()) {
            SourceLocation l = n.location().get();
            out.append(" loc(").append(quote(l.file())).append(':').append(Integer.toString(l.line()));
            if (!l.code().isEmpty()) {
                out.append(", ").append(quote(l.code()));
            }
            out.append(')');
        }
        if (!n.subgraphs().isEmpty()) {
            out.append(" {\n");
            for (Graph sub : n.subgraphs()) {
                graph(sub, indent + "  ");
            }
            out.append(indent).append('}');
        }
        out.append('\n');
    }

    /** The op's name without namespace or overload ({@code conv2d}): a node's default name when it has no outputs. */
    static String baseName(Node n) {
        String s = n.schema().name();
        return s.substring(s.indexOf("::") + 2);
    }

    private void writeArg(Arg a) throws IOException {
        if (a instanceof Value v) {
            out.append('%').append(name(v.name()));
        } else if (a instanceof Arg.IntLit i) {
            out.append(Long.toString(i.value()));
        } else if (a instanceof Arg.FloatLit f) {
            out.append(floatText(f.value()));
        } else if (a instanceof Arg.BoolLit b) {
            out.append(b.value() ? "true" : "false");
        } else if (a instanceof Arg.NoneLit) {
            out.append("none");
        } else if (a instanceof Arg.StrLit s) {
            out.append(quote(s.value()));
        } else if (a instanceof Arg.DTypeLit d) {
            out.append("dtype<").append(d.value().text()).append('>');
        } else if (a instanceof Arg.DeviceLit d) {
            out.append("device<").append(quote(d.value())).append('>');
        } else if (a instanceof Arg.LayoutLit l) {
            out.append("layout<").append(isIdentifier(l.value()) ? l.value() : quote(l.value())).append('>');
        } else if (a instanceof Arg.MemoryFormatLit m) {
            out.append("memory_format<").append(isIdentifier(m.value()) ? m.value() : quote(m.value())).append('>');
        } else if (a instanceof Arg.ListArg l) {
            out.append('[');
            for (int i = 0; i < l.elements().size(); i++) {
                if (i > 0) {
                    out.append(", ");
                }
                writeArg(l.elements().get(i));
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("unknown argument kind: " + a);
        }
    }

    /** A type in text form (same as {@link Type#text()}). */
    public static String type(Type t) {
        return t.text();
    }
}
