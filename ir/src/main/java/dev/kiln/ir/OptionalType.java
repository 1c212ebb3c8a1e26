package dev.kiln.ir;

import java.util.Objects;

/** A value that may be none: {@code optional<tensor>}. */
public record OptionalType(Type element) implements Type {
    public OptionalType {
        Objects.requireNonNull(element, "element");
    }

    @Override
    public String text() {
        return "optional<" + element.text() + ">";
    }

    @Override
    public String toString() {
        return text();
    }
}
