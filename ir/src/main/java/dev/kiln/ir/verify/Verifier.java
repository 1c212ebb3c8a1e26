package dev.kiln.ir.verify;

import dev.kiln.ir.Arg;
import dev.kiln.ir.Args;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaArgument;
import dev.kiln.ir.schema.SchemaType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks that a {@link Graph} is well formed:
 * <ul>
 * <li>nodes are in topological order (every value is defined before it is used), every value a node
 *     or the outputs reference belongs to the graph and was not removed, and value names are unique;</li>
 * <li>each node has as many arguments as its schema (more only for vararg schemas) and each argument
 *     conforms to its schema type (a tensor where {@code Tensor} is declared, an int literal or an
 *     {@code int} value for {@code int}/{@code SymInt}, none for optionals, lists element by element...);</li>
 * <li>each node has as many outputs as its schema returns (at least as many for var-returns) and
 *     tensor returns are tensor values, non-tensor returns are not;</li>
 * <li>every symbol a type uses is declared in the graph with the same range.</li>
 * </ul>
 * Messages name the node with {@link Node#describe()}. Nested graphs are checked too.
 *
 * <pre>{@code Verifier.verify(graph); // throws one KilnException listing every problem}</pre>
 */
public final class Verifier {
    private final Graph graph;
    private final String prefix;
    private final List<String> problems;

    private Verifier(Graph graph, String prefix, List<String> problems) {
        this.graph = graph;
        this.prefix = prefix;
        this.problems = problems;
    }

    /** Throws one {@link KilnException} listing every problem of {@code g}; returns normally when there are none. */
    public static void verify(Graph g) {
        List<String> p = check(g);
        if (!p.isEmpty()) {
            StringBuilder sb = new StringBuilder("graph @").append(g.name()).append(" is malformed (")
                    .append(p.size()).append(p.size() == 1 ? " problem" : " problems").append("):");
            for (String s : p) {
                sb.append("\n  ").append(s);
            }
            throw new KilnException(sb.toString());
        }
    }

    /** Every problem of {@code g}, in graph order; empty when the graph is well formed. */
    public static List<String> check(Graph g) {
        List<String> problems = new ArrayList<>();
        new Verifier(g, "", problems).run();
        return problems;
    }

    private void report(String msg) {
        problems.add(prefix + msg);
    }

    private void run() {
        Set<Value> defined = new HashSet<>();
        Map<String, Object> names = new HashMap<>();
        for (Value v : graph.inputs()) {
            define(v, "input", names, defined);
            checkSymbols(v.type(), "input %" + v.name());
        }
        for (Value v : graph.constants()) {
            define(v, "constant", names, defined);
            checkSymbols(v.type(), "constant %" + v.name());
            if (v.constant().isEmpty()) {
                report("constant %" + v.name() + " has no data");
            } else if (!(v.type() instanceof TensorType)) {
                report("constant %" + v.name() + " has the non-tensor type " + v.type().text());
            }
        }
        Set<Node> seen = new HashSet<>();
        for (Node n : graph.nodes()) {
            if (n.graph() != graph || n.isRemoved()) {
                report(n.describe() + ": the node is listed in the graph but was removed or belongs to graph @" + n.graph().name());
            }
            if (!seen.add(n)) {
                report(n.describe() + ": the node appears twice in the graph");
            }
            checkUses(n, defined);
            checkArgs(n);
            checkOutputs(n);
            for (Value out : n.outputs()) {
                define(out, n.describe() + ": output", names, defined);
                checkSymbols(out.type(), n.describe() + ": output %" + out.name());
            }
            for (Graph sub : n.subgraphs()) {
                new Verifier(sub, prefix + n.describe() + ": in nested graph @" + sub.name() + ": ", problems).run();
            }
        }
        for (int i = 0; i < graph.outputs().size(); i++) {
            Value v = graph.outputs().get(i);
            String problem = reference(v, defined);
            if (problem != null) {
                report("graph output " + i + " " + v + " " + problem);
            }
        }
    }

    private void define(Value v, String what, Map<String, Object> names, Set<Value> defined) {
        Object old = names.put(v.name(), v);
        if (old != null && old != v) {
            report(what + " %" + v.name() + ": the name is used by another value too");
        }
        if (v.graph() != graph) {
            report(what + " %" + v.name() + " belongs to graph @" + v.graph().name());
        }
        defined.add(v);
    }

    /** Null when {@code v} may be used here, else why not. */
    private String reference(Value v, Set<Value> defined) {
        if (v.graph() != graph) {
            return "belongs to another graph (@" + v.graph().name() + ")";
        }
        if (graph.value(v.name()).orElse(null) != v) {
            return "was removed from the graph";
        }
        if (!defined.contains(v)) {
            return "is used before it is defined (nodes must be in topological order)";
        }
        return null;
    }

    private void checkUses(Node n, Set<Value> defined) {
        for (Value v : n.inputs()) {
            String problem = reference(v, defined);
            if (problem != null) {
                report(n.describe() + ": argument " + v + " " + problem);
            }
        }
    }

    private void checkArgs(Node n) {
        OpSchema s = n.schema();
        List<SchemaArgument> params = s.arguments();
        List<Arg> args = n.args();
        if (args.size() < params.size() || args.size() > params.size() && !s.varArgs()) {
            report(n.describe() + ": has " + args.size() + " arguments but the schema " + s.qualifiedName() + " takes "
                    + params.size() + (s.varArgs() ? " or more" : ""));
        }
        for (int i = 0; i < Math.min(args.size(), params.size()); i++) {
            SchemaArgument p = params.get(i);
            String why = conforms(p.type(), args.get(i));
            if (why != null) {
                report(n.describe() + ": argument '" + p.name() + "' (" + p.type() + ") is " + Args.describe(args.get(i))
                        + describeType(args.get(i)) + ": " + why);
            }
        }
    }

    private static String describeType(Arg a) {
        return a instanceof Value v ? " of type " + v.type().text() : "";
    }

    private void checkOutputs(Node n) {
        OpSchema s = n.schema();
        List<SchemaArgument> rets = s.returns();
        List<Value> outs = n.outputs();
        if (outs.size() < rets.size() || outs.size() > rets.size() && !s.varReturns()) {
            report(n.describe() + ": has " + outs.size() + " outputs but the schema " + s.qualifiedName() + " returns "
                    + rets.size() + (s.varReturns() ? " or more" : ""));
        }
        for (int i = 0; i < Math.min(outs.size(), rets.size()); i++) {
            SchemaType t = rets.get(i).type();
            Type out = outs.get(i).type();
            Optional<Type> ir = t.toIrType();
            if (ir.isEmpty()) {
                continue; // a type variable or something the IR does not model: anything goes
            }
            boolean ok;
            if (t.isTensor()) {
                ok = out instanceof TensorType;
            } else if (ir.get() instanceof PrimitiveType) {
                ok = !(out instanceof TensorType) && !(out instanceof ListType);
            } else if (ir.get() instanceof ListType) {
                ok = out instanceof ListType;
            } else {
                ok = !(out instanceof ListType) || ir.get() instanceof OptionalType o && o.element() instanceof ListType;
            }
            if (!ok) {
                report(n.describe() + ": output %" + outs.get(i).name() + " has type " + out.text() + " but the schema returns "
                        + t + (rets.get(i).name().isEmpty() ? "" : " " + rets.get(i).name()));
            }
        }
    }

    /** Null when {@code a} may be passed where the schema declares {@code t}, else why not. */
    static String conforms(SchemaType t, Arg a) {
        if (t instanceof SchemaType.OptionalOf o) {
            if (a.isNone()) {
                return null;
            }
            if (a instanceof Value v && v.type() instanceof OptionalType ot) {
                return valueConforms(o.element(), ot.element());
            }
            return conforms(o.element(), a);
        }
        if (t instanceof SchemaType.ListOf l) {
            if (a instanceof Arg.ListArg list) {
                for (int i = 0; i < list.elements().size(); i++) {
                    String why = conforms(l.element(), list.elements().get(i));
                    if (why != null) {
                        return "element " + i + ": " + why;
                    }
                }
                return null;
            }
            if (a instanceof Value v) {
                if (v.type() instanceof ListType lt) {
                    return valueConforms(l.element(), lt.element());
                }
                // int[N] accepts a single int, as ATen broadcasts it
                if (isIntLike(l.element()) && v.type() == PrimitiveType.INT) {
                    return null;
                }
                return "expected a list";
            }
            if (isIntLike(l.element()) && a instanceof Arg.IntLit) {
                return null;
            }
            return "expected a list";
        }
        if (!(t instanceof SchemaType.Named named)) {
            return null; // tuples, dicts, futures: the IR does not model them
        }
        if (a instanceof Value v) {
            return valueConforms(t, v.type());
        }
        String name = named.name();
        boolean ok;
        switch (name) {
            case "Tensor":
                return "expected a tensor value";
            case "int":
            case "SymInt":
                ok = a instanceof Arg.IntLit;
                break;
            case "float":
            case "SymFloat":
                ok = a instanceof Arg.FloatLit || a instanceof Arg.IntLit;
                break;
            case "bool":
            case "SymBool":
                ok = a instanceof Arg.BoolLit;
                break;
            case "Scalar":
            case "number":
                ok = a instanceof Arg.IntLit || a instanceof Arg.FloatLit || a instanceof Arg.BoolLit;
                break;
            case "str":
                ok = a instanceof Arg.StrLit;
                break;
            case "Device":
                ok = a instanceof Arg.DeviceLit || a instanceof Arg.StrLit;
                break;
            case "Layout":
                ok = a instanceof Arg.LayoutLit || a instanceof Arg.IntLit;
                break;
            case "MemoryFormat":
                ok = a instanceof Arg.MemoryFormatLit || a instanceof Arg.IntLit;
                break;
            case "ScalarType":
                ok = a instanceof Arg.DTypeLit || a instanceof Arg.IntLit;
                break;
            case "NoneType":
                ok = a.isNone();
                break;
            default:
                return null; // type variables (t), Any, Generator, Storage, classes: not checked
        }
        return ok ? null : "expected " + expectedLiteral(name);
    }

    private static String expectedLiteral(String name) {
        switch (name) {
            case "int":
            case "SymInt":
                return "an int literal or an int value";
            case "float":
            case "SymFloat":
                return "a number literal or a float/int value";
            case "bool":
            case "SymBool":
                return "true, false or a bool value";
            case "Scalar":
            case "number":
                return "a number literal or a numeric value";
            case "str":
                return "a string";
            case "ScalarType":
                return "a dtype<..> literal or an int";
            default:
                return "a " + name;
        }
    }

    private static boolean isIntLike(SchemaType t) {
        return t instanceof SchemaType.Named n && (n.name().equals("int") || n.name().equals("SymInt"));
    }

    /** Null when a value of IR type {@code v} may be passed where the schema declares {@code t}. */
    private static String valueConforms(SchemaType t, Type v) {
        if (t instanceof SchemaType.OptionalOf o) {
            if (v == PrimitiveType.NONE) {
                return null;
            }
            return valueConforms(o.element(), v instanceof OptionalType ot ? ot.element() : v);
        }
        if (t instanceof SchemaType.ListOf l) {
            if (v instanceof ListType lt) {
                return valueConforms(l.element(), lt.element());
            }
            return isIntLike(l.element()) && v == PrimitiveType.INT ? null : "expected a list";
        }
        if (!(t instanceof SchemaType.Named named)) {
            return null;
        }
        boolean ok;
        switch (named.name()) {
            case "Tensor":
                return v instanceof TensorType ? null : "expected a tensor";
            case "int":
            case "SymInt":
                ok = v == PrimitiveType.INT;
                break;
            case "float":
            case "SymFloat":
                ok = v == PrimitiveType.FLOAT || v == PrimitiveType.INT;
                break;
            case "bool":
            case "SymBool":
                ok = v == PrimitiveType.BOOL;
                break;
            case "Scalar":
            case "number":
                ok = v == PrimitiveType.INT || v == PrimitiveType.FLOAT || v == PrimitiveType.BOOL || v == PrimitiveType.NUMBER;
                break;
            case "str":
                ok = v == PrimitiveType.STRING;
                break;
            case "Device":
                ok = v == PrimitiveType.DEVICE || v == PrimitiveType.STRING;
                break;
            case "Layout":
                ok = v == PrimitiveType.LAYOUT || v == PrimitiveType.INT;
                break;
            case "MemoryFormat":
                ok = v == PrimitiveType.MEMORY_FORMAT || v == PrimitiveType.INT;
                break;
            case "ScalarType":
                ok = v == PrimitiveType.SCALAR_TYPE || v == PrimitiveType.INT;
                break;
            case "NoneType":
                ok = v == PrimitiveType.NONE;
                break;
            default:
                return null;
        }
        return ok ? null : "a value of type " + v.text() + " cannot be passed as " + named.name();
    }

    private void checkSymbols(Type t, String where) {
        if (t instanceof TensorType tt) {
            for (Symbol s : tt.shape().symbols()) {
                Optional<Symbol> declared = graph.symbol(s.name());
                if (declared.isEmpty()) {
                    report(where + ": type " + t.text() + " uses symbol " + s.name() + ", which the graph does not declare");
                } else if (!declared.get().equals(s)) {
                    report(where + ": type " + t.text() + " uses symbol " + s.declaration() + " but the graph declares "
                            + declared.get().declaration());
                }
            }
        } else if (t instanceof ListType l) {
            checkSymbols(l.element(), where);
        } else if (t instanceof OptionalType o) {
            checkSymbols(o.element(), where);
        }
    }
}
