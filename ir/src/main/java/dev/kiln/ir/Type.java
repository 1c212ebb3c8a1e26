package dev.kiln.ir;

/**
 * The type of an IR {@link Value}: a tensor with dtype and shape, a primitive (int, float, ...),
 * a list, or an optional.
 *
 * <pre>{@code Type t = new TensorType(DType.FLOAT32, Shape.of(1, 3, 224, 224));}</pre>
 */
public sealed interface Type permits TensorType, PrimitiveType, ListType, OptionalType {

    /** The text form, as the IR printer writes it: {@code tensor<f32, [s0, 3]>}, {@code int}, {@code list<int>}. */
    String text();

    default boolean isTensor() {
        return this instanceof TensorType;
    }

    /** This type as a tensor type; throws with a clear message otherwise. */
    default TensorType asTensor() {
        if (this instanceof TensorType t) {
            return t;
        }
        throw new KilnException("expected a tensor but the value is a " + text());
    }
}
