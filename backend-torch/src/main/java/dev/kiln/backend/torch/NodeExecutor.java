package dev.kiln.backend.torch;

import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.eval.TorchEval;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Executes one IR node with libtorch on a {@link TorchDevice}, through the c10 dispatcher (the
 * node's arguments already carry every schema default). The call itself is
 * {@link TorchEval#call}, shared with the constant folder; this class adds the device: results that
 * libtorch creates on the CPU (factory ops whose {@code device} literal says cpu, scalars turned to
 * tensors) are moved to a CUDA target so the next node finds them there.
 *
 * <pre>{@code try (TorchEval.Prepared p = TorchEval.prepare(node)) { outs = NodeExecutor.execute(p, env::get, TorchDevice.cpu()); }}</pre>
 */
public final class NodeExecutor {
    private NodeExecutor() {
    }

    /**
     * Runs the {@link TorchEval#prepare}d node, reading its inputs through {@code env} (borrowed), and returns one
     * IValue per node output, each holding a reference the caller must release ({@code releaseReference()}).
     */
    public static List<IValue> execute(TorchEval.Prepared prepared, Function<Value, IValue> env, TorchDevice device) {
        Node node = prepared.node();
        List<IValue> result = new ArrayList<>(node.outputs().size());
        try (PointerScope nodeScope = new PointerScope()) {
            List<IValue> outs = TorchEval.call(prepared, env);
            if (outs.size() < node.outputs().size()) {
                throw KilnException.at(node, "libtorch returned " + outs.size() + " values for "
                        + node.outputs().size() + " outputs");
            }
            for (int i = 0; i < node.outputs().size(); i++) {
                IValue v = outs.get(i);
                if (device.isCuda() && v.isTensor()) {
                    Tensor t = v.toTensor();
                    if (!t.is_cuda() || t.device().index() != device.index()) {
                        v = new IValue(t.to(device.toTorch(), t.scalar_type()));
                    }
                }
                // TorchEval.call's outputs are copies of their own (not views into its stack), owned by the node scope:
                // one more reference keeps each alive past the scope, for the caller to release
                result.add(v.retainReference());
            }
            return result;
        } catch (RuntimeException e) {
            result.forEach(IValue::releaseReference);
            if (e instanceof KilnException) {
                throw e;
            }
            throw KilnException.at(node, "libtorch failed on " + device + ": " + e.getMessage());
        }
    }
}
