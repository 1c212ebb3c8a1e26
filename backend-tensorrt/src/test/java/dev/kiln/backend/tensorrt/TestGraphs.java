package dev.kiln.backend.tensorrt;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaArgument;
import dev.kiln.ir.schema.SchemaType;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Hand-built schemas and graphs for backend tests (no frontend, no schema registry needed). */
final class TestGraphs {
    private TestGraphs() {
    }

    /** A schema {@code qualified(Tensor a0, Tensor a1, ...) -> Tensor}. */
    static OpSchema schema(String qualified, int tensorArgs) {
        int dot = qualified.indexOf('.', qualified.indexOf("::"));
        String name = dot < 0 ? qualified : qualified.substring(0, dot);
        String overload = dot < 0 ? "" : qualified.substring(dot + 1);
        List<SchemaArgument> args = new ArrayList<>();
        for (int i = 0; i < tensorArgs; i++) {
            args.add(new SchemaArgument(i == 0 ? "self" : "other" + i, SchemaType.named("Tensor"), Optional.empty(), false,
                    Optional.empty()));
        }
        List<SchemaArgument> rets = List.of(new SchemaArgument("", SchemaType.named("Tensor"), Optional.empty(), false,
                Optional.empty()));
        return new OpSchema(name, overload, args, rets, false, false);
    }

    static TensorType f32(long... sizes) {
        return new TensorType(DType.FLOAT32, Shape.of(sizes));
    }

    /** x0: f32[s0, 4] with s0 in [1, 64]; relu; add(x, relu); outputs [add]. */
    static Graph dynamicReluAdd(long symMax) {
        Graph g = new Graph("reluadd");
        Symbol s0 = g.declare(new Symbol("s0", 1, symMax));
        TensorType t = new TensorType(DType.FLOAT32, Shape.of(SymExpr.of(s0), SymExpr.of(4)));
        Value x = g.addInput("x", t);
        Value r = g.append(schema("aten::relu", 1), List.of(x), List.of(t)).output();
        Value a = g.append(schema("aten::add.Tensor", 2), List.of(x, r), List.of(t)).output();
        g.setOutputs(List.of(a));
        return g;
    }
}
