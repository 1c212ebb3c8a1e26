package dev.kiln.frontend.fx.importer;

import dev.kiln.ir.KilnException;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaRegistry;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where torch.export targets find their schemas: {@code torch.ops.aten.conv2d.default} is
 * {@code aten::conv2d}; the Python-level symbolic-int operators ({@code _operator.add},
 * {@code torch.sym_max}, {@code math.trunc}, ...) map to the scalar ops libtorch registers
 * ({@code aten::add.int}, {@code prim::max.int}, {@code aten::Int.float}); and one op this frontend
 * adds, {@code prim::ListUnpack}, splits a returned tensor list into values (FX's {@code getitem}).
 *
 * <pre>{@code OpSchema s = FxSchemas.listUnpack();}</pre>
 */
public final class FxSchemas {
    /** Splits a list into its elements; the node has one output per element. */
    public static final String LIST_UNPACK = "prim::ListUnpack(Any list) -> ...";

    /** Python operator -> ATen scalar op name (overload picked from the argument kinds). */
    private static final Map<String, String> SYM_OPS = Map.ofEntries(
            Map.entry("_operator.add", "aten::add"), Map.entry("_operator.sub", "aten::sub"),
            Map.entry("_operator.mul", "aten::mul"), Map.entry("_operator.floordiv", "aten::floordiv"),
            Map.entry("_operator.mod", "aten::remainder"), Map.entry("_operator.truediv", "aten::div"),
            Map.entry("_operator.pow", "aten::pow"), Map.entry("_operator.neg", "aten::neg"),
            Map.entry("_operator.eq", "aten::eq"), Map.entry("_operator.ne", "aten::ne"),
            Map.entry("_operator.lt", "aten::lt"), Map.entry("_operator.le", "aten::le"),
            Map.entry("_operator.gt", "aten::gt"), Map.entry("_operator.ge", "aten::ge"),
            Map.entry("_operator.and_", "aten::__and__"), Map.entry("_operator.or_", "aten::__or__"),
            Map.entry("_operator.not_", "aten::__not__"), Map.entry("torch.sym_not", "aten::__not__"),
            Map.entry("torch.sym_max", "prim::max"), Map.entry("torch.sym_min", "prim::min"),
            Map.entry("builtins.max", "prim::max"), Map.entry("builtins.min", "prim::min"),
            Map.entry("math.trunc", "aten::Int"), Map.entry("torch.sym_int", "aten::Int"),
            Map.entry("math.ceil", "aten::ceil"), Map.entry("math.floor", "aten::floor"),
            Map.entry("torch.sym_float", "aten::Float"));

    private FxSchemas() {
    }

    /** The {@code prim::ListUnpack} schema, registered in the standard registry on first use. */
    public static synchronized OpSchema listUnpack() {
        SchemaRegistry r = SchemaRegistry.standard();
        Optional<OpSchema> s = r.find("prim::ListUnpack", "");
        return s.orElseGet(() -> r.register(LIST_UNPACK));
    }

    /** True for the Python-level symbolic operators. */
    public static boolean isSymOp(String target) {
        return SYM_OPS.containsKey(target);
    }

    /**
     * The scalar schema for a symbolic operator applied to arguments of the given kinds
     * ({@code "int"}, {@code "float"}, {@code "bool"}): {@code _operator.add(int, int)} is
     * {@code aten::add.int}; {@code (int, float)} is {@code aten::add.int_float}.
     */
    public static OpSchema symOp(String target, List<String> argKinds) {
        String op = SYM_OPS.get(target);
        SchemaRegistry r = SchemaRegistry.standard();
        boolean same = argKinds.stream().distinct().count() <= 1;
        String overload = same && !argKinds.isEmpty() ? argKinds.get(0) : String.join("_", argKinds);
        for (String o : List.of(overload, "")) {
            Optional<OpSchema> s = r.find(op, o);
            if (s.isPresent() && s.get().arguments().size() == argKinds.size()) {
                return s.get();
            }
        }
        throw new KilnException("the symbolic operator " + target + " on (" + String.join(", ", argKinds)
                + ") has no libtorch schema " + op + "." + overload);
    }
}
