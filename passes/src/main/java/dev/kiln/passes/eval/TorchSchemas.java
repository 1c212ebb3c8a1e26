package dev.kiln.passes.eval;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaArgument;
import dev.kiln.ir.schema.SchemaType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Argument;
import org.bytedeco.pytorch.Dispatcher;
import org.bytedeco.pytorch.FunctionSchema;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueOptional;
import org.bytedeco.pytorch.OperatorHandle;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Operator schemas as the linked libtorch (2.5.1) declares them, read from the c10 dispatcher and
 * converted to the IR's {@link OpSchema}. The passes use it to build the nodes they insert until the
 * IR's own {@code SchemaRegistry} is available to them; both describe the same libtorch.
 *
 * <pre>{@code OpSchema mul = TorchSchemas.get("aten::mul.Tensor");}</pre>
 */
public final class TorchSchemas {
    private static final Map<String, OpSchema> CACHE = new ConcurrentHashMap<>();

    private TorchSchemas() {
    }

    /** The schema of {@code qualified} ({@code aten::add.Tensor}, {@code aten::relu}); throws when libtorch has none. */
    public static OpSchema get(String qualified) {
        return find(qualified).orElseThrow(() -> new KilnException("libtorch 2.5.1 has no operator " + qualified
                + "; check the op name and overload (aten::add.Tensor, aten::relu for the default overload)"));
    }

    /** The schema of {@code qualified}, when libtorch has it. */
    public static Optional<OpSchema> find(String qualified) {
        OpSchema s = CACHE.get(qualified);
        if (s != null) {
            return Optional.of(s);
        }
        Optional<OpSchema> found = load(qualified);
        found.ifPresent(v -> CACHE.put(qualified, v));
        return found;
    }

    private static Optional<OpSchema> load(String qualified) {
        String[] parts = split(qualified);
        try (PointerScope scope = new PointerScope()) {
            OperatorHandle op;
            try {
                op = Dispatcher.singleton().findSchemaOrThrow(parts[0], parts[1]);
            } catch (RuntimeException e) {
                return Optional.empty();
            }
            FunctionSchema fs = op.schema();
            return Optional.of(new OpSchema(parts[0], parts[1], arguments(fs.arguments()), arguments(fs.returns()),
                    fs.is_vararg(), fs.is_varret()));
        }
    }

    /** {@code aten::add.Tensor} -> {@code [aten::add, Tensor]}; {@code aten::relu} -> {@code [aten::relu, ""]}. */
    static String[] split(String qualified) {
        int ns = qualified.indexOf("::");
        int dot = qualified.indexOf('.', ns < 0 ? 0 : ns);
        if (dot < 0) {
            return new String[] {qualified, ""};
        }
        String overload = qualified.substring(dot + 1);
        return new String[] {qualified.substring(0, dot), overload.equals("default") ? "" : overload};
    }

    private static List<SchemaArgument> arguments(Argument list) {
        List<SchemaArgument> out = new ArrayList<>();
        if (list == null || list.isNull()) {
            return out; // libtorch hands back no vector for an empty list
        }
        for (long i = 0; i < list.limit(); i++) {
            Argument a = list.getPointer(i);
            String typeText = a.real_type().get().annotation_str().getString();
            OptionalInt n = a.N().has_value() ? OptionalInt.of(a.N().get()) : OptionalInt.empty();
            SchemaType type = parseType(typeText, n);
            Optional<String> alias = Optional.empty();
            if (a.alias_info() != null && !a.alias_info().isNull()) {
                alias = Optional.of(a.alias_info().isWrite() ? "a!" : "a");
            }
            BytePointer nm = a.name();
            out.add(new SchemaArgument(nm == null ? "" : nm.getString(), type, defaultOf(a.default_value(), type), a.kwarg_only(), alias));
        }
        return out;
    }

    /** Parses libtorch's annotation form of a type: {@code Tensor?}, {@code int[]}, {@code Optional[List[int]]}. */
    static SchemaType parseType(String t, OptionalInt n) {
        t = t.trim();
        if (t.endsWith("?")) {
            return new SchemaType.OptionalOf(parseType(t.substring(0, t.length() - 1), n));
        }
        if (t.startsWith("Optional[") && t.endsWith("]")) {
            return new SchemaType.OptionalOf(parseType(t.substring(9, t.length() - 1), n));
        }
        if (t.startsWith("List[") && t.endsWith("]")) {
            return new SchemaType.ListOf(parseType(t.substring(5, t.length() - 1), OptionalInt.empty()), n);
        }
        if (t.endsWith("[]")) {
            return new SchemaType.ListOf(parseType(t.substring(0, t.length() - 2), OptionalInt.empty()), n);
        }
        return SchemaType.named(t);
    }

    private static Optional<Arg> defaultOf(IValueOptional d, SchemaType type) {
        if (!d.has_value()) {
            return Optional.empty();
        }
        IValue v = d.get();
        String base = baseName(type);
        if (v.isNone()) {
            return Optional.of(Arg.NONE);
        }
        if (v.isBool()) {
            return Optional.of(new Arg.BoolLit(v.toBool()));
        }
        if (v.isInt()) {
            long x = v.toInt();
            switch (base) {
                case "ScalarType":
                    return Optional.of(DType.fromC10((int) x).<Arg>map(Arg.DTypeLit::new).orElse(new Arg.IntLit(x)));
                case "MemoryFormat":
                    return Optional.of(new Arg.MemoryFormatLit(memoryFormatName((int) x)));
                case "Layout":
                    return Optional.of(new Arg.LayoutLit(x == 0 ? "strided" : "layout" + x));
                default:
                    return Optional.of(new Arg.IntLit(x));
            }
        }
        if (v.isDouble()) {
            return Optional.of(new Arg.FloatLit(v.toDouble()));
        }
        if (v.isString()) {
            return Optional.of(new Arg.StrLit(v.toStringRef().getString()));
        }
        if (v.isIntList()) {
            long[] xs = new long[(int) v.toIntVector().size()];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = v.toIntVector().get(i);
            }
            return Optional.of(Arg.ints(xs));
        }
        if (v.isDoubleList()) {
            double[] xs = new double[(int) v.toDoubleVector().size()];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = v.toDoubleVector().get(i);
            }
            return Optional.of(Arg.floats(xs));
        }
        if (v.isList()) {
            if (v.toList().size() == 0) {
                return Optional.of(new Arg.ListArg(List.of()));
            }
        }
        return Optional.empty();
    }

    static String baseName(SchemaType t) {
        if (t instanceof SchemaType.OptionalOf o) {
            return baseName(o.element());
        }
        if (t instanceof SchemaType.Named n) {
            return n.name();
        }
        return "";
    }

    /** c10 MemoryFormat codes to the IR's names. */
    static String memoryFormatName(int code) {
        switch (code) {
            case 0:
                return "contiguous_format";
            case 1:
                return "preserve_format";
            case 2:
                return "channels_last";
            case 3:
                return "channels_last_3d";
            default:
                return "memory_format" + code;
        }
    }

    static int memoryFormatCode(String name) {
        switch (name) {
            case "contiguous_format":
                return 0;
            case "preserve_format":
                return 1;
            case "channels_last":
                return 2;
            case "channels_last_3d":
                return 3;
            default:
                throw new KilnException("unknown memory format '" + name + "'");
        }
    }
}
