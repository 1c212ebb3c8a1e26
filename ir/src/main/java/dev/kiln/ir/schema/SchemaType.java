package dev.kiln.ir.schema;

import dev.kiln.ir.ListType;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * A type as written in an ATen/prim operator schema: a named base type ({@code Tensor}, {@code int},
 * {@code SymInt}, {@code Scalar}, {@code Generator}, type variables such as {@code t}, TorchBind class
 * names), or a list, optional, tuple, dict or future of others. It is richer than the IR's
 * {@link Type}; {@link #toIrType()} maps the part the IR represents.
 *
 * <pre>{@code SchemaType t = new SchemaType.ListOf(SchemaType.named("int"), OptionalInt.of(2)); // int[2]}</pre>
 */
public sealed interface SchemaType {

    /** A base type by its schema name. */
    record Named(String name) implements SchemaType {
        public Named {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** {@code T[]} or the fixed-size form {@code T[N]}. */
    record ListOf(SchemaType element, OptionalInt size) implements SchemaType {
        @Override
        public String toString() {
            return element + "[" + (size.isPresent() ? Integer.toString(size.getAsInt()) : "") + "]";
        }
    }

    /** {@code T?}. */
    record OptionalOf(SchemaType element) implements SchemaType {
        @Override
        public String toString() {
            return element + "?";
        }
    }

    /** {@code (T1, T2)}. */
    record TupleOf(List<SchemaType> elements) implements SchemaType {
        public TupleOf {
            elements = List.copyOf(elements);
        }

        @Override
        public String toString() {
            return elements.stream().map(Object::toString).collect(Collectors.joining(", ", "(", ")"));
        }
    }

    /** {@code Dict(K, V)}. */
    record DictOf(SchemaType key, SchemaType value) implements SchemaType {
        @Override
        public String toString() {
            return "Dict(" + key + ", " + value + ")";
        }
    }

    /** {@code Future(T)}, {@code Await(T)} and other one-argument generic types, by their name. */
    record Generic(String name, SchemaType element) implements SchemaType {
        @Override
        public String toString() {
            return name + "(" + element + ")";
        }
    }

    static Named named(String name) {
        return new Named(name);
    }

    default boolean isTensor() {
        return this instanceof Named n && n.name().equals("Tensor");
    }

    /** The IR type of a value of this schema type, where the IR has one. */
    default Optional<Type> toIrType() {
        if (this instanceof Named n) {
            return Optional.ofNullable(switch (n.name()) {
                case "Tensor" -> TensorType.unknown();
                case "int", "SymInt" -> PrimitiveType.INT;
                case "float", "SymFloat" -> PrimitiveType.FLOAT;
                case "bool", "SymBool" -> PrimitiveType.BOOL;
                case "Scalar", "number" -> PrimitiveType.NUMBER;
                case "str" -> PrimitiveType.STRING;
                case "Device" -> PrimitiveType.DEVICE;
                case "Layout" -> PrimitiveType.LAYOUT;
                case "MemoryFormat" -> PrimitiveType.MEMORY_FORMAT;
                case "ScalarType" -> PrimitiveType.SCALAR_TYPE;
                case "NoneType" -> PrimitiveType.NONE;
                default -> null;
            });
        }
        if (this instanceof ListOf l) {
            return l.element().toIrType().map(ListType::new);
        }
        if (this instanceof OptionalOf o) {
            return o.element().toIrType().map(OptionalType::new);
        }
        return Optional.empty();
    }
}
