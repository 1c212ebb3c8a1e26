package dev.kiln.partition;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Splits a graph into TensorRT and torch segments.
 *
 * <ol>
 *   <li>Each node gets a candidate target: torch if the user forced its name or op, else what the
 *       {@link Capability} says (with the converter's reason when it refuses).</li>
 *   <li>The nodes are ordered topologically, greedily staying on the current target while any node
 *       of it is ready (ties by graph position); maximal runs of one target in that order are the
 *       segments. Since each segment is an interval of a topological order, every edge between
 *       segments goes forward: the segment graph is acyclic by construction, and merging never
 *       routes a path through a torch node back into the same engine.</li>
 *   <li>A TensorRT segment smaller than {@code min_block_size}, or saving less than its boundary costs
 *       ({@link CostModel}), is demoted to torch, and step 2 runs again until nothing changes
 *       (demotions only shrink the TensorRT set, so this ends).</li>
 * </ol>
 * With {@code require_full_compilation}, any node left in torch by step 1 is an error listing each
 * with its reason, and step 3 is skipped. The result depends only on the graph, the capability and
 * the settings.
 *
 * <pre>{@code Partition p = Partitioner.partition(g, registryCapability, PartitionSettings.defaults().withMinBlockSize(3));}</pre>
 */
public final class Partitioner {
    private Partitioner() {
    }

    /** Partitions {@code g}; throws a {@link KilnException} only for {@code require_full_compilation}. */
    public static Partition partition(Graph g, Capability capability, PartitionSettings settings) {
        List<Node> nodes = List.copyOf(g.nodes());
        Map<Node, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            index.put(nodes.get(i), i);
        }
        Target[] target = new Target[nodes.size()];
        Why[] why = new Why[nodes.size()];
        String[] reason = new String[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (settings.torchNodes().contains(n.name())) {
                set(target, why, reason, i, Target.TORCH, Why.USER_NODE, "node " + n.name() + " is forced to torch by the user");
            } else if (settings.torchOps().contains(n.op()) || settings.torchOps().contains(baseOp(n.op()))) {
                set(target, why, reason, i, Target.TORCH, Why.USER_OP, "op " + n.op() + " is forced to torch by the user");
            } else {
                Capability.Verdict v = check(capability, n);
                if (v.supported()) {
                    set(target, why, reason, i, Target.TENSORRT, Why.CONVERTER,
                            v.reason().isBlank() ? "converted by a " + capability.backend() + " converter" : v.reason());
                } else {
                    set(target, why, reason, i, Target.TORCH, v.moved() ? Why.MOVED : Why.UNSUPPORTED, v.reason());
                }
            }
        }
        if (settings.requireFullCompilation()) {
            requireFull(g, nodes, target, reason, capability.backend());
        }
        List<List<Integer>> runs;
        while (true) {
            runs = runs(nodes, index, target);
            if (settings.requireFullCompilation()) {
                break;
            }
            boolean demoted = false;
            for (List<Integer> run : runs) {
                if (target[run.get(0)] != Target.TENSORRT) {
                    continue;
                }
                if (run.size() < settings.minBlockSize()) {
                    for (int i : run) {
                        set(target, why, reason, i, Target.TORCH, Why.MIN_BLOCK_SIZE, String.format(Locale.ROOT,
                                "convertible, but its %s segment of %d node%s is smaller than min_block_size %d",
                                capability.backend(), run.size(), run.size() == 1 ? "" : "s", settings.minBlockSize()));
                    }
                    demoted = true;
                    continue;
                }
                List<Node> members = members(nodes, run);
                List<Value> crossings = new ArrayList<>(inputs(members));
                crossings.addAll(outputs(g, members));
                CostModel.SegmentCost c = settings.costModel().segment(members, Target.TENSORRT, crossings);
                if (c.savingMicros() <= 0) {
                    for (int i : run) {
                        set(target, why, reason, i, Target.TORCH, Why.COST, String.format(Locale.ROOT,
                                "convertible, but its %d-node segment saves %.1f us and its %d boundary tensor%s cost %.1f us",
                                run.size(), c.torchMicros() - c.tensorrtMicros(), crossings.size(),
                                crossings.size() == 1 ? "" : "s", c.boundaryMicros()));
                    }
                    demoted = true;
                }
            }
            if (!demoted) {
                break;
            }
        }
        List<Segment> segments = new ArrayList<>();
        int[] segmentOf = new int[nodes.size()];
        for (List<Integer> run : runs) {
            List<Node> members = members(nodes, run);
            Target t = target[run.get(0)];
            List<Value> in = inputs(members);
            List<Value> out = outputs(g, members);
            List<Value> crossings = new ArrayList<>(in);
            crossings.addAll(out);
            for (int i : run) {
                segmentOf[i] = segments.size();
            }
            segments.add(new Segment(segments.size(), t, members, in, out, settings.costModel().segment(members, t, crossings)));
        }
        List<Placement> placements = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            placements.add(new Placement(nodes.get(i), target[i], why[i], reason[i], segmentOf[i]));
        }
        return new Partition(g, capability.backend(), settings, segments, placements);
    }

    private static Capability.Verdict check(Capability c, Node n) {
        try {
            return c.check(n);
        } catch (RuntimeException e) {
            // a faulty capability must not take the compile down: the node stays in torch, saying why
            return Capability.Verdict.no("the " + c.backend() + " capability check failed: " + e.getMessage());
        }
    }

    private static void set(Target[] t, Why[] w, String[] r, int i, Target target, Why why, String reason) {
        t[i] = target;
        w[i] = why;
        r[i] = reason;
    }

    private static void requireFull(Graph g, List<Node> nodes, Target[] target, String[] reason, String backend) {
        StringBuilder b = new StringBuilder();
        int count = 0;
        for (int i = 0; i < nodes.size(); i++) {
            if (target[i] == Target.TORCH) {
                b.append("\n  ").append(nodes.get(i).describe()).append(": ").append(reason[i]);
                count++;
            }
        }
        if (count > 0) {
            throw new KilnException("graph " + g.name() + ": require_full_compilation is set but " + count + " of "
                    + nodes.size() + " nodes cannot run in " + backend + ":" + b
                    + "\n  drop require_full_compilation to run them in libtorch, or remove the overrides");
        }
    }

    /** {@code aten::add.Tensor} -> {@code aten::add}. */
    static String baseOp(String op) {
        int ns = op.indexOf("::");
        int dot = op.indexOf('.', ns < 0 ? 0 : ns + 2);
        return dot < 0 ? op : op.substring(0, dot);
    }

    /**
     * Maximal same-target runs of a topological order that stays on the current target while it can
     * (Kahn's algorithm; among ready nodes of a target, the earliest in the graph first).
     */
    static List<List<Integer>> runs(List<Node> nodes, Map<Node, Integer> index, Target[] target) {
        int n = nodes.size();
        int[] pending = new int[n];
        List<List<Integer>> users = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            users.add(new ArrayList<>());
        }
        for (int i = 0; i < n; i++) {
            Set<Integer> preds = new TreeSet<>();
            for (Value v : nodes.get(i).inputs()) {
                if (v.kind() == Value.Kind.NODE_OUTPUT) {
                    Integer p = index.get(v.producer().orElseThrow());
                    if (p != null && p != i) {
                        preds.add(p);
                    }
                }
            }
            pending[i] = preds.size();
            for (int p : preds) {
                users.get(p).add(i);
            }
        }
        List<TreeSet<Integer>> ready = List.of(new TreeSet<>(), new TreeSet<>());
        for (int i = 0; i < n; i++) {
            if (pending[i] == 0) {
                ready.get(target[i].ordinal()).add(i);
            }
        }
        List<List<Integer>> runs = new ArrayList<>();
        List<Integer> current = null;
        Target on = null;
        int placed = 0;
        while (placed < n) {
            if (on == null || ready.get(on.ordinal()).isEmpty()) {
                // switch: to the target whose earliest ready node comes first in the graph
                TreeSet<Integer> a = ready.get(0);
                TreeSet<Integer> b = ready.get(1);
                if (a.isEmpty() && b.isEmpty()) {
                    throw new KilnException("the graph's nodes form a cycle; it cannot be partitioned");
                }
                on = b.isEmpty() || (!a.isEmpty() && a.first() < b.first()) ? Target.values()[0] : Target.values()[1];
                current = new ArrayList<>();
                runs.add(current);
            }
            int i = ready.get(on.ordinal()).pollFirst();
            current.add(i);
            placed++;
            for (int u : users.get(i)) {
                if (--pending[u] == 0) {
                    ready.get(target[u].ordinal()).add(u);
                }
            }
        }
        return runs;
    }

    private static List<Node> members(List<Node> nodes, List<Integer> run) {
        List<Node> out = new ArrayList<>(run.size());
        for (int i : run) {
            out.add(nodes.get(i));
        }
        return out;
    }

    /** Non-constant values read by {@code members} and produced outside them, by first use. */
    static List<Value> inputs(List<Node> members) {
        Set<Node> inside = identitySet(members);
        Set<Value> out = new LinkedHashSet<>();
        for (Node n : members) {
            for (Value v : n.inputs()) {
                if (v.kind() == Value.Kind.CONSTANT) {
                    continue;
                }
                if (v.kind() == Value.Kind.INPUT || !inside.contains(v.producer().orElseThrow())) {
                    out.add(v);
                }
            }
        }
        return new ArrayList<>(out);
    }

    /** Values produced by {@code members} that outside nodes or the graph's outputs read, in node order. */
    static List<Value> outputs(Graph g, List<Node> members) {
        Set<Node> inside = identitySet(members);
        Set<Value> graphOutputs = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        graphOutputs.addAll(g.outputs());
        List<Value> out = new ArrayList<>();
        for (Node n : members) {
            for (Value v : n.outputs()) {
                boolean escapes = graphOutputs.contains(v);
                for (Node u : v.users()) {
                    escapes |= !inside.contains(u);
                }
                if (escapes) {
                    out.add(v);
                }
            }
        }
        return out;
    }

    private static Set<Node> identitySet(List<Node> nodes) {
        Set<Node> s = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        s.addAll(nodes);
        return s;
    }
}
