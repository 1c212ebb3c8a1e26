package dev.kiln.passes.shapes;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Graph;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassOption;

import java.util.List;

/**
 * The {@code propagate-shapes} pass: runs {@link ShapeInference#standard()} over the graph, setting
 * every output's dtype and shape (symbolic sizes as expressions over the input symbols). Nodes it
 * cannot type become notes in the {@link PassContext}; the int expressions it found are left there
 * as a {@link SymbolicInts} for later passes and converters.
 *
 * <pre>{@code new PropagateShapes().run(graph, PassContext.defaults());}</pre>
 */
@AutoService(Pass.class)
public final class PropagateShapes implements Pass {
    /** Whether types already on the graph (from the frontend) must agree with the computed ones. */
    public static final PassOption<Boolean> CHECK_EXISTING = PassOption.ofBoolean("check-existing", true,
            "fail when a computed type provably disagrees with one the graph already has");

    @Override
    public String name() {
        return "propagate-shapes";
    }

    @Override
    public String description() {
        return "computes every node's output dtype and shape, with symbolic sizes as expressions";
    }

    @Override
    public List<PassOption<?>> options() {
        return List.of(CHECK_EXISTING);
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        ShapeInference.Result r = ShapeInference.standard().infer(graph, context.options().get(this, CHECK_EXISTING));
        r.notes().forEach(context::note);
        context.put(SymbolicInts.class, new SymbolicInts(r.symbolicInts()));
        return r.changed();
    }
}
