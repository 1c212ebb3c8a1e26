package dev.kiln.passes.decompose;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.Ops;
import dev.kiln.passes.precision.PrecisionPass;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassOption;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Replaces nodes by their decomposition from the {@link DecompositionTable} (the context's table if
 * it holds one, else the standard one). Which nodes: those whose op is listed in the {@code ops}
 * option ({@code ;}-separated) when given; otherwise, when the context holds a {@link Supported}
 * predicate (the backend's converter registry puts one there), the nodes it does not support;
 * otherwise every node the table covers.
 *
 * <pre>{@code kiln opt --passes='decompose{ops=aten::silu;aten::hardswish}' model.kir}</pre>
 */
@AutoService(Pass.class)
public final class Decompose implements Pass {
    public static final PassOption<String> OPS = PassOption.ofString("ops", "",
            "ops to decompose, ';'-separated (default: what the backend cannot convert, else all in the table)");

    /** The backend's answer to "can you convert this node?", put in the context by the compile driver. */
    public interface Supported extends Predicate<Node> {
    }

    @Override
    public String name() {
        return "decompose";
    }

    @Override
    public String description() {
        return "expands ops without a converter into simpler ops (user-extensible decomposition table)";
    }

    @Override
    public List<PassOption<?>> options() {
        return List.of(OPS);
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        DecompositionTable table = Optional.ofNullable(context.get(DecompositionTable.class))
                .orElseGet(DecompositionTable::standard);
        String only = context.options().get(this, OPS);
        Set<String> ops = new TreeSet<>();
        if (!only.isBlank()) {
            Arrays.stream(only.split(";")).map(String::trim).filter(s -> !s.isEmpty()).forEach(ops::add);
        }
        Supported supported = context.get(Supported.class);
        boolean changed = false;
        for (Node n : new ArrayList<>(graph.nodes())) {
            Optional<Decomposition> d = table.find(n.op());
            if (d.isEmpty() || !ops.isEmpty() && !ops.contains(n.op())
                    || ops.isEmpty() && supported != null && supported.test(n)) {
                continue;
            }
            Optional<String> why = d.get().unsupported(n);
            if (why.isPresent()) {
                context.note(n.describe() + ": not decomposed: " + why.get());
                continue;
            }
            int first = graph.indexOf(n);
            List<Value> replacements = d.get().decompose(n, new DecompositionBuilder(n));
            if (PrecisionPass.isIslandOp(n.schema().name())) {
                // what the op computed in FP32 stays in FP32 once it is several ops
                PrecisionPass.DecomposedIslands islands = Optional.ofNullable(context.get(PrecisionPass.DecomposedIslands.class))
                        .orElseGet(() -> {
                            PrecisionPass.DecomposedIslands fresh = new PrecisionPass.DecomposedIslands();
                            context.put(PrecisionPass.DecomposedIslands.class, fresh);
                            return fresh;
                        });
                islands.addAll(new ArrayList<>(graph.nodes().subList(first, graph.indexOf(n))));
            }
            if (replacements.size() != n.outputs().size()) {
                throw KilnException.at(n, "decomposition " + d.get().getClass().getName() + " returned "
                        + replacements.size() + " values for " + n.outputs().size() + " outputs");
            }
            String name = n.output(0).name();
            Ops.replace(n, replacements);
            if (replacements.get(0).producer().isPresent()) {
                Ops.rename(replacements.get(0), name);
            }
            changed = true;
        }
        return changed;
    }
}
