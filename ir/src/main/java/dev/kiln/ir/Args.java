package dev.kiln.ir;

import java.util.List;

/** Reads literal arguments as Java numbers, with errors that name the node and argument. */
public final class Args {
    private Args() {
    }

    public static long toLong(Arg a, Node n, String what) {
        if (a instanceof Arg.IntLit i) {
            return i.value();
        }
        if (a instanceof Arg.BoolLit b) {
            return b.value() ? 1 : 0;
        }
        if (a instanceof Arg.FloatLit f && f.value() == Math.rint(f.value())) {
            return (long) f.value();
        }
        throw KilnException.at(n, "argument '" + what + "' must be a constant int but is " + describe(a));
    }

    public static double toDouble(Arg a, Node n, String what) {
        if (a instanceof Arg.FloatLit f) {
            return f.value();
        }
        if (a instanceof Arg.IntLit i) {
            return i.value();
        }
        if (a instanceof Arg.BoolLit b) {
            return b.value() ? 1 : 0;
        }
        throw KilnException.at(n, "argument '" + what + "' must be a constant number but is " + describe(a));
    }

    public static boolean toBool(Arg a, Node n, String what) {
        if (a instanceof Arg.BoolLit b) {
            return b.value();
        }
        if (a instanceof Arg.IntLit i) {
            return i.value() != 0;
        }
        throw KilnException.at(n, "argument '" + what + "' must be a constant bool but is " + describe(a));
    }

    public static long[] toLongs(Arg a, Node n, String what) {
        if (a instanceof Arg.ListArg l) {
            List<Arg> e = l.elements();
            long[] out = new long[e.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = toLong(e.get(i), n, what + "[" + i + "]");
            }
            return out;
        }
        if (a instanceof Arg.IntLit i) {
            return new long[] {i.value()};
        }
        throw KilnException.at(n, "argument '" + what + "' must be a constant int list but is " + describe(a));
    }

    /** A short description of an argument for messages: {@code %x}, {@code 3}, {@code [1, %s0]}. */
    public static String describe(Arg a) {
        if (a instanceof Arg.StrLit s) {
            return "\"" + s.value() + "\"";
        }
        if (a instanceof Arg.DTypeLit d) {
            return d.value().text();
        }
        if (a instanceof Arg.ListArg l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.elements().size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(describe(l.elements().get(i)));
            }
            return sb.append(']').toString();
        }
        return a.toString();
    }
}
