package dev.kiln.ir;

import java.util.Objects;
import java.util.Optional;

/**
 * A tensor's dtype and shape. Either may be unknown until shape propagation has run (TorchScript
 * values arrive as plain {@code Tensor}): {@code dtype} is then empty and the shape unranked.
 *
 * <pre>{@code new TensorType(DType.FLOAT16, Shape.of(8, 128))}</pre>
 */
public record TensorType(Optional<DType> dtype, Shape shape) implements Type {
    public TensorType {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
    }

    public TensorType(DType dtype, Shape shape) {
        this(Optional.of(dtype), shape);
    }

    /** A tensor of unknown dtype and shape. */
    public static TensorType unknown() {
        return new TensorType(Optional.empty(), Shape.unranked());
    }

    /** The dtype; throws when it is not known yet. */
    public DType elementType() {
        return dtype.orElseThrow(() -> new KilnException("the tensor's dtype is not known yet; run shape propagation first"));
    }

    public boolean isComplete() {
        return dtype.isPresent() && shape.isRanked();
    }

    public int rank() {
        return shape.rank();
    }

    public TensorType withDType(DType t) {
        return new TensorType(Optional.of(t), shape);
    }

    public TensorType withShape(Shape s) {
        return new TensorType(dtype, s);
    }

    @Override
    public String text() {
        if (dtype.isEmpty() && !shape.isRanked()) {
            return "tensor";
        }
        return "tensor<" + dtype.map(DType::text).orElse("?") + ", " + shape + ">";
    }

    @Override
    public String toString() {
        return text();
    }
}
