package dev.kiln.quantization;

import dev.kiln.ir.Arg;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where int8 quantization goes: the operands of the layers whose int8 kernels are worth it, the inputs of
 * convolutions, linear layers and matrix products (TensorRT's explicit quantization pattern: a quantize/dequantize
 * pair on each input of the layer, none on its output, so TensorRT fuses them into an int8 kernel). A constant
 * weight of a convolution or linear layer is quantized per output channel; every other operand per tensor, with
 * the range calibration measured for it.
 */
public final class QuantSites {
    /** The op, and the argument positions of its operands. */
    private static final Map<String, List<Integer>> OPERANDS = Map.of(
            "aten::convolution", List.of(0, 1),
            "aten::linear", List.of(0, 1),
            "aten::matmul", List.of(0, 1),
            "aten::mm", List.of(0, 1),
            "aten::bmm", List.of(0, 1),
            "aten::addmm", List.of(1, 2));

    /**
     * One operand to quantize: argument {@code arg} of {@code node}, holding {@code value}; {@code channelAxis} is the
     * weight's output-channel dimension when quantized per channel, -1 for per tensor.
     */
    public record Site(Node node, int arg, Value value, int channelAxis) {
        public boolean perChannel() {
            return channelAxis >= 0;
        }

        /** Whether calibration must measure this operand (it is computed, not a constant). */
        public boolean needsCalibration() {
            return value.constant().isEmpty();
        }
    }

    private QuantSites() {
    }

    /** The ops whose operands are quantized. */
    public static Set<String> ops() {
        return OPERANDS.keySet();
    }

    /** Every site of {@code g}, in node order; nodes named in {@code skip} (by op or output name) have none. */
    public static List<Site> of(Graph g, Set<String> skip) {
        List<Site> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            List<Integer> operands = OPERANDS.get(n.op());
            if (operands == null || skip.contains(n.op()) || n.outputs().stream().anyMatch(o -> skip.contains(o.name()))) {
                continue;
            }
            if (n.op().equals("aten::convolution") && !(n.arg("transposed") instanceof Arg.BoolLit t && !t.value())) {
                continue; // transposed convolutions keep float: their weights' channel axis is 1, left for later
            }
            for (int i : operands) {
                if (!(n.arg(i) instanceof Value v) || !(v.type() instanceof TensorType t) || t.dtype().isEmpty()
                        || !t.dtype().get().isFloatingPoint()) {
                    continue;
                }
                boolean weight = i == 1 && (n.op().equals("aten::convolution") || n.op().equals("aten::linear"));
                int axis = weight && v.constant().isPresent() && v.constant().get().rank() >= 2 ? 0 : -1;
                out.add(new Site(n, i, v, axis));
            }
        }
        return out;
    }

    /** The computed values among {@code sites}, each once: what calibration observes. */
    public static Set<Value> calibrated(List<Site> sites) {
        Set<Value> out = new LinkedHashSet<>();
        for (Site s : sites) {
            if (s.needsCalibration()) {
                out.add(s.value());
            }
        }
        return out;
    }
}
