package dev.kiln.ir;

import java.util.Objects;

/** A list of values of one type: {@code list<int>}, {@code list<tensor<f32, [2]>>}. */
public record ListType(Type element) implements Type {
    public ListType {
        Objects.requireNonNull(element, "element");
    }

    @Override
    public String text() {
        return "list<" + element.text() + ">";
    }

    @Override
    public String toString() {
        return text();
    }
}
