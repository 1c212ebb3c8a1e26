package dev.kiln.passes.shapes;

import dev.kiln.ir.Type;

import java.util.List;

/**
 * How one op overload types its outputs: reads the node's arguments through the
 * {@link InferenceContext} and returns one type per output (tensor types with dtype and shape, or
 * {@code PrimitiveType.INT} for symbolic ints, whose value it gives with
 * {@link InferenceContext#defineInt}). A rule that cannot decide calls
 * {@link InferenceContext#unresolved}; a rule that finds the shapes incompatible throws
 * {@link InferenceContext#error}.
 *
 * <pre>{@code ShapeRule relu = ctx -> List.of(ctx.tensor("self"));}</pre>
 */
@FunctionalInterface
public interface ShapeRule {
    List<Type> infer(InferenceContext ctx);
}
