package dev.kiln.passes.shapes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds small graphs from IR text, runs shape inference and reads the resulting types back as text. */
final class ShapeTestSupport {
    private ShapeTestSupport() {
    }

    /** Symbols every test graph declares: {@code s0 in [1, 64]}, {@code s1 in [2, inf]}. */
    static final String SYMBOLS = "  symbol s0 in [1, 64]\n  symbol s1 in [2, inf]\n";

    static Graph parse(String params, String body) {
        String text = "graph @t(" + params + ") {\n" + SYMBOLS + body + "}\n";
        return IrParser.parse(text, "test.kir", SchemaRegistry.standard());
    }

    /** Types of every node output after inference, by value name. */
    static Map<String, String> infer(String params, String body) {
        Graph g = parse(params, body);
        ShapeInference.standard().infer(g, true);
        Map<String, String> out = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            for (Value v : n.outputs()) {
                out.put(v.name(), v.type().text());
            }
        }
        return out;
    }

    /** The type of the single output of {@code call} ({@code aten::relu(%x)}) over inputs {@code params}. */
    static String typeOf(String params, String call) {
        return infer(params, "  %out : tensor = " + call + "\n  return %out\n").get("out");
    }

    /** The types of the {@code n} outputs of {@code call}. */
    static List<String> typesOf(String params, int n, String call) {
        List<String> names = new ArrayList<>();
        StringBuilder lhs = new StringBuilder();
        for (int i = 0; i < n; i++) {
            names.add("o" + i);
            lhs.append(i == 0 ? "" : ", ").append("%o").append(i).append(" : tensor");
        }
        Map<String, String> t = infer(params, "  " + lhs + " = " + call + "\n  return %o0\n");
        List<String> out = new ArrayList<>();
        for (String name : names) {
            out.add(t.get(name));
        }
        return out;
    }

    /**
     * A type's text as the IR builds it: {@code canon("tensor<f32, [s0 + 3]>")} gives the printed form
     * of that type after the {@code SymExpr} factories have ordered its sizes.
     */
    static String canon(String typeText) {
        return parse("%e: " + typeText, "  return %e\n").inputs().get(0).type().text();
    }

    /** The notes a run leaves. */
    static List<String> notes(String params, String body) {
        return ShapeInference.standard().infer(parse(params, body), true).notes();
    }
}
