package dev.kiln.sparsity;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassOption;

import java.util.List;

/**
 * Magnitude-prunes every convolution and linear weight to 2:4 ({@link TwoFour#prune}): the two smallest of each group
 * of four input-channel elements become zero. This changes the model's results, often by much: it is for measuring
 * what TensorRT's sparse kernels gain, or for weights that were trained sparse but stored with tiny non-zeros. A
 * model meant for production is pruned and fine-tuned in PyTorch (NVIDIA's ASP) and compiled with
 * {@code --sparse-weights} as it is. Weights with fewer than {@code min-channels} input channels are left alone.
 *
 * <pre>{@code kiln opt --passes='prune-2to4{min-channels=32}' model.kir}</pre>
 */
@AutoService(Pass.class)
public final class PruneTwoFour implements Pass {
    public static final PassOption<Long> MIN_CHANNELS = PassOption.ofLong("min-channels", 16,
            "leave weights with fewer input channels than this dense");

    @Override
    public String name() {
        return "prune-2to4";
    }

    @Override
    public String description() {
        return "magnitude-prunes conv/linear weights to 2:4 (changes results; for measuring sparse kernels)";
    }

    @Override
    public List<PassOption<?>> options() {
        return List.of(MIN_CHANNELS);
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        long min = context.options().get(this, MIN_CHANNELS);
        boolean changed = false;
        for (SparseSites.Site s : SparseSites.of(graph)) {
            if (s.tensor().sizes()[s.axis()] < min || TwoFour.census(s.tensor(), s.axis()).sparse()) {
                continue;
            }
            Value pruned = graph.addConstant(graph.freshName(s.weight().name() + "_2to4"), TwoFour.prune(s.tensor(), s.axis()));
            s.node().setArg(s.arg(), pruned);
            changed = true;
        }
        if (changed) {
            context.note("prune-2to4 changed the model's weights: its results differ from the original's");
        }
        return changed;
    }
}
