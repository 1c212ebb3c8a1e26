package dev.kiln.sparsity;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Graph;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;

/**
 * Reports, as context notes, which convolution and linear weights are 2:4 sparse: the ones TensorRT's sparse
 * kernels can take when the build allows them ({@code kiln compile --sparse-weights}). Changes nothing.
 *
 * <pre>{@code kiln opt --passes=check-2to4 model.kir}</pre>
 */
@AutoService(Pass.class)
public final class CheckTwoFour implements Pass {
    @Override
    public String name() {
        return "check-2to4";
    }

    @Override
    public String description() {
        return "notes which conv/linear weights are 2:4 sparse (what TensorRT's sparse kernels can use); changes nothing";
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        int sparse = 0;
        int total = 0;
        for (SparseSites.Site s : SparseSites.of(graph)) {
            TwoFour.Census c = TwoFour.census(s.tensor(), s.axis());
            total++;
            if (c.sparse()) {
                sparse++;
            }
            context.note(s.node().describe() + ": weight %" + s.weight().name() + " " + (c.sparse() ? "is 2:4 sparse"
                    : "is not 2:4 sparse (" + c.violating() + " of " + c.groups() + " groups of four have more than two non-zeros)"));
        }
        context.note("2:4 sparse weights: " + sparse + " of " + total + " convolution and linear weights");
        return false;
    }
}
