package dev.kiln.ir.schema;

import dev.kiln.ir.Arg;

import java.util.Objects;
import java.util.Optional;

/**
 * One argument or return of an {@link OpSchema}: name (may be empty for returns), type, default
 * value as an IR literal, whether it is keyword-only, and its alias annotation ({@code a!}, {@code a},
 * {@code *}) when it has one.
 *
 * <pre>{@code new SchemaArgument("alpha", SchemaType.named("Scalar"), Optional.of(Arg.of(1)), true, Optional.empty())}</pre>
 */
public record SchemaArgument(String name, SchemaType type, Optional<Arg> defaultValue, boolean kwargOnly, Optional<String> alias) {
    public SchemaArgument {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(defaultValue, "defaultValue");
        Objects.requireNonNull(alias, "alias");
        if (defaultValue.isPresent() && defaultValue.get() instanceof dev.kiln.ir.Value) {
            throw new IllegalArgumentException("a schema default must be a literal");
        }
    }

    /** True when the alias annotation marks this argument as written ({@code Tensor(a!)}). */
    public boolean isMutated() {
        return alias.map(a -> a.endsWith("!")).orElse(false);
    }
}
