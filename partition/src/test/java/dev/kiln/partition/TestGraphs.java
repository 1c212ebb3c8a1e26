package dev.kiln.partition;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/** Small graphs for partitioner tests: hand-written chains and random DAGs of unary and binary ops. */
final class TestGraphs {
    static final String[] UNARY = {"aten::relu", "aten::neg", "aten::exp", "aten::sigmoid", "aten::tanh", "aten::sin"};
    static final TensorType T = new TensorType(Optional.of(DType.FLOAT32), Shape.of(8, 16));

    private TestGraphs() {
    }

    static OpSchema schema(String op) {
        return SchemaRegistry.standard().get(op);
    }

    static Node unary(Graph g, String op, Value in, String name) {
        Node n = g.append(schema(op), List.of(in), List.of(T));
        n.setName(name);
        return n;
    }

    static Node add(Graph g, Value a, Value b, String name) {
        Node n = g.append(schema("aten::add.Tensor"), List.of(a, b, new Arg.IntLit(1)), List.of(T));
        n.setName(name);
        return n;
    }

    /** A capability that converts every op but those listed. */
    static Capability allBut(Set<String> unsupported) {
        return n -> unsupported.contains(n.op()) ? Capability.Verdict.no("no TensorRT converter for " + n.op())
                : Capability.Verdict.yes();
    }

    /** A random DAG of {@code size} nodes over one input; each node reads one or two earlier values. */
    static Graph randomDag(Random r, int size) {
        Graph g = new Graph("random");
        List<Value> values = new ArrayList<>();
        values.add(g.addInput("x", T));
        if (r.nextBoolean()) {
            values.add(g.addInput("y", T));
        }
        for (int i = 0; i < size; i++) {
            Value a = values.get(pickRecent(r, values.size()));
            Node n;
            if (r.nextInt(3) == 0) {
                Value b = values.get(pickRecent(r, values.size()));
                n = add(g, a, b, "n" + i);
            } else {
                n = unary(g, UNARY[r.nextInt(UNARY.length)], a, "n" + i);
            }
            values.add(n.output());
        }
        List<Value> outs = new ArrayList<>();
        for (Value v : values) {
            if (v.kind() == Value.Kind.NODE_OUTPUT && !v.isUsed()) {
                outs.add(v);
            }
        }
        g.setOutputs(outs);
        return g;
    }

    /** Mostly recent values, sometimes far back: long-range edges are what could create cycles. */
    private static int pickRecent(Random r, int n) {
        if (r.nextInt(4) == 0) {
            return r.nextInt(n);
        }
        return Math.max(0, n - 1 - r.nextInt(Math.min(n, 3)));
    }
}
