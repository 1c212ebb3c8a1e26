package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The structural checks every graph must pass: each value a node reads belongs to the graph and is
 * defined before the node (SSA, topological order), use lists match the arguments, each node has as
 * many arguments as its schema, and every graph output is defined.
 *
 * <pre>{@code StructuralVerifier.INSTANCE.verify(graph);}</pre>
 */
public final class StructuralVerifier implements GraphVerifier {
    public static final StructuralVerifier INSTANCE = new StructuralVerifier();

    private StructuralVerifier() {
    }

    @Override
    public void verify(Graph g) {
        Set<Value> defined = Collections.newSetFromMap(new IdentityHashMap<>());
        defined.addAll(g.inputs());
        defined.addAll(g.constants());
        for (Node n : g.nodes()) {
            if (n.isRemoved() || n.graph() != g) {
                throw KilnException.at(n, "is listed in graph " + g.name() + " but was removed or belongs elsewhere");
            }
            if (!n.schema().varArgs() && n.args().size() != n.schema().arguments().size()) {
                throw KilnException.at(n, "has " + n.args().size() + " arguments but its schema has "
                        + n.schema().arguments().size());
            }
            for (Value v : n.inputs()) {
                if (!defined.contains(v)) {
                    throw KilnException.at(n, "reads %" + v.name() + ", which is not defined before it");
                }
                if (!v.users().contains(n)) {
                    throw KilnException.at(n, "reads %" + v.name() + " but is missing from its use list");
                }
            }
            for (Value o : n.outputs()) {
                if (!defined.add(o)) {
                    throw KilnException.at(n, "defines %" + o.name() + " twice");
                }
                if (g.value(o.name()).orElse(null) != o) {
                    throw KilnException.at(n, "output %" + o.name() + " is not registered under its name");
                }
            }
        }
        for (Value v : defined) {
            for (Node u : v.users()) {
                if (u.isRemoved()) {
                    throw new KilnException("graph " + g.name() + ": %" + v.name() + " is used by removed " + u.describe());
                }
            }
        }
        for (Value o : g.outputs()) {
            if (!defined.contains(o)) {
                throw new KilnException("graph " + g.name() + ": output %" + o.name() + " is not defined");
            }
        }
    }
}
