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
 * runs {@code prim::ListUnpack} (interpreter-only in libtorch, so the dispatcher-based evaluator
 * cannot), which both frontends write for {@code chunk}/{@code split} + unpacking.
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
                List<IValue> outs;
                if (n.op().equals("prim::ListUnpack")) {
                    outs = new ArrayList<>();
                    org.bytedeco.pytorch.TensorVector list = env.get((Value) n.arg(0)).toTensorVector();
                    for (long i = 0; i < list.size(); i++) {
                        outs.add(new IValue(list.get(i)));
                    }
                } else {
                    outs = TorchEval.call(n, env::get);
                }
                for (int i = 0; i < n.outputs().size(); i++) {
                    env.put(n.output(i), outs.get(i));
                }
            }
            List<ConstantTensor> result = new ArrayList<>();
            for (Value o : g.outputs()) {
                result.add(TorchEval.toConstant(env.get(o).toTensor()));
            }
            java.lang.ref.Reference.reachabilityFence(inputs);
            java.lang.ref.Reference.reachabilityFence(g);
            return result;
        }
    }
}
