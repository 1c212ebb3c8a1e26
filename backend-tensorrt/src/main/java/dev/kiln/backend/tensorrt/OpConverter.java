package dev.kiln.backend.tensorrt;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;

import java.util.EnumSet;
import java.util.Set;

/**
 * Converts one exact ATen overload to TensorRT layers. A converter declares what it can do apart
 * from doing it: {@link #check} is side-effect free and returns a reason when it refuses, so the
 * partitioner and {@code kiln converters} agree with what {@link #convert} does. Register with
 * {@code @AutoService(OpConverter.class)}; among converters for the same op, the registry picks the
 * highest {@link #priority()} whose check passes, so a third-party converter overrides a built-in
 * one by declaring a higher priority.
 *
 * <pre>{@code
 * @AutoService(OpConverter.class)
 * public final class ReluConverter implements OpConverter {
 *     public String op() { return "aten::relu"; }
 *     public void convert(ConversionContext ctx, Node n) {
 *         ctx.bind(n.output(), ctx.named(ctx.network().addActivation(ctx.get(n.arg(0)), ActivationType.kRELU), n).getOutput(0));
 *     }
 * }
 * }</pre>
 */
public interface OpConverter {

    /** Priority of Kiln's built-in converters. */
    int BUILTIN = 0;

    /** The exact overload handled: {@code aten::add.Tensor}, {@code aten::relu} (default overload bare). */
    String op();

    /** Higher wins among converters for the same op whose check passes. */
    default int priority() {
        return BUILTIN;
    }

    /** Whether the node (its args, dtypes, shapes) can be converted; side-effect free and deterministic. */
    default Support check(Node node, ConverterSettings settings) {
        return Support.yes();
    }

    /** Whether converted layers work with symbolic (dynamic) dimensions. */
    default boolean supportsDynamicShapes() {
        return true;
    }

    /** Tensor dtypes this converter handles. */
    default Set<DType> supportedDTypes() {
        return EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16);
    }

    /** Limits worth documenting in docs/supported-ops.md (one line, may be empty). */
    default String limits() {
        return "";
    }

    /** Adds the layers for {@code node} to {@code ctx}'s network and binds every node output. */
    void convert(ConversionContext ctx, Node node);
}
