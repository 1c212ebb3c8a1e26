package dev.kiln.ir.schema;

import dev.kiln.ir.Arg;

import java.util.Objects;
import java.util.Optional;

/**
 * One argument or return of an {@link OpSchema}: name (may be empty for returns), type, default
 * value as an IR literal, whether it is keyword-only, and its alias annotation ({@code a!}, {@code a},
 * {@code *}, {@code a -> *}) when it has one.
 *
 * <p>The alias annotation {@link #alias()} is the one written on the base type: on the value itself
 * ({@code Tensor(a!) self}, {@code Dict(str, t)(a!) self}) or, for lists and optionals, on their
 * elements ({@code Tensor(a!)[] out}, {@code Tensor(b!)? x}). {@link #listAlias()} is the one written
 * after a list's brackets, on the list object itself ({@code t[](a!) self}).
 *
 * <pre>{@code new SchemaArgument("alpha", SchemaType.named("Scalar"), Optional.of(Arg.of(1)), true, Optional.empty())}</pre>
 */
public record SchemaArgument(String name, SchemaType type, Optional<Arg> defaultValue, boolean kwargOnly, Optional<String> alias,
                             Optional<String> listAlias) {
    public SchemaArgument {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(defaultValue, "defaultValue");
        Objects.requireNonNull(alias, "alias");
        Objects.requireNonNull(listAlias, "listAlias");
        if (defaultValue.isPresent() && !isLiteral(defaultValue.get())) {
            throw new IllegalArgumentException("a schema default must be a literal");
        }
        if (listAlias.isPresent() && !(unwrapOptional(type) instanceof SchemaType.ListOf)) {
            throw new IllegalArgumentException("a list alias annotation needs a list type, not " + type);
        }
    }

    /** An argument whose alias annotation, if any, is on the base type. */
    public SchemaArgument(String name, SchemaType type, Optional<Arg> defaultValue, boolean kwargOnly, Optional<String> alias) {
        this(name, type, defaultValue, kwargOnly, alias, Optional.empty());
    }

    /** True when an alias annotation marks this argument (or its elements) as written ({@code Tensor(a!)}, {@code t[](a!)}). */
    public boolean isMutated() {
        return isWrite(alias) || isWrite(listAlias);
    }

    /** True when the argument has a default and may therefore be left out of a call. */
    public boolean hasDefault() {
        return defaultValue.isPresent();
    }

    private static boolean isWrite(Optional<String> alias) {
        // "a!" and "a! -> a|b": the write mark ends the before-set
        return alias.map(a -> {
            int arrow = a.indexOf("->");
            return (arrow < 0 ? a : a.substring(0, arrow)).trim().endsWith("!");
        }).orElse(false);
    }

    private static SchemaType unwrapOptional(SchemaType t) {
        return t instanceof SchemaType.OptionalOf o ? unwrapOptional(o.element()) : t;
    }

    private static boolean isLiteral(Arg a) {
        if (a instanceof dev.kiln.ir.Value) {
            return false;
        }
        if (a instanceof Arg.ListArg l) {
            return l.elements().stream().allMatch(SchemaArgument::isLiteral);
        }
        return true;
    }
}
