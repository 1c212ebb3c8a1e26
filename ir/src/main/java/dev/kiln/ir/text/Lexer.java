package dev.kiln.ir.text;

import dev.kiln.ir.KilnException;

import java.util.ArrayList;
import java.util.List;

/** Splits IR text into tokens with line and column, for {@link IrParser}. */
final class Lexer {
    enum Kind { IDENT, INT, FLOAT, STRING, VALUE, GLOBAL, PUNCT, EOF }

    /** A token; {@code text} is the unescaped content for STRING, VALUE and GLOBAL, else the source text. */
    record Token(Kind kind, String text, int line, int col) {
        boolean is(String punctOrIdent) {
            return (kind == Kind.PUNCT || kind == Kind.IDENT) && text.equals(punctOrIdent);
        }

        String show() {
            return switch (kind) {
                case EOF -> "the end of the text";
                case STRING -> "string " + IrPrinter.quote(text);
                case VALUE -> "%" + IrPrinter.name(text);
                case GLOBAL -> "@" + IrPrinter.name(text);
                default -> "'" + text + "'";
            };
        }
    }

    private final String s;
    private final String source;
    private int i;
    private int line = 1;
    private int lineStart;

    private Lexer(String s, String source) {
        this.s = s;
        this.source = source;
    }

    static List<Token> tokenize(String text, String source) {
        return new Lexer(text, source).run();
    }

    private List<Token> run() {
        List<Token> out = new ArrayList<>();
        while (true) {
            skipSpace();
            int col = i - lineStart + 1;
            if (i >= s.length()) {
                out.add(new Token(Kind.EOF, "", line, col));
                return out;
            }
            char c = s.charAt(i);
            if (c == '%' || c == '@') {
                char n = i + 1 < s.length() ? s.charAt(i + 1) : ' ';
                if (n == '"') {
                    i++;
                    out.add(new Token(c == '%' ? Kind.VALUE : Kind.GLOBAL, string(), line, col));
                    continue;
                }
                if (isNameChar(n)) {
                    int start = ++i;
                    while (i < s.length() && isNameChar(s.charAt(i))) {
                        i++;
                    }
                    out.add(new Token(c == '%' ? Kind.VALUE : Kind.GLOBAL, s.substring(start, i), line, col));
                    continue;
                }
            }
            if (c == '"') {
                out.add(new Token(Kind.STRING, string(), line, col));
            } else if (Character.isLetter(c) && c < 128 || c == '_') {
                int start = i;
                while (i < s.length() && isNameChar(s.charAt(i))) {
                    i++;
                }
                out.add(new Token(Kind.IDENT, s.substring(start, i), line, col));
            } else if (c >= '0' && c <= '9') {
                out.add(number(col));
            } else if ((c == ':' || c == '/') && i + 1 < s.length() && s.charAt(i + 1) == c) {
                out.add(new Token(Kind.PUNCT, s.substring(i, i + 2), line, col));
                i += 2;
            } else if ("()[]{}<>,:=*+-%?".indexOf(c) >= 0) {
                out.add(new Token(Kind.PUNCT, String.valueOf(c), line, col));
                i++;
            } else {
                throw error(col, "unexpected character '" + c + "'");
            }
        }
    }

    static boolean isNameChar(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.');
    }

    private void skipSpace() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\n') {
                line++;
                lineStart = ++i;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                i++;
            } else if (c == '#') {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else {
                return;
            }
        }
    }

    private Token number(int col) {
        int start = i;
        boolean isFloat = false;
        digits();
        if (i < s.length() && s.charAt(i) == '.') {
            isFloat = true;
            i++;
            digits();
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            isFloat = true;
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int d = i;
            digits();
            if (d == i) {
                throw error(col, "malformed number '" + s.substring(start, i) + "'");
            }
        }
        if (i < s.length() && (Character.isLetter(s.charAt(i)) || s.charAt(i) == '_')) {
            throw error(col, "malformed number '" + s.substring(start, i + 1) + "'");
        }
        return new Token(isFloat ? Kind.FLOAT : Kind.INT, s.substring(start, i), line, col);
    }

    private void digits() {
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
    }

    /** A JSON string starting at the opening quote. */
    private String string() {
        int col = i - lineStart + 1;
        StringBuilder sb = new StringBuilder();
        i++;
        while (true) {
            if (i >= s.length() || s.charAt(i) == '\n') {
                throw error(col, "unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return sb.toString();
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (i >= s.length()) {
                throw error(col, "unterminated string");
            }
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw error(i - lineStart, "truncated \\u escape");
                    }
                    try {
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error(i - lineStart, "malformed \\u escape '\\u" + s.substring(i, i + 4) + "'");
                    }
                    i += 4;
                }
                default -> throw error(i - lineStart, "unknown escape '\\" + e + "' in string");
            }
        }
    }

    private KilnException error(int col, String msg) {
        return new KilnException(source + ":" + line + ":" + col + ": " + msg);
    }
}
