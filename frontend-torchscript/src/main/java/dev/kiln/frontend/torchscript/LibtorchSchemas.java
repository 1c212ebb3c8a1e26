package dev.kiln.frontend.torchscript;

import dev.kiln.ir.Arg;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaArgument;
import dev.kiln.ir.schema.SchemaType;
import org.bytedeco.pytorch.AliasInfo;
import org.bytedeco.pytorch.Argument;
import org.bytedeco.pytorch.FunctionSchema;
import org.bytedeco.pytorch.IValueOptional;
import org.bytedeco.pytorch.IntOptional;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads a libtorch {@link FunctionSchema} (the one a TorchScript node was matched to) as an IR
 * {@link OpSchema}. Used for the qualified overload name of every node, and as the schema itself for
 * operators the {@link SchemaSource} does not know (custom or {@code prim::} ops).
 */
final class LibtorchSchemas {
    private LibtorchSchemas() {
    }

    /**
     * {@code aten::add.Tensor} or {@code aten::relu}, read from the printed schema (the preset's
     * {@code overload_name()} returns a null pointer for the default overload).
     */
    static String qualifiedName(FunctionSchema fs) {
        String text = torch.toString(fs).getString();
        int paren = text.indexOf('(');
        return paren < 0 ? text : text.substring(0, paren);
    }

    static OpSchema toOpSchema(FunctionSchema fs) {
        String qualified = qualifiedName(fs);
        int colon = qualified.indexOf("::");
        int dot = qualified.indexOf('.', colon);
        String name = dot < 0 ? qualified : qualified.substring(0, dot);
        String overload = dot < 0 ? "" : qualified.substring(dot + 1);
        return new OpSchema(name, overload, arguments(fs.arguments(), qualified, true),
                arguments(fs.returns(), qualified, false), fs.is_vararg(), fs.is_varret());
    }

    private static List<SchemaArgument> arguments(Argument args, String op, boolean withDefaults) {
        List<SchemaArgument> out = new ArrayList<>();
        long n = args == null || args.isNull() ? 0 : args.limit();
        for (long i = 0; i < n; i++) {
            Argument a = args.getPointer(i);
            String argName = a.name() == null || a.name().isNull() ? "" : a.name().getString();
            IntOptional fixed = a.N();
            SchemaType type = parseType(a.type().get().str().getString(), fixed.has_value() ? OptionalInt.of(fixed.get()) : OptionalInt.empty());
            Optional<Arg> def = Optional.empty();
            if (withDefaults) {
                IValueOptional dv = a.default_value();
                if (dv.has_value()) {
                    def = Optional.of(IValues.literal(dv.get(), type, op + " argument '" + argName + "' default"));
                }
            }
            AliasInfo alias = a.alias_info();
            Optional<String> aliasText = alias == null || alias.isNull() ? Optional.empty()
                    : Optional.of(alias.isWrite() ? "a!" : "a");
            out.add(new SchemaArgument(argName, type, def, withDefaults && a.kwarg_only(), aliasText));
        }
        return out;
    }

    /** Parses a JIT type string ({@code int[]}, {@code Tensor?}, {@code (Tensor, int)}, {@code Dict(str, Tensor)}). */
    static SchemaType parseType(String text, OptionalInt fixedSize) {
        String t = text.strip();
        if (t.endsWith("?")) {
            return new SchemaType.OptionalOf(parseType(t.substring(0, t.length() - 1), fixedSize));
        }
        if (t.startsWith("Optional[") && t.endsWith("]")) {
            return new SchemaType.OptionalOf(parseType(t.substring(9, t.length() - 1), fixedSize));
        }
        if (t.endsWith("[]")) {
            return new SchemaType.ListOf(parseType(t.substring(0, t.length() - 2), OptionalInt.empty()), fixedSize);
        }
        if (t.startsWith("List[") && t.endsWith("]")) {
            return new SchemaType.ListOf(parseType(t.substring(5, t.length() - 1), OptionalInt.empty()), fixedSize);
        }
        if (t.startsWith("(") && t.endsWith(")")) {
            List<SchemaType> elems = new ArrayList<>();
            for (String part : splitTopLevel(t.substring(1, t.length() - 1))) {
                elems.add(parseType(part, OptionalInt.empty()));
            }
            return new SchemaType.TupleOf(elems);
        }
        if (t.startsWith("Dict(") && t.endsWith(")")) {
            List<String> kv = splitTopLevel(t.substring(5, t.length() - 1));
            if (kv.size() != 2) {
                throw new KilnException("cannot read the type '" + text + "'");
            }
            return new SchemaType.DictOf(parseType(kv.get(0), OptionalInt.empty()), parseType(kv.get(1), OptionalInt.empty()));
        }
        return SchemaType.named(t);
    }

    private static List<String> splitTopLevel(String s) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(s.substring(start, i).strip());
                start = i + 1;
            }
        }
        if (!s.substring(start).isBlank()) {
            parts.add(s.substring(start).strip());
        }
        return parts;
    }
}
