package com.example.kiln.logit;

import com.google.auto.service.AutoService;
import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.UnaryOperation;
import org.bytedeco.tensorrt.nvinfer.ITensor;

import java.util.EnumSet;
import java.util.Set;

/**
 * {@code aten::logit(Tensor self, float? eps=None)}: {@code log(x / (1 - x))}, with {@code x} first
 * clamped to {@code [eps, 1 - eps]} when {@code eps} is given, for f32, f16 and bf16 tensors of any
 * rank, static or symbolic. Kiln does not ship a logit converter; this one shows how a third party
 * adds one.
 *
 * <pre>{@code aten::logit(%p, 1e-6) -> log(clamp(p, 1e-6, 1 - 1e-6) / (1 - clamp(...)))}</pre>
 */
@AutoService(OpConverter.class)
public final class LogitConverter implements OpConverter {
    /** Above Kiln's built-ins (0), so this one wins should Kiln ever ship its own. */
    public static final int PRIORITY = 10;

    @Override
    public String op() {
        return "aten::logit";
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Set<DType> supportedDTypes() {
        return EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16);
    }

    @Override
    public Support check(Node n, ConverterSettings settings) {
        if (!(n.arg("self") instanceof Value v) || !(v.type() instanceof TensorType t) || !t.isComplete()) {
            return Support.no(n.describe() + ": the dtype or rank of 'self' is not known; run shape propagation first");
        }
        if (!supportedDTypes().contains(t.elementType())) {
            return Support.no(n.describe() + ": 'self' is " + t.elementType().text()
                    + "; logit is converted for f32, f16 and bf16 only (integer inputs run in libtorch)");
        }
        Arg eps = n.arg("eps");
        if (!eps.isNone() && !(eps instanceof Arg.FloatLit) && !(eps instanceof Arg.IntLit)) {
            return Support.no(n.describe() + ": 'eps' must be a constant number or None");
        }
        return Support.yes();
    }

    @Override
    public void convert(ConversionContext ctx, Node n) {
        ITensor x = ctx.get(n.arg("self"));
        DType dt = ctx.dtype(x);
        int rank = x.getDimensions().nbDims();
        Arg eps = n.arg("eps");
        if (!eps.isNone()) {
            double e = eps instanceof Arg.FloatLit f ? f.value() : ((Arg.IntLit) eps).value();
            x = ctx.named(ctx.network().addElementWise(x, ctx.scalar(e, dt, rank), ElementWiseOperation.kMAX)).getOutput(0);
            x = ctx.named(ctx.network().addElementWise(x, ctx.scalar(1 - e, dt, rank), ElementWiseOperation.kMIN)).getOutput(0);
        }
        ITensor oneMinus = ctx.named(ctx.network().addElementWise(ctx.scalar(1, dt, rank), x, ElementWiseOperation.kSUB)).getOutput(0);
        ITensor ratio = ctx.named(ctx.network().addElementWise(x, oneMinus, ElementWiseOperation.kDIV)).getOutput(0);
        ctx.bind(n.output(), ctx.named(ctx.network().addUnary(ratio, UnaryOperation.kLOG)).getOutput(0));
    }
}
