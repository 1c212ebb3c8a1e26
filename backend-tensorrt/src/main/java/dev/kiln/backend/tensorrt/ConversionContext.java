package dev.kiln.backend.tensorrt;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.nvinfer.ILayer;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.Weights;

/**
 * What a converter sees while building a strongly typed TensorRT network: the network, the TensorRT
 * tensor of every IR value converted so far, and the shared building blocks (constants from IR
 * weights without extra copies, explicit casts, broadcasting, shape tensors for symbolic dimensions,
 * layer naming after the op and node). Converters stay thin by using these.
 *
 * <pre>{@code
 * ITensor[] ab = ctx.broadcast(ctx.get(n.arg("self")), ctx.get(n.arg("other")));
 * ctx.bind(n.output(), ctx.named(ctx.network().addElementWise(ab[0], ab[1], ElementWiseOperation.kSUM), n).getOutput(0));
 * }</pre>
 */
public interface ConversionContext {

    INetworkDefinition network();

    ConverterSettings settings();

    /** The node being converted. */
    Node node();

    /**
     * The TensorRT tensor of an argument: a graph input, an earlier node's output, a constant
     * (materialized once as a constant layer), or a numeric literal (a 0-d constant of the dtype the
     * IR gives it: i64 for ints, f32 for floats, bool for bools).
     */
    ITensor get(Arg arg);

    /** Makes {@code t} the TensorRT tensor of IR value {@code v} (every node output must be bound). */
    void bind(Value v, ITensor t);

    /** A constant layer holding {@code data}; the host memory stays alive until the engine is built. */
    ITensor constant(ConstantTensor data, String name);

    /**
     * {@code data} as TensorRT {@code Weights} of element type {@code as} (converted on the host when it
     * differs), for layers that take build-time weights, e.g. a convolution's kernel and bias: TensorRT
     * then prepares them once at build time instead of treating them as a runtime input. The host memory
     * stays alive until the engine is built.
     */
    Weights weights(ConstantTensor data, DType as);

    /** A constant of the given dtype and rank whose every size is 1 (for broadcasting with a tensor). */
    ITensor scalar(double value, DType dtype, int rank);

    /** {@code t} converted to {@code to} with an explicit cast layer (returns {@code t} when already so). */
    ITensor cast(ITensor t, DType to);

    /** The IR dtype of a TensorRT tensor. */
    DType dtype(ITensor t);

    /** Both operands brought to the same rank by prepending size-1 dimensions (NumPy broadcasting). */
    ITensor[] broadcast(ITensor a, ITensor b);

    /** The runtime shape of {@code t} as a 1-d i64 shape tensor (works for symbolic dimensions). */
    ITensor shapeOf(ITensor t);

    /** The runtime size of dimension {@code axis} of {@code t} as a 1-element i64 shape tensor. */
    ITensor dim(ITensor t, int axis);

    /** {@code t} reshaped to {@code shape}, a 1-d i64 shape tensor. */
    ITensor reshape(ITensor t, ITensor shape);

    /** {@code t} reshaped to static {@code sizes} (one -1 allowed; 0 copies the input size as ONNX does not: sizes are literal). */
    ITensor reshape(ITensor t, long... sizes);

    /**
     * Names {@code layer} after the current node ({@code aten::conv2d conv_1}, with a {@code #k} suffix
     * for the k-th extra layer) so TensorRT messages and engine inspection point at the model.
     */
    <L extends ILayer> L named(L layer);

    /** Same as {@link #named(ILayer)}; the node is given for readability at call sites. */
    default <L extends ILayer> L named(L layer, Node node) {
        return named(layer);
    }

    /** Keeps native host memory alive until the engine is built (weights handed to TensorRT). */
    void keepAlive(Pointer p);

    /** An error about the current node. */
    default KilnException error(String message) {
        return KilnException.at(node(), message);
    }
}
