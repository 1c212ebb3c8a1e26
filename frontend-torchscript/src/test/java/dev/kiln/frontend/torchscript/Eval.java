package dev.kiln.frontend.torchscript;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.eval.TorchEval;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a graph on the CPU through the passes' {@link TorchEval}, like {@code GraphEvaluator}, but also
 * accepts a node whose {@code Tensor[]} return is split into one output per element (how this
 * frontend writes {@code chunk} + unpack, and how torch.export serializes it).
 */
final class Eval {
    private Eval() {
    }

    static List<ConstantTensor> run(Graph g, List<ConstantTensor> inputs) {
        try (PointerScope scope = new PointerScope()) {
            Map<Value, IValue> env = new HashMap<>();
            for (int i = 0; i < inputs.size(); i++) {
                env.put(g.inputs().get(i), new IValue(TorchEval.toTorch(inputs.get(i))));
            }
            for (Value c : g.constants()) {
                env.put(c, new IValue(TorchEval.toTorch(c.constant().orElseThrow())));
            }
            for (Node n : g.nodes()) {
                List<IValue> outs = TorchEval.call(n, env::get);
                if (outs.size() == 1 && n.outputs().size() > 1 && outs.get(0).isTensorList()) {
                    List<IValue> split = new ArrayList<>();
                    for (long i = 0; i < outs.get(0).toTensorVector().size(); i++) {
                        split.add(new IValue(outs.get(0).toTensorVector().get(i)));
                    }
                    outs = split;
                }
                for (int i = 0; i < n.outputs().size(); i++) {
                    env.put(n.output(i), outs.get(i));
                }
            }
            List<ConstantTensor> result = new ArrayList<>();
            for (Value o : g.outputs()) {
                result.add(TorchEval.toConstant(env.get(o).toTensor()));
            }
            return result;
        }
    }
}
