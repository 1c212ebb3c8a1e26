package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.nvinfer.IConvolutionLayer;
import org.bytedeco.tensorrt.nvinfer.IDeconvolutionLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.Weights;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Convolutions, 1d/2d/3d, plain and transposed, with groups, dilation, explicit or string padding
 * ('same'/'valid') and output_padding: {@code aten::convolution}, {@code aten::_convolution},
 * {@code aten::conv1d/2d/3d} (+ {@code .padding}), {@code aten::conv_transpose1d},
 * {@code aten::conv_transpose2d.input}, {@code aten::conv_transpose3d.input}. The kernel must be a
 * constant (TensorRT builds kernels at engine build time), or, for int8, a constant behind a per-channel
 * quantize/dequantize marker ({@link QuantizeConverters}), which becomes the layer's kernel input so that
 * TensorRT folds the pair into int8 weights. 1d runs as 2d with a unit height; the bias is an element-wise
 * add TensorRT fuses.
 *
 * <pre>{@code aten::conv2d(%x, %w, %b, [2, 2], [1, 1], [1, 1], 1) -> IConvolutionLayer + add}</pre>
 */
public final class ConvolutionConverters {
    private ConvolutionConverters() {
    }

    /** The arguments of a convolution, whatever the overload. */
    record Params(long[] stride, long[] padPre, long[] padPost, long[] dilation, boolean transposed, long[] outputPadding, long groups) {
    }

    abstract static class ConvBase extends AtenConverter {
        ConvBase(String op) {
            super(op);
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of("input", "weight", "bias");
        }

        @Override
        public String limits() {
            return "constant weight; static channel count";
        }

        /** Reads the overload's arguments for {@code spatial} spatial dims and kernel {@code k}. */
        abstract Params params(Node n, int spatial, long[] k);

        /** The kernel's values: the constant weight, or the constant an int8 marker quantizes. */
        static Optional<ConstantTensor> kernel(Arg w) {
            if (w instanceof Value wv && wv.constant().isPresent()) {
                return wv.constant();
            }
            return QuantizeConverters.quantizedWeight(w);
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Arg w = n.arg("weight");
            Optional<ConstantTensor> kc = kernel(w);
            if (kc.isEmpty()) {
                return Support.no("the weight is not a constant; TensorRT needs convolution kernels at build time (fold or freeze the weights)");
            }
            boolean quantized = !(w instanceof Value wv && wv.constant().isPresent());
            TensorType x = type(n, "input");
            TensorType wt = type(n, "weight");
            int spatial = wt.rank() - 2;
            if (spatial < 1 || spatial > 3) {
                return Support.no("a " + wt.rank() + "-d weight is not a 1d/2d/3d convolution kernel");
            }
            if (x.rank() != spatial + 2 && x.rank() != spatial + 1) {
                return Support.no("input of rank " + x.rank() + " does not match a " + spatial + "d kernel");
            }
            if (x.elementType() != wt.elementType()) {
                return Support.no("input is " + x.elementType() + " but weight is " + wt.elementType() + "; run the precision pass so they agree");
            }
            int c = x.rank() - spatial - 1;
            if (Layers.staticDim(x, c).isEmpty()) {
                return Support.no("the channel dimension is symbolic (" + x.shape().dim(c) + "); TensorRT needs a static channel count");
            }
            for (String name : List.of("stride", "dilation", "groups")) {
                if (n.schema().indexOf(name).isPresent()) {
                    Support lit = requireIntLiterals(n, name);
                    if (!lit.isSupported()) {
                        return lit;
                    }
                }
            }
            long[] k = Arrays.copyOfRange(kc.get().sizes(), 2, wt.rank());
            Params p = params(n, spatial, k);
            for (int i = 0; i < spatial; i++) {
                if (p.stride()[i] < 1 || p.dilation()[i] < 1) {
                    return Support.no("stride and dilation must be positive");
                }
            }
            if (p.groups() < 1) {
                return Support.no("groups must be positive");
            }
            if (quantized && (p.transposed() || halfGroupedWithoutKernel(p, x.elementType(), p.groups() * kc.get().sizes()[1],
                    kc.get().sizes()[0]))) {
                return Support.no("an int8-quantized kernel is converted for plain convolutions whose " + x.elementType().text()
                        + " kernel TensorRT has; this one (transposed, or grouped without a 16-bit kernel) runs in libtorch");
            }
            if (p.transposed() && x.elementType() == DType.BFLOAT16) {
                // measured on TensorRT 10.6 (H200, 2026-12-04): "Could not find any implementation" (Myelin cannot
                // infer the deconvolution's output type) for every bf16 case the conformance kit generated
                return Support.no("TensorRT 10.6 has no bf16 transposed convolution kernel; the node will run in libtorch"
                        + " (keep it in FP32 or FP16 to convert it)");
            }
            if (!p.transposed() && p.groups() > 1 && x.elementType() != DType.FLOAT32 && dilated(p) && !staticSpatial(x, spatial)) {
                // measured on TensorRT 10.6 (H100, H200): "Could not find any implementation" at every optimization level
                return Support.no("TensorRT 10.6 has no " + x.elementType().text() + " kernel for a grouped, dilated convolution whose"
                        + " spatial size is symbolic; the node will run in libtorch (give static input shapes or keep it in FP32 to convert it)");
            }
            return Support.yes();
        }

        /** Empty weights of {@code type}: no bias, or a kernel that comes as the layer's second input. */
        static Weights noWeights(ConversionContext ctx, DType type) {
            Weights none = new Weights();
            none.type(Layers.trtOrThrow(type));
            none.values(null);
            none.count(0);
            ctx.keepAlive(none);
            return none;
        }

        /**
         * Whether this is a grouped f16/bf16 convolution that TensorRT 10.6 may have no kernel for, so that it runs
         * in f32 (its input and weights cast up exactly, its output rounded once, as PyTorch's f32 accumulation
         * does). Measured on the H200 (2026-12-04): "Could not find any implementation" at every optimization level
         * for f16 convolutions with groups 2 and channel counts such as 6 -> 2, 6 -> 8, 2 -> 2 (depthwise), 8 -> 4 and
         * 2 -> 8, in 1d, 2d and 3d; grouped f16 convolutions whose channel counts are multiples of 8 (every depthwise
         * convolution of MobileNetV3 and EfficientNet-B0) built and matched. Channel counts that are multiples of 8
         * keep the 16-bit kernel, except in a dilated 3d convolution: the kit's f16 cases 8 -> 16 (groups 8 and 2) and
         * 16 -> 32 (depthwise) with dilations such as [2, 1, 1] had no implementation either (H200, fifth session).
         */
        static boolean halfGroupedWithoutKernel(Params p, DType type, long inChannels, long outChannels) {
            if (p.transposed() || p.groups() <= 1 || (type != DType.FLOAT16 && type != DType.BFLOAT16)) {
                return false;
            }
            return inChannels % 8 != 0 || outChannels % 8 != 0 || (p.dilation().length == 3 && dilated(p));
        }

        private static boolean dilated(Params p) {
            return Arrays.stream(p.dilation()).anyMatch(d -> d > 1);
        }

        /** Whether the last {@code spatial} dims of {@code x} are all static. */
        private static boolean staticSpatial(TensorType x, int spatial) {
            for (int i = x.rank() - spatial; i < x.rank(); i++) {
                if (Layers.staticDim(x, i).isEmpty()) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            Value wv = (Value) n.arg("weight");
            ConstantTensor wc = kernel(wv).orElseThrow();
            // int8: the kernel is the marker's dequantized tensor, handed in as the layer's second input
            boolean quantized = wv.constant().isEmpty();
            ITensor kernelInput = quantized ? ctx.get(wv) : null;
            long[] wsz = wc.sizes();
            int spatial = wsz.length - 2;
            long[] k = Arrays.copyOfRange(wsz, 2, wsz.length);
            Params p = params(n, spatial, k);
            ITensor x = ctx.get(n.arg("input"));
            boolean unbatched = Layers.rank(x) == spatial + 1;
            if (unbatched) {
                x = Layers.unsqueeze(ctx, x, 0);
            }
            ConstantTensor kernel = wc;
            if (spatial == 1) {
                // 1d as 2d with a unit height: [N,C,L] -> [N,C,1,L], kernel [O,I,K] -> [O,I,1,K] (same bytes)
                x = Layers.unsqueeze(ctx, x, 2);
                kernel = new ConstantTensor(wc.dtype(), new long[] {wsz[0], wsz[1], 1, wsz[2]}, wc.data().duplicate());
                if (quantized) {
                    kernelInput = ctx.reshape(kernelInput, wsz[0], wsz[1], 1, wsz[2]);
                }
                k = new long[] {1, k[0]};
                p = new Params(new long[] {1, p.stride()[0]}, new long[] {0, p.padPre()[0]}, new long[] {0, p.padPost()[0]},
                        new long[] {1, p.dilation()[0]}, p.transposed(), new long[] {0, p.outputPadding()[0]}, p.groups());
            }
            // kernel and bias as build-time weights in the input's type (a strongly typed network needs them to
            // match): TensorRT then lays them out once for its kernels. Handed in as a tensor input instead, the
            // kernel stays a runtime operand that every inference reformats (measured: ResNet-50 FP16 ran 20x slower)
            DType outType = ctx.dtype(x);
            long outChannels = p.transposed() ? wsz[1] * p.groups() : wsz[0];
            long inChannels = p.transposed() ? wsz[0] : wsz[1] * p.groups();
            DType type = halfGroupedWithoutKernel(p, outType, inChannels, outChannels) ? DType.FLOAT32 : outType;
            x = ctx.cast(x, type);
            Weights kw = quantized ? noWeights(ctx, type) : ctx.weights(kernel, type);
            Arg bias = n.arg("bias");
            Optional<ConstantTensor> constBias = Layers.constantValue(bias).filter(b -> b.numel() == outChannels);
            // a transposed convolution whose output_padding exceeds its padding grows past the full output: those
            // positions hold the bias alone, so the bias is added after the growth instead of in the layer
            long[] post = p.padPost().clone();
            long[] grow = new long[post.length + 2]; // N, C, then the (1d: unit-height) spatial dims of y
            boolean grows = false;
            if (p.transposed()) {
                for (int i = 0; i < post.length; i++) {
                    // output_padding extends the end of the full output: crop less there, or grow it with zeros
                    post[i] = p.padPost()[i] - p.outputPadding()[i];
                    if (post[i] < 0) {
                        grow[2 + i] = -post[i];
                        post[i] = 0;
                        grows = true;
                    }
                }
            }
            boolean biasInLayer = constBias.isPresent() && !grows;
            Weights bw = constBias.filter(b -> biasInLayer).map(b -> ctx.weights(b, type)).orElseGet(() -> noWeights(ctx, type));
            ITensor y;
            if (!p.transposed()) {
                IConvolutionLayer c = ctx.named(ctx.network().addConvolutionNd(x, outChannels, Layers.dims(k), kw, bw));
                c.setStrideNd(Layers.dims(p.stride()));
                c.setDilationNd(Layers.dims(p.dilation()));
                c.setPrePadding(Layers.dims(p.padPre()));
                c.setPostPadding(Layers.dims(p.padPost()));
                c.setNbGroups(p.groups());
                if (quantized) {
                    c.setInput(1, kernelInput);
                }
                y = c.getOutput(0);
            } else {
                IDeconvolutionLayer d = ctx.named(ctx.network().addDeconvolutionNd(x, outChannels, Layers.dims(k), kw, bw));
                d.setStrideNd(Layers.dims(p.stride()));
                d.setDilationNd(Layers.dims(p.dilation()));
                d.setPrePadding(Layers.dims(p.padPre()));
                d.setPostPadding(Layers.dims(post));
                d.setNbGroups(p.groups());
                y = d.getOutput(0);
                if (grows) {
                    y = Layers.padded(ctx, y, new long[grow.length], grow, 0.0);
                }
            }
            if (!bias.isNone() && !biasInLayer) {
                long[] bshape = new long[Layers.rank(y)];
                Arrays.fill(bshape, 1);
                bshape[1] = outChannels;
                ITensor b = ctx.reshape(ctx.cast(ctx.get(bias), ctx.dtype(y)), bshape);
                y = Layers.elementwise(ctx, y, b, ElementWiseOperation.kSUM);
            }
            y = ctx.cast(y, outType);
            if (spatial == 1) {
                y = Layers.squeeze(ctx, y, 2);
            }
            if (unbatched) {
                y = Layers.squeeze(ctx, y, 0);
            }
            ctx.bind(n.output(), y);
        }
    }

    /** An {@code int[N]} argument expanded to {@code spatial} values (a single value broadcast). */
    static long[] expand(Node n, String name, int spatial, long dflt) {
        if (n.schema().indexOf(name).isEmpty()) {
            long[] d = new long[spatial];
            Arrays.fill(d, dflt);
            return d;
        }
        long[] v = n.intListArg(name);
        if (v.length == spatial) {
            return v;
        }
        long[] out = new long[spatial];
        Arrays.fill(out, v.length == 0 ? dflt : v[0]);
        return out;
    }

    /** Overloads with explicit int padding. */
    abstract static class Explicit extends ConvBase {
        private final boolean transposedOverload;

        Explicit(String op, boolean transposedOverload) {
            super(op);
            this.transposedOverload = transposedOverload;
        }

        boolean transposed(Node n) {
            return transposedOverload;
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lit = requireIntLiterals(n, "padding");
            if (lit.isSupported() && n.schema().indexOf("output_padding").isPresent()) {
                lit = requireIntLiterals(n, "output_padding");
            }
            if (lit.isSupported() && n.schema().indexOf("transposed").isPresent() && !(n.arg("transposed") instanceof Arg.BoolLit)) {
                lit = Support.no("'transposed' must be a constant bool");
            }
            return lit.isSupported() ? super.checkNode(n, s) : lit;
        }

        @Override
        Params params(Node n, int spatial, long[] k) {
            long[] pad = expand(n, "padding", spatial, 0);
            boolean t = transposed(n);
            return new Params(expand(n, "stride", spatial, 1), pad, pad.clone(), expand(n, "dilation", spatial, 1), t,
                    t ? expand(n, "output_padding", spatial, 0) : new long[spatial], n.intArg("groups"));
        }
    }

    /** convolution/_convolution: transposed is an argument. */
    abstract static class General extends Explicit {
        General(String op) {
            super(op, false);
        }

        @Override
        boolean transposed(Node n) {
            return n.boolArg("transposed");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Convolution extends General {
        public Convolution() {
            super("aten::convolution");
        }
    }

    @AutoService(OpConverter.class)
    public static final class UnderscoreConvolution extends General {
        public UnderscoreConvolution() {
            super("aten::_convolution");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Conv1d extends Explicit {
        public Conv1d() {
            super("aten::conv1d", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Conv2d extends Explicit {
        public Conv2d() {
            super("aten::conv2d", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class Conv3d extends Explicit {
        public Conv3d() {
            super("aten::conv3d", false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class ConvTranspose1d extends Explicit {
        public ConvTranspose1d() {
            super("aten::conv_transpose1d", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class ConvTranspose2d extends Explicit {
        public ConvTranspose2d() {
            super("aten::conv_transpose2d.input", true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class ConvTranspose3d extends Explicit {
        public ConvTranspose3d() {
            super("aten::conv_transpose3d.input", true);
        }
    }

    /** The {@code .padding} overloads: padding is "same" or "valid". */
    abstract static class StringPadding extends ConvBase {
        StringPadding(String op) {
            super(op);
        }

        String mode(Node n) {
            Arg a = n.arg("padding");
            return a instanceof Arg.StrLit s ? s.value() : "?";
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            String m = mode(n);
            if (!m.equals("same") && !m.equals("valid")) {
                return Support.no("padding='" + m + "' is not 'same' or 'valid'");
            }
            return super.checkNode(n, s);
        }

        @Override
        Params params(Node n, int spatial, long[] k) {
            long[] dil = expand(n, "dilation", spatial, 1);
            long[] pre = new long[spatial];
            long[] post = new long[spatial];
            if (mode(n).equals("same")) {
                for (int i = 0; i < spatial; i++) {
                    // PyTorch puts the odd extra element of 'same' padding at the end
                    long total = dil[i] * (k[i] - 1);
                    pre[i] = total / 2;
                    post[i] = total - pre[i];
                }
            }
            return new Params(expand(n, "stride", spatial, 1), pre, post, dil, false, new long[spatial], n.intArg("groups"));
        }
    }

    @AutoService(OpConverter.class)
    public static final class Conv1dPadding extends StringPadding {
        public Conv1dPadding() {
            super("aten::conv1d.padding");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Conv2dPadding extends StringPadding {
        public Conv2dPadding() {
            super("aten::conv2d.padding");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Conv3dPadding extends StringPadding {
        public Conv3dPadding() {
            super("aten::conv3d.padding");
        }
    }
}
