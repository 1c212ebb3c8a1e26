package dev.kiln.ir.schema;

import dev.kiln.ir.Arg;
import dev.kiln.ir.Args;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Binds a call's positional and keyword arguments to an {@link OpSchema} the way ATen does: the
 * result has one entry per schema argument, in schema order, with every default filled in; a bare
 * int (literal or int value) given for an {@code int[N]} argument is repeated N times.
 *
 * <pre>{@code List<Arg> args = SchemaBinder.bind(addSchema, List.of(x, y), Map.of("alpha", Arg.of(2)));}</pre>
 */
public final class SchemaBinder {
    private SchemaBinder() {
    }

    /**
     * Binds the arguments of a call to {@code schema}. For a schema with varargs ({@code ...}),
     * positionals beyond the declared arguments are appended after them.
     *
     * @throws KilnException naming the op and the argument for too many positionals, an unknown or
     *     duplicated keyword, or a missing required argument
     */
    public static List<Arg> bind(OpSchema schema, List<? extends Arg> positional, Map<String, ? extends Arg> keyword) {
        List<SchemaArgument> params = schema.arguments();
        int positionalSlots = 0;
        while (positionalSlots < params.size() && !params.get(positionalSlots).kwargOnly()) {
            positionalSlots++;
        }
        if (positional.size() > positionalSlots && !schema.varArgs()) {
            throw new KilnException(schema.qualifiedName() + " takes at most " + positionalSlots + " positional argument"
                    + (positionalSlots == 1 ? "" : "s") + " but " + positional.size() + " were given (the first extra one is "
                    + Args.describe(positional.get(positionalSlots)) + ")"
                    + (positionalSlots < params.size() ? "; pass '" + params.get(positionalSlots).name() + "' and the arguments after it by keyword" : "")
                    + "; schema: " + schema);
        }
        Arg[] bound = new Arg[params.size()];
        for (int i = 0; i < Math.min(positional.size(), positionalSlots); i++) {
            bound[i] = positional.get(i);
        }
        // sorted, so that the first error reported does not depend on the caller's map order
        for (Map.Entry<String, ? extends Arg> e : new TreeMap<String, Arg>(keyword).entrySet()) {
            OptionalInt idx = schema.indexOf(e.getKey());
            if (idx.isEmpty()) {
                throw new KilnException(schema.qualifiedName() + " has no argument named '" + e.getKey() + "'; its arguments are "
                        + argNames(params) + "; schema: " + schema);
            }
            int i = idx.getAsInt();
            if (bound[i] != null) {
                throw new KilnException(schema.qualifiedName() + " got argument '" + e.getKey() + "' twice, by position (#" + (i + 1)
                        + ") and by keyword; schema: " + schema);
            }
            bound[i] = e.getValue();
        }
        List<Arg> out = new ArrayList<>(params.size() + Math.max(0, positional.size() - positionalSlots));
        for (int i = 0; i < params.size(); i++) {
            SchemaArgument p = params.get(i);
            Arg a = bound[i];
            if (a == null) {
                if (p.defaultValue().isEmpty()) {
                    throw new KilnException(schema.qualifiedName() + " is missing required argument '" + p.name() + "' ("
                            + SchemaPrinter.argument(p) + "); schema: " + schema);
                }
                a = p.defaultValue().get();
            }
            out.add(broadcast(p, a));
        }
        for (int i = positionalSlots; i < positional.size(); i++) {
            out.add(positional.get(i));
        }
        return out;
    }

    /** Binds positional arguments only. */
    public static List<Arg> bind(OpSchema schema, List<? extends Arg> positional) {
        return bind(schema, positional, Map.of());
    }

    /** ATen's IntArrayRef accepts one int for an {@code int[N]}: {@code stride=2} means {@code [2, 2]} for {@code int[2]}. */
    static Arg broadcast(SchemaArgument p, Arg a) {
        SchemaType t = p.type();
        if (t instanceof SchemaType.OptionalOf o) {
            t = o.element();
        }
        if (!(t instanceof SchemaType.ListOf l) || l.size().isEmpty()
                || !(l.element() instanceof SchemaType.Named n) || !(n.name().equals("int") || n.name().equals("SymInt"))) {
            return a;
        }
        boolean bareInt = a instanceof Arg.IntLit || (a instanceof Value v && v.type() == PrimitiveType.INT);
        return bareInt ? Arg.list(Collections.nCopies(l.size().getAsInt(), a)) : a;
    }

    private static String argNames(List<SchemaArgument> params) {
        List<String> names = new ArrayList<>();
        for (SchemaArgument p : params) {
            names.add(p.name());
        }
        return String.join(", ", names);
    }
}
