package dev.kiln.ir.schema;

import dev.kiln.ir.Arg;

import java.util.List;

/** Prints an {@link OpSchema} in the standard schema syntax that {@code SchemaParser} reads back. */
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
            argument(sb, a);
            a.defaultValue().ifPresent(d -> sb.append('=').append(literal(d)));
        }
        if (s.varArgs()) {
            sb.append(args.isEmpty() ? "..." : ", ...");
        }
        sb.append(") -> ");
        List<SchemaArgument> rets = s.returns();
        boolean paren = rets.size() != 1 || s.varReturns();
        if (paren) {
            sb.append('(');
        }
        for (int i = 0; i < rets.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            argument(sb, rets.get(i));
        }
        if (s.varReturns()) {
            sb.append(rets.isEmpty() ? "..." : ", ...");
        }
        if (paren) {
            sb.append(')');
        }
        return sb.toString();
    }

    private static void argument(StringBuilder sb, SchemaArgument a) {
        sb.append(typeWithAlias(a.type(), a.alias().orElse(null)));
        if (!a.name().isEmpty()) {
            sb.append(' ').append(a.name());
        }
    }

    /** The alias annotation goes right after the base type: {@code Tensor(a!)}, {@code Tensor(a)[]}, {@code Tensor(a)?}. */
    private static String typeWithAlias(SchemaType t, String alias) {
        if (alias == null) {
            return t.toString();
        }
        if (t instanceof SchemaType.ListOf l) {
            return typeWithAlias(l.element(), alias) + "[" + (l.size().isPresent() ? Integer.toString(l.size().getAsInt()) : "") + "]";
        }
        if (t instanceof SchemaType.OptionalOf o) {
            return typeWithAlias(o.element(), alias) + "?";
        }
        return t + "(" + alias + ")";
    }

    static String literal(Arg a) {
        if (a instanceof Arg.IntLit i) {
            return Long.toString(i.value());
        }
        if (a instanceof Arg.FloatLit f) {
            double v = f.value();
            if (Double.isInfinite(v)) {
                return v > 0 ? "inf" : "-inf";
            }
            if (Double.isNaN(v)) {
                return "nan";
            }
            return Double.toString(v);
        }
        if (a instanceof Arg.BoolLit b) {
            return b.value() ? "True" : "False";
        }
        if (a instanceof Arg.NoneLit) {
            return "None";
        }
        if (a instanceof Arg.StrLit s) {
            return "\"" + s.value().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        if (a instanceof Arg.DTypeLit d) {
            return d.value().name().toLowerCase(java.util.Locale.ROOT);
        }
        if (a instanceof Arg.MemoryFormatLit m) {
            return m.value();
        }
        if (a instanceof Arg.LayoutLit l) {
            return l.value();
        }
        if (a instanceof Arg.DeviceLit d) {
            return "\"" + d.value() + "\"";
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
}
