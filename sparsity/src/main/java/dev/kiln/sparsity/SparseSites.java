package dev.kiln.sparsity;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.List;

/**
 * The weights TensorRT's sparse kernels can use: the constant weight of a convolution (not transposed, one group;
 * KCRS, input channels along dimension 1) or of a linear layer ([out, in], along dimension 1).
 */
public final class SparseSites {
    /** One weight: argument {@code arg} of {@code node}. */
    public record Site(Node node, int arg, Value weight) {
        public ConstantTensor tensor() {
            return weight.constant().orElseThrow();
        }

        /** The input-channel dimension the 2:4 groups run along. */
        public int axis() {
            return 1;
        }
    }

    /** How many of a graph's sites hold 2:4 sparse weights, of how many. */
    public record Count(int sparse, int total) {
    }

    private SparseSites() {
    }

    /** Counts the sites of {@code g} whose weight is 2:4 sparse. */
    public static Count count(Graph g) {
        int sparse = 0;
        int total = 0;
        for (Site s : of(g)) {
            total++;
            if (TwoFour.census(s.tensor(), s.axis()).sparse()) {
                sparse++;
            }
        }
        return new Count(sparse, total);
    }

    public static List<Site> of(Graph g) {
        List<Site> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            boolean conv = n.op().equals("aten::convolution") && n.arg("transposed") instanceof Arg.BoolLit t && !t.value()
                    && n.arg("groups") instanceof Arg.IntLit groups && groups.value() == 1;
            boolean linear = n.op().equals("aten::linear");
            if (!conv && !linear) {
                continue;
            }
            if (n.arg(1) instanceof Value w && w.constant().isPresent() && w.constant().get().rank() >= 2
                    && w.constant().get().dtype().isFloatingPoint()) {
                out.add(new Site(n, 1, w));
            }
        }
        return out;
    }
}
