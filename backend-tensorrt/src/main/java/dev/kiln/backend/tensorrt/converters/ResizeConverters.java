package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import org.bytedeco.tensorrt.global.nvinfer.InterpolationMode;
import org.bytedeco.tensorrt.global.nvinfer.ResizeCoordinateTransformation;
import org.bytedeco.tensorrt.global.nvinfer.ResizeRoundMode;
import org.bytedeco.tensorrt.global.nvinfer.ResizeSelector;
import org.bytedeco.tensorrt.nvinfer.IResizeLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Interpolation: {@code upsample_nearest2d} and {@code upsample_bilinear2d}, default and
 * {@code .vec} overloads, by output size or scale factors, with {@code align_corners}. PyTorch's
 * "nearest" is floor(dst * in/out) (asymmetric coordinates, floor rounding); bilinear maps with
 * half-pixel or align-corners coordinates, a size-1 output by the same formula (half-pixel: the middle of
 * the input). TensorRT has no bf16 resize, so bf16 tensors are resized in f32 and cast back.
 *
 * <pre>{@code aten::upsample_nearest2d.vec(%x, None, [2.0, 2.0]) -> IResizeLayer(kNEAREST, scales [1,1,2,2])}</pre>
 */
public final class ResizeConverters {
    private ResizeConverters() {
    }

    abstract static class Upsample extends AtenConverter {
        private final boolean bilinear;
        private final boolean vec;

        Upsample(String op, boolean bilinear, boolean vec) {
            super(op);
            this.bilinear = bilinear;
            this.vec = vec;
        }

        @Override
        public String limits() {
            return vec ? "" : "output_size and scales together only where output_size = floor(input size * scale) on a static input";
        }

        String input() {
            return vec ? "input" : "self";
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of(input());
        }

        /** Scale factors [h, w], or null when the output size decides. */
        double[] scales(Node n) {
            if (vec) {
                Arg sf = n.arg("scale_factors");
                if (sf.isNone()) {
                    return null;
                }
                List<Arg> e = Layers.elements(sf);
                double h = Layers.Args.toDoubleLit(e.get(0));
                return new double[] {h, e.size() > 1 ? Layers.Args.toDoubleLit(e.get(1)) : h};
            }
            if (n.arg("scales_h").isNone() || n.arg("scales_w").isNone()) {
                return null;
            }
            return new double[] {n.doubleArg("scales_h"), n.doubleArg("scales_w")};
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            if (type(n, input()).rank() != 4) {
                return Support.no("expects a 4-d input, got rank " + type(n, input()).rank());
            }
            Arg os = n.arg("output_size");
            if (!os.isNone()) {
                Support lit = requireIntLiterals(n, "output_size");
                if (!lit.isSupported()) {
                    return lit;
                }
                if (n.intListArg("output_size").length != 2) {
                    return Support.no("output_size must have 2 elements");
                }
            }
            if (vec && !n.arg("scale_factors").isNone()) {
                for (Arg e : Layers.elements(n.arg("scale_factors"))) {
                    if (!Layers.isLiteralNumber(e)) {
                        return Support.no("scale_factors must be constant numbers");
                    }
                }
            }
            double[] sc = scales(n);
            if (os.isNone() && sc == null) {
                return Support.no("neither output_size nor scale factors are given");
            }
            if (!os.isNone() && sc != null) {
                // TensorRT's resize takes scales or an output size, not both; PyTorch maps coordinates by the
                // scales and sizes the output by output_size, so scales serve only where they give that size
                long[] size = n.intListArg("output_size");
                TensorType x = type(n, input());
                for (int i = 0; i < 2; i++) {
                    Optional<Long> in = Layers.staticDim(x, 2 + i);
                    if (in.isEmpty() || scaledSize(in.get(), sc[i]) != size[i]) {
                        return Support.no("output_size " + Arrays.toString(size) + " is not floor(input size * scale) for scales "
                                + Arrays.toString(sc) + " and input " + x.text() + "; TensorRT's resize takes one or the other"
                                + " (drop the scales or make them agree)");
                    }
                }
            }
            if (bilinear && !(n.arg("align_corners") instanceof Arg.BoolLit)) {
                return Support.no("align_corners must be a constant bool");
            }
            return Support.yes();
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType dtype = type(n, input()).elementType();
            // TensorRT 10.6 has no bf16 resize kernel (the build fails with "No supported formats"): resize in f32
            // and round once, which is exact for nearest and what PyTorch does for linear (it interpolates bf16 in
            // float and rounds the result)
            ITensor x = ctx.cast(ctx.get(n.arg(input())), computeDType(dtype));
            IResizeLayer r = ctx.named(ctx.network().addResize(x));
            double[] sc = scales(n);
            if (sc != null) {
                r.setScales(new float[] {1f, 1f, (float) sc[0], (float) sc[1]}, 4);
            } else {
                long[] os = n.intListArg("output_size");
                ITensor shape = Layers.concat(ctx, List.of(Layers.gatherShape(ctx, x, new int[] {0, 1}), Layers.longs(ctx, os[0], os[1])), 0);
                r.setInput(1, shape);
            }
            // kFORMULA (TensorRT's default) for every mode: torch 2.x maps a size-1 output by the same formula as
            // any other size, so half-pixel reads source (in - 1) / 2, between the two middle pixels for an even
            // size. kUPPER takes the first pixel: that is ONNX's "pytorch_half_pixel", the rule of old PyTorch, and
            // it gave wrong values for every size-1 bilinear output of the 2026-12-04 conformance run.
            r.setSelectorForSinglePixel(ResizeSelector.kFORMULA);
            if (bilinear) {
                r.setResizeMode(InterpolationMode.kLINEAR);
                boolean align = n.boolArg("align_corners");
                r.setCoordinateTransformation(align ? ResizeCoordinateTransformation.kALIGN_CORNERS : ResizeCoordinateTransformation.kHALF_PIXEL);
            } else {
                r.setResizeMode(InterpolationMode.kNEAREST);
                r.setCoordinateTransformation(ResizeCoordinateTransformation.kASYMMETRIC);
                r.setNearestRounding(ResizeRoundMode.kFLOOR);
            }
            ctx.bind(n.output(), ctx.cast(r.getOutput(0), dtype));
        }
    }

    /** The output size TensorRT's resize gives a dimension of size {@code in} for {@code scale}: floor(in * scale), scale as f32. */
    static long scaledSize(long in, double scale) {
        return (long) Math.floor(in * (double) (float) scale);
    }

    /** The dtype the resize runs in for an input of {@code dtype}: f32 for bf16, which TensorRT cannot resize. */
    static DType computeDType(DType dtype) {
        return dtype == DType.BFLOAT16 ? DType.FLOAT32 : dtype;
    }

    @AutoService(OpConverter.class)
    public static final class UpsampleNearest2d extends Upsample {
        public UpsampleNearest2d() {
            super("aten::upsample_nearest2d", false, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class UpsampleNearest2dVec extends Upsample {
        public UpsampleNearest2dVec() {
            super("aten::upsample_nearest2d.vec", false, true);
        }
    }

    @AutoService(OpConverter.class)
    public static final class UpsampleBilinear2d extends Upsample {
        public UpsampleBilinear2d() {
            super("aten::upsample_bilinear2d", true, false);
        }
    }

    @AutoService(OpConverter.class)
    public static final class UpsampleBilinear2dVec extends Upsample {
        public UpsampleBilinear2dVec() {
            super("aten::upsample_bilinear2d.vec", true, true);
        }
    }
}
