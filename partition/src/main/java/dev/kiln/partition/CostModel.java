package dev.kiln.partition;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * A coarse cost model in microseconds, enough to decide whether a TensorRT segment pays for its
 * boundaries. Per op: compute (floating-point operations, from the shapes: 2·M·N·K for matmuls,
 * 2·out·(C/groups)·kernel for convolutions, a few per element otherwise) and bytes moved (inputs
 * plus outputs). Libtorch pays a kernel launch per op plus the slower of compute and memory;
 * TensorRT, fusing, pays compute at a higher rate and half the memory traffic. A boundary costs an
 * engine launch and synchronization plus, per tensor crossing it, a fixed cost and a device copy.
 * Symbolic sizes count at {@value #TYPICAL_SIZE} clamped into the symbol's range; unknown shapes
 * count as one element.
 *
 * <pre>{@code CostModel.SegmentCost c = CostModel.defaults().segment(nodes, crossings);}</pre>
 *
 * @param torchLaunchMicros   libtorch per-op overhead (dispatch + kernel launch)
 * @param torchFlopsPerMicro  libtorch compute rate
 * @param trtFlopsPerMicro    TensorRT compute rate
 * @param bytesPerMicro       memory bandwidth
 * @param boundaryMicros      per TensorRT segment: engine launch and the synchronization around it
 * @param crossingMicros      per tensor crossing a boundary
 */
public record CostModel(double torchLaunchMicros, double torchFlopsPerMicro, double trtFlopsPerMicro,
        double bytesPerMicro, double boundaryMicros, double crossingMicros) {
    /** The size a symbolic dimension counts at (clamped into its range). */
    public static final long TYPICAL_SIZE = 64;

    /** Ballpark figures for a current datacenter GPU. */
    public static CostModel defaults() {
        return new CostModel(8.0, 5.0e6, 2.0e7, 1.0e6, 20.0, 2.0);
    }

    /** One op's work: floating-point operations and bytes moved. */
    public record OpCost(double flops, double bytes) {
    }

    /**
     * A segment's estimate: what its nodes cost in libtorch and in TensorRT, and what its boundary
     * costs (zero for torch segments, which need none of their own).
     */
    public record SegmentCost(double torchMicros, double tensorrtMicros, double boundaryMicros) {
        /** What running the segment in TensorRT saves, boundary included (negative: a loss). */
        public double savingMicros() {
            return torchMicros - tensorrtMicros - boundaryMicros;
        }
    }

    /** The work of {@code n}, from its input and output types. */
    public OpCost estimate(Node n) {
        double inBytes = 0;
        for (Value v : n.inputs()) {
            inBytes += bytes(v.type());
        }
        double outBytes = 0;
        double outElems = 0;
        for (Value v : n.outputs()) {
            outBytes += bytes(v.type());
            outElems += numel(v.type());
        }
        String op = n.op();
        double flops;
        if (op.startsWith("aten::mm") || op.startsWith("aten::bmm") || op.startsWith("aten::matmul")
                || op.startsWith("aten::addmm") || op.startsWith("aten::linear") || op.startsWith("aten::baddbmm")) {
            flops = 2 * outElems * contracted(n);
        } else if (op.startsWith("aten::conv") || op.startsWith("aten::_convolution")) {
            flops = 2 * outElems * kernelWork(n);
        } else if (op.contains("softmax") || op.contains("norm") || op.contains("gelu")
                || op.startsWith("aten::scaled_dot_product_attention")) {
            flops = 8 * Math.max(outElems, inElems(n));
        } else {
            flops = Math.max(outElems, inElems(n));
        }
        return new OpCost(flops, inBytes + outBytes);
    }

    public double torchMicros(OpCost c) {
        return torchLaunchMicros + Math.max(c.flops() / torchFlopsPerMicro, c.bytes() / bytesPerMicro);
    }

    public double tensorrtMicros(OpCost c) {
        return Math.max(c.flops() / trtFlopsPerMicro, 0.5 * c.bytes() / bytesPerMicro);
    }

    /** The cost of one TensorRT segment's boundary with {@code crossings} tensors entering or leaving it. */
    public double boundaryMicros(Collection<Value> crossings) {
        double bytes = 0;
        for (Value v : crossings) {
            bytes += bytes(v.type());
        }
        return boundaryMicros + crossings.size() * crossingMicros + bytes / bytesPerMicro;
    }

    /** The estimate of a segment of {@code nodes} on {@code target}, with {@code crossings} at its edges. */
    public SegmentCost segment(Collection<Node> nodes, Target target, Collection<Value> crossings) {
        double torch = 0;
        double trt = 0;
        for (Node n : nodes) {
            OpCost c = estimate(n);
            torch += torchMicros(c);
            trt += tensorrtMicros(c);
        }
        return new SegmentCost(torch, trt, target == Target.TENSORRT ? boundaryMicros(crossings) : 0);
    }

    private static double inElems(Node n) {
        double e = 0;
        for (Value v : n.inputs()) {
            e = Math.max(e, numel(v.type()));
        }
        return e;
    }

    /** K of a matmul: the last dimension of the first tensor input. */
    private static double contracted(Node n) {
        for (Value v : n.inputs()) {
            long[] s = sizes(v.type());
            if (s != null && s.length > 0) {
                return Math.max(1, s[s.length - 1]);
            }
        }
        return 1;
    }

    /** (C_in / groups) · kernel elements: the weight's elements per output channel. */
    private static double kernelWork(Node n) {
        if (n.inputs().size() >= 2) {
            long[] w = sizes(n.inputs().get(1).type());
            if (w != null && w.length >= 2) {
                double k = 1;
                for (int i = 1; i < w.length; i++) {
                    k *= Math.max(1, w[i]);
                }
                return k;
            }
        }
        return 1;
    }

    static double bytes(Type t) {
        if (t instanceof TensorType tt) {
            int size = tt.dtype().map(DType::byteSize).orElse(4);
            return numel(t) * size;
        }
        return 0;
    }

    static double numel(Type t) {
        long[] s = sizes(t);
        if (s == null) {
            return t instanceof TensorType ? 1 : 0;
        }
        double n = 1;
        for (long d : s) {
            n *= Math.max(0, d);
        }
        return n;
    }

    /** Sizes with symbols at their typical value; null when unranked or not a tensor. */
    static long[] sizes(Type t) {
        if (!(t instanceof TensorType tt) || !tt.shape().isRanked()) {
            return null;
        }
        Shape s = tt.shape();
        Map<String, Long> bindings = new TreeMap<>();
        for (Symbol sym : s.symbols()) {
            bindings.put(sym.name(), Math.max(sym.min(), Math.min(sym.max(), TYPICAL_SIZE)));
        }
        try {
            return s.evaluate(bindings);
        } catch (RuntimeException e) {
            return null; // an expression the bindings cannot evaluate (division by zero, overflow): unknown
        }
    }
}
