package dev.kiln.passes.fold;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Folds inference batch norm ({@code aten::batch_norm} with {@code training=false}, or
 * {@code aten::_native_batch_norm_legit_no_training} with only its first output used) into the
 * {@code aten::convolution} (not transposed) or {@code aten::linear} that feeds it, when that layer
 * has no other user and its weight, bias and all batch-norm parameters are constants:
 * {@code W' = W * g / sqrt(var + eps)} per output channel, {@code b' = (b - mean) * g / sqrt(var + eps) + beta}.
 * Arithmetic is in double precision; the results keep the weight's dtype. Run {@code canonicalize}
 * first so every convolution is {@code aten::convolution}.
 *
 * <pre>{@code kiln opt --passes=canonicalize,fold-batch-norm,dce model.kir}</pre>
 */
@AutoService(Pass.class)
public final class FoldBatchNorm implements Pass {
    @Override
    public String name() {
        return "fold-batch-norm";
    }

    @Override
    public String description() {
        return "folds inference batch norm into the preceding convolution or linear layer";
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        boolean changed = false;
        for (Node bn : new ArrayList<>(graph.nodes())) {
            Optional<Match> m = match(bn);
            if (m.isPresent()) {
                m.get().apply();
                changed = true;
            }
        }
        return changed;
    }

    /** A batch norm and the layer it folds into, with constant parameters. */
    private record Match(Node bn, Node layer, ConstantTensor weight, Optional<ConstantTensor> bias,
                         Optional<ConstantTensor> gamma, Optional<ConstantTensor> beta, ConstantTensor mean,
                         ConstantTensor var, double eps) {

        void apply() {
            Graph g = layer.graph();
            long channels = weight.sizes()[0];
            long perChannel = weight.numel() / channels;
            double[] scale = new double[(int) channels];
            double[] shift = new double[(int) channels];
            for (int ch = 0; ch < channels; ch++) {
                final int c = ch;
                double gm = gamma.map(t -> t.getDouble(c)).orElse(1.0);
                double bt = beta.map(t -> t.getDouble(c)).orElse(0.0);
                scale[c] = gm / Math.sqrt(var.getDouble(c) + eps);
                double b = bias.map(t -> t.getDouble(c)).orElse(0.0);
                shift[c] = (b - mean.getDouble(c)) * scale[c] + bt;
            }
            DType wt = weight.dtype();
            ByteBuffer w = ConstantTensor.allocate(wt, weight.sizes());
            for (long i = 0; i < weight.numel(); i++) {
                ElementCodec.put(wt, w, i, weight.getDouble(i) * scale[(int) (i / perChannel)]);
            }
            ByteBuffer b = ConstantTensor.allocate(wt, channels);
            for (int c = 0; c < channels; c++) {
                ElementCodec.put(wt, b, c, shift[c]);
            }
            Value wv = (Value) layer.arg(1);
            Value nw = g.addConstant(wv.name() + "_bn", new ConstantTensor(wt, weight.sizes(), w));
            String biasHint = layer.arg(2) instanceof Value bv ? bv.name() + "_bn" : wv.name() + "_bn_bias";
            Value nb = g.addConstant(biasHint, new ConstantTensor(wt, new long[] {channels}, b));
            layer.setArg(1, nw);
            layer.setArg(2, nb);
            Value out = layer.output();
            String name = bn.output(0).name();
            bn.output(0).replaceAllUsesWith(out);
            g.remove(bn);
            dev.kiln.passes.Ops.rename(out, name);
        }
    }

    private static Optional<Match> match(Node bn) {
        boolean legit = bn.op().equals("aten::_native_batch_norm_legit_no_training");
        boolean plain = bn.op().equals("aten::batch_norm")
                && bn.arg("training") instanceof Arg.BoolLit t && !t.value();
        if (!legit && !plain) {
            return Optional.empty();
        }
        for (int i = 1; i < bn.outputs().size(); i++) {
            if (bn.output(i).isUsed()) {
                return Optional.empty();
            }
        }
        if (!(bn.arg(0) instanceof Value in) || in.producer().isEmpty() || in.users().size() != 1
                || in.graph().outputs().contains(in)) {
            return Optional.empty();
        }
        Node layer = in.producer().get();
        boolean conv = layer.op().equals("aten::convolution") && layer.arg("transposed") instanceof Arg.BoolLit tr
                && !tr.value();
        if (!conv && !layer.op().equals("aten::linear") || layer.outputs().size() != 1) {
            return Optional.empty();
        }
        Optional<ConstantTensor> w = constant(layer.arg(1));
        Optional<ConstantTensor> mean = constant(bn.arg("running_mean"));
        Optional<ConstantTensor> var = constant(bn.arg("running_var"));
        if (w.isEmpty() || mean.isEmpty() || var.isEmpty() || !w.get().dtype().isFloatingPoint()
                || w.get().rank() < 1 || mean.get().numel() != w.get().sizes()[0]) {
            return Optional.empty();
        }
        Optional<Optional<ConstantTensor>> bias = optionalConstant(layer.arg(2));
        Optional<Optional<ConstantTensor>> gamma = optionalConstant(bn.arg("weight"));
        Optional<Optional<ConstantTensor>> beta = optionalConstant(bn.arg("bias"));
        if (bias.isEmpty() || gamma.isEmpty() || beta.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Match(bn, layer, w.get(), bias.get(), gamma.get(), beta.get(), mean.get(), var.get(),
                bn.doubleArg("eps")));
    }

    private static Optional<ConstantTensor> constant(Arg a) {
        return a instanceof Value v ? v.constant() : Optional.empty();
    }

    /** Empty when the argument is a non-constant value; {@code Optional.of(empty)} for None. */
    private static Optional<Optional<ConstantTensor>> optionalConstant(Arg a) {
        if (a.isNone()) {
            return Optional.of(Optional.empty());
        }
        Optional<ConstantTensor> c = constant(a);
        return c.isPresent() ? Optional.of(c) : Optional.empty();
    }

}
