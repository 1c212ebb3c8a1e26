package dev.kiln.backend.tensorrt;

import dev.kiln.ir.Node;
import org.bytedeco.tensorrt.global.nvinfer.ActivationType;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.nvinfer.ITensor;

/**
 * Minimal converters for the backend's own GPU tests (relu, add). Deliberately NOT registered with
 * ServiceLoader: the real converters live in package {@code converters}; these only exercise the
 * network builder, the engine builder and the runtime.
 */
final class TestConverters {
    private TestConverters() {
    }

    static ConverterRegistry registry() {
        return ConverterRegistry.builder().add(new Relu()).add(new Add()).build();
    }

    static final class Relu implements OpConverter {
        @Override
        public String op() {
            return "aten::relu";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ctx.bind(n.output(), ctx.named(ctx.network().addActivation(ctx.get(n.arg(0)), ActivationType.kRELU)).getOutput(0));
        }
    }

    static final class Add implements OpConverter {
        @Override
        public String op() {
            return "aten::add.Tensor";
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor[] ab = ctx.broadcast(ctx.get(n.arg(0)), ctx.get(n.arg(1)));
            ITensor b = ctx.cast(ab[1], ctx.dtype(ab[0]));
            ctx.bind(n.output(), ctx.named(ctx.network().addElementWise(ab[0], b, ElementWiseOperation.kSUM)).getOutput(0));
        }
    }
}
