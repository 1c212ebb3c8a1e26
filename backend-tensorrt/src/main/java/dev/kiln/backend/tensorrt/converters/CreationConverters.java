package dev.kiln.backend.tensorrt.converters;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.FillOperation;
import org.bytedeco.tensorrt.nvinfer.IFillLayer;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Tensor factories: {@code arange} (end / start-end / start-end-step; a symbolic end uses a
 * linspace fill layer), {@code full}, {@code zeros}, {@code ones} (sizes may be symbolic),
 * {@code full_like}, {@code zeros_like}, {@code ones_like}; {@code empty_like} is refused. The
 * output dtype is the IR's (PyTorch's default-dtype inference already applied by the frontend).
 *
 * <pre>{@code aten::zeros([%s0, 4]) -> a 0 scalar expanded with a stride-0 slice}</pre>
 */
public final class CreationConverters {
    private CreationConverters() {
    }

    /** {@code value} broadcast to {@code shape} (a 1-d i64 shape tensor of length {@code rank}). */
    static ITensor fill(ConversionContext ctx, double value, DType dt, ITensor shape, int rank) {
        ITensor s = ctx.scalar(value, dt, rank);
        if (rank == 0) {
            return s;
        }
        boolean[] all = new boolean[rank];
        Arrays.fill(all, true);
        return Layers.expand(ctx, s, shape, all);
    }

    /** A refusal unless the output dtype is one TensorRT holds. */
    static Support trtOutput(Node n) {
        DType out = Layers.outDType(n, 0);
        return Layers.trt(out).isPresent() && out != DType.FLOAT8_E4M3FN ? Support.yes()
                : Support.no("the result dtype " + out + " has no TensorRT equivalent");
    }

    abstract static class Full extends AtenConverter {
        Full(String op) {
            super(op);
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of();
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        abstract double value(Node n);

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            for (Arg e : Layers.elements(n.arg("size"))) {
                if (!(e instanceof Arg.IntLit) && !(e instanceof Value)) {
                    return Support.no("size element " + dev.kiln.ir.Args.describe(e) + " is neither an int nor a symbolic size");
                }
            }
            return trtOutput(n);
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            List<Arg> size = Layers.elements(n.arg("size"));
            ctx.bind(n.output(), fill(ctx, value(n), Layers.outDType(n, 0), Layers.shapeTensor(ctx, size), size.size()));
        }
    }

    @AutoService(OpConverter.class)
    public static final class FullOp extends Full {
        public FullOp() {
            super("aten::full");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lit = requireNumber(n, "fill_value");
            return lit.isSupported() ? super.checkNode(n, s) : lit;
        }

        @Override
        double value(Node n) {
            return n.doubleArg("fill_value");
        }
    }

    @AutoService(OpConverter.class)
    public static final class Zeros extends Full {
        public Zeros() {
            super("aten::zeros");
        }

        @Override
        double value(Node n) {
            return 0;
        }
    }

    @AutoService(OpConverter.class)
    public static final class Ones extends Full {
        public Ones() {
            super("aten::ones");
        }

        @Override
        double value(Node n) {
            return 1;
        }
    }

    abstract static class Like extends AtenConverter {
        Like(String op) {
            super(op);
        }

        @Override
        public Set<DType> supportedDTypes() {
            return ANY;
        }

        abstract double value(Node n);

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            return trtOutput(n);
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            ITensor x = ctx.get(n.arg("self"));
            ctx.bind(n.output(), fill(ctx, value(n), Layers.outDType(n, 0), ctx.shapeOf(x), Layers.rank(x)));
        }
    }

    @AutoService(OpConverter.class)
    public static final class FullLike extends Like {
        public FullLike() {
            super("aten::full_like");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support lit = requireNumber(n, "fill_value");
            return lit.isSupported() ? super.checkNode(n, s) : lit;
        }

        @Override
        double value(Node n) {
            return n.doubleArg("fill_value");
        }
    }

    @AutoService(OpConverter.class)
    public static final class ZerosLike extends Like {
        public ZerosLike() {
            super("aten::zeros_like");
        }

        @Override
        double value(Node n) {
            return 0;
        }
    }

    @AutoService(OpConverter.class)
    public static final class OnesLike extends Like {
        public OnesLike() {
            super("aten::ones_like");
        }

        @Override
        double value(Node n) {
            return 1;
        }
    }

    /** Refused: its contents are undefined and it only feeds in-place writes, which inference graphs lack. */
    @AutoService(OpConverter.class)
    public static final class EmptyLike extends Like {
        public EmptyLike() {
            super("aten::empty_like");
        }

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            return Support.no("empty_like creates uninitialized memory for later in-place writes, which TensorRT networks do not have;"
                    + " the node will run in libtorch (functionalize the model or use zeros_like)");
        }

        @Override
        public String limits() {
            return "always refused";
        }

        @Override
        double value(Node n) {
            return 0;
        }
    }

    // ------------------------------------------------------------------ arange

    abstract static class Arange extends AtenConverter {
        Arange(String op) {
            super(op);
        }

        @Override
        protected List<String> tensorArgs() {
            return List.of();
        }

        @Override
        public Set<DType> supportedDTypes() {
            return NUMERIC;
        }

        @Override
        public String limits() {
            return "a symbolic end needs literal start and step and an integer result";
        }

        abstract Arg start(Node n);

        abstract Arg end(Node n);

        abstract Arg step(Node n);

        @Override
        protected Support checkNode(Node n, ConverterSettings s) {
            Support out = trtOutput(n);
            if (!out.isSupported()) {
                return out;
            }
            DType dt = Layers.outDType(n, 0);
            if (!NUMERIC.contains(dt)) {
                return Support.no("arange of " + dt + " is not supported");
            }
            Arg st = start(n);
            Arg en = end(n);
            Arg sp = step(n);
            if (!Layers.isLiteralNumber(st) || !Layers.isLiteralNumber(sp)) {
                return Support.no("start and step must be constant numbers");
            }
            double step = Layers.Args.toDoubleLit(sp);
            if (step == 0) {
                return Support.no("step must not be 0");
            }
            if (en instanceof Value) {
                if (dt.isFloatingPoint() || step != Math.rint(step) || !(st instanceof Arg.IntLit)) {
                    return Support.no("a symbolic end needs integer start and step and an integer result");
                }
                return Support.yes();
            }
            return Layers.isLiteralNumber(en) ? Support.yes() : Support.no("end must be a number");
        }

        @Override
        public void convert(ConversionContext ctx, Node n) {
            DType dt = Layers.outDType(n, 0);
            double start = Layers.Args.toDoubleLit(start(n));
            double step = Layers.Args.toDoubleLit(step(n));
            Arg en = end(n);
            if (!(en instanceof Value)) {
                double end = Layers.Args.toDoubleLit(en);
                long count = Math.max(0, (long) Math.ceil((end - start) / step));
                double[] v = new double[(int) count];
                for (int i = 0; i < count; i++) {
                    v[i] = start + i * step;
                }
                ctx.bind(n.output(), Layers.constant(ctx, dt, new long[] {count}, v));
                return;
            }
            // count = max(0, ceil((end - start) / step)) on shape tensors, then a linspace fill
            long s = (long) start;
            long st = (long) step;
            ITensor e = Layers.toShapeElement(ctx, ctx.get(en));
            ITensor diff = ShapeConverters.shapeOp(ctx, e, Layers.longs(ctx, s), ElementWiseOperation.kSUB);
            ITensor num = st > 0 ? ShapeConverters.shapeOp(ctx, diff, Layers.longs(ctx, st - 1), ElementWiseOperation.kSUM)
                    : ShapeConverters.shapeOp(ctx, diff, Layers.longs(ctx, st + 1), ElementWiseOperation.kSUM);
            ITensor count = ShapeConverters.shapeOp(ctx, ShapeConverters.shapeOp(ctx, num, Layers.longs(ctx, st), ElementWiseOperation.kFLOOR_DIV),
                    Layers.longs(ctx, 0), ElementWiseOperation.kMAX);
            IFillLayer f = ctx.named(ctx.network().addFill(Layers.dims(0), FillOperation.kLINSPACE, Layers.trtOrThrow(DType.INT64)));
            f.setInput(0, count);
            f.setAlphaInt64(s);
            f.setBetaInt64(st);
            ctx.bind(n.output(), ctx.cast(f.getOutput(0), dt));
        }
    }

    @AutoService(OpConverter.class)
    public static final class ArangeEnd extends Arange {
        public ArangeEnd() {
            super("aten::arange");
        }

        @Override
        Arg start(Node n) {
            return Arg.of(0L);
        }

        @Override
        Arg end(Node n) {
            return n.arg("end");
        }

        @Override
        Arg step(Node n) {
            return Arg.of(1L);
        }
    }

    @AutoService(OpConverter.class)
    public static final class ArangeStart extends Arange {
        public ArangeStart() {
            super("aten::arange.start");
        }

        @Override
        Arg start(Node n) {
            return n.arg("start");
        }

        @Override
        Arg end(Node n) {
            return n.arg("end");
        }

        @Override
        Arg step(Node n) {
            return Arg.of(1L);
        }
    }

    @AutoService(OpConverter.class)
    public static final class ArangeStartStep extends Arange {
        public ArangeStartStep() {
            super("aten::arange.start_step");
        }

        @Override
        Arg start(Node n) {
            return n.arg("start");
        }

        @Override
        Arg end(Node n) {
            return n.arg("end");
        }

        @Override
        Arg step(Node n) {
            return n.arg("step");
        }
    }
}
