package dev.kiln.passes.decompose;

import dev.kiln.ir.Node;
import dev.kiln.ir.Value;

import java.util.List;
import java.util.Optional;

/**
 * How to express one op as a graph of simpler ops, for backends that lack a converter for it. An
 * entry of the {@link DecompositionTable}; third parties add their own with
 * {@code @AutoService(Decomposition.class)}. Build the replacement only through the
 * {@link DecompositionBuilder}, which inserts before the node and fills defaults.
 *
 * <pre>{@code
 * @AutoService(Decomposition.class)
 * public final class Silu implements Decomposition {
 *     public String op() { return "aten::silu"; }
 *     public List<Value> decompose(Node n, DecompositionBuilder b) {
 *         Value x = b.input(0);
 *         return List.of(b.call("aten::mul.Tensor", x, b.call("aten::sigmoid", x)));
 *     }
 * }
 * }</pre>
 */
public interface Decomposition {
    /** The exact overload this decomposes: {@code aten::hardswish}, {@code aten::gelu}. */
    String op();

    /** Empty when {@code n} can be decomposed; otherwise why not (e.g. an unsupported argument value). */
    default Optional<String> unsupported(Node n) {
        return Optional.empty();
    }

    /** Builds the replacement and returns the values that replace the node's outputs, in order. */
    List<Value> decompose(Node n, DecompositionBuilder b);
}
