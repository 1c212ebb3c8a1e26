package dev.kiln.ir.schema;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * An operator's signature, as libtorch declares it:
 * {@code aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor}. Nodes reference
 * an exact overload; {@code overload} is empty for the {@code default} overload.
 *
 * <pre>{@code OpSchema s = SchemaRegistry.standard().get("aten::add.Tensor");}</pre>
 */
public record OpSchema(String name, String overload, List<SchemaArgument> arguments, List<SchemaArgument> returns,
                       boolean varArgs, boolean varReturns) {
    public OpSchema {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(overload, "overload");
        arguments = List.copyOf(arguments);
        returns = List.copyOf(returns);
        if (!name.contains("::")) {
            throw new IllegalArgumentException("operator name must be qualified (ns::op): " + name);
        }
    }

    /** {@code aten::add.Tensor}, or {@code aten::relu} for the default overload. */
    public String qualifiedName() {
        return overload.isEmpty() ? name : name + "." + overload;
    }

    /** The namespace: {@code aten}, {@code prim}, or a custom one. */
    public String namespace() {
        return name.substring(0, name.indexOf("::"));
    }

    /** Position of the argument called {@code argName}. */
    public OptionalInt indexOf(String argName) {
        for (int i = 0; i < arguments.size(); i++) {
            if (arguments.get(i).name().equals(argName)) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }

    /** True when any argument is written in place (an {@code a!} annotation). */
    public boolean mutates() {
        return arguments.stream().anyMatch(SchemaArgument::isMutated);
    }

    /** The schema in standard syntax, as libtorch prints it. */
    @Override
    public String toString() {
        return SchemaPrinter.print(this);
    }
}
