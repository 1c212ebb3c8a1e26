package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.compiler.ModelFormat;
import dev.kiln.compiler.Models;
import dev.kiln.frontend.torchscript.InputSpecs;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.text.IrPrinter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code kiln inspect MODEL [--format text|json] [--print-ir] [--example-inputs NPZ]}: loads a model
 * (torch.export or TorchScript, told apart by contents) and prints its summary —
 * the format, the number of op nodes, the op histogram (and, as {@code nested_ops}, that of the ops inside run-time
 * branches and loop bodies) ({@code aten::name.overload}, the default
 * overload bare), and the inputs and outputs with dtypes and shapes (symbolic sizes by name with
 * their ranges). {@code --print-ir} adds the IR text (constants over 64 bytes elided).
 *
 * <pre>{@code ./kiln inspect model.pt2 --format json}</pre>
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Prints a model's graph summary: format, op histogram, inputs and outputs.")
public final class InspectCommand implements Callable<Integer> {
    /** The output formats of the summary. */
    enum Format { text, json }

    @Parameters(index = "0", paramLabel = "MODEL", description = "a .pt2 (torch.export.save) or TorchScript file")
    Path model;

    @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE})")
    Format format;

    @Option(names = "--example-inputs", paramLabel = "NPZ",
            description = "an .npz whose x0, x1, ... give the input dtypes and shapes of a TorchScript model "
                    + "(TorchScript archives carry no shapes)")
    Path exampleInputs;

    @Option(names = "--print-ir", description = "also print the IR text (constants over 64 bytes elided)")
    boolean printIr;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ModelFormat kind = ModelFormat.detect(model);
        Graph g = Models.load(model, exampleInputs == null ? List.of() : InputSpecs.fromNpz(exampleInputs));
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> summary = summary(g, kind);
        if (format == Format.json) {
            if (printIr) {
                summary.put("ir", IrPrinter.print(g, IrPrinter.Options.elidingOver(64)));
            }
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(summary));
            } catch (JsonProcessingException e) {
                throw new KilnException("cannot write the summary as JSON: " + e.getOriginalMessage());
            }
        } else {
            printText(summary, g, out);
            if (printIr) {
                out.println();
                out.print(IrPrinter.print(g, IrPrinter.Options.elidingOver(64)));
            }
        }
        out.flush();
        return 0;
    }

    /** The op histogram of every graph nested in {@code g}'s nodes, at any depth. */
    private static void nestedOps(Graph g, Map<String, Integer> into) {
        for (dev.kiln.ir.Node n : g.nodes()) {
            for (Graph sub : n.subgraphs()) {
                sub.opHistogram().forEach((op, k) -> into.merge(op, k, Integer::sum));
                nestedOps(sub, into);
            }
        }
    }

    /** The summary as ordered maps and lists, ready for JSON. */
    static Map<String, Object> summary(Graph g, ModelFormat kind) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", g.attributes().getOrDefault("source", g.name()));
        s.put("format", kind.id());
        putIfPresent(s, "layout", g.attributes().get("layout"));
        putIfPresent(s, "dialect", g.attributes().get("dialect"));
        putIfPresent(s, "torch_version", g.attributes().get("torch_version"));
        s.put("nodes", g.nodes().size());
        s.put("ops", new LinkedHashMap<>(g.opHistogram()));
        // the ops inside run-time branches and loop bodies (added 2026-12-05; absent when there are none)
        Map<String, Integer> nested = new java.util.TreeMap<>();
        nestedOps(g, nested);
        if (!nested.isEmpty()) {
            s.put("nested_ops", nested);
        }
        s.put("inputs", values(g.inputs()));
        s.put("outputs", values(g.outputs()));
        List<Object> symbols = new ArrayList<>();
        for (Symbol sym : g.symbols()) {
            symbols.add(symbol(sym));
        }
        s.put("symbols", symbols);
        long bytes = 0;
        for (Value c : g.constants()) {
            bytes += c.constant().map(t -> t.byteSize()).orElse(0L);
        }
        s.put("constants", g.constants().size());
        s.put("constant_bytes", bytes);
        return s;
    }

    private static List<Object> values(List<Value> vs) {
        List<Object> out = new ArrayList<>();
        for (Value v : vs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", v.name());
            if (v.type() instanceof TensorType t) {
                m.put("dtype", t.dtype().map(d -> d.text()).orElse(null));
                m.put("shape", shape(t.shape()));
            } else {
                m.put("type", v.type().text());
            }
            out.add(m);
        }
        return out;
    }

    private static Object shape(Shape s) {
        if (!s.isRanked()) {
            return null;
        }
        List<Object> dims = new ArrayList<>();
        for (SymExpr d : s.dims()) {
            if (d instanceof SymExpr.Const c) {
                dims.add(c.value());
            } else if (d instanceof SymExpr.Sym sym) {
                dims.add(symbol(sym.symbol()));
            } else {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("expr", d.toString());
                m.put("min", d.lowerBound());
                m.put("max", d.upperBound() == Symbol.UNBOUNDED ? null : d.upperBound());
                dims.add(m);
            }
        }
        return dims;
    }

    private static Map<String, Object> symbol(Symbol sym) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", sym.name());
        m.put("min", sym.min());
        m.put("max", sym.bounded() ? sym.max() : null);
        return m;
    }

    private static void putIfPresent(Map<String, Object> m, String key, String value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    @SuppressWarnings("unchecked")
    private static void printText(Map<String, Object> s, Graph g, PrintWriter out) {
        out.println("model      " + s.get("model"));
        out.println("format     " + s.get("format") + (s.containsKey("layout") ? " (" + s.get("layout") + ")" : "")
                + (s.containsKey("dialect") ? ", " + s.get("dialect") + " IR" : "")
                + (s.containsKey("torch_version") ? ", torch " + s.get("torch_version") : ""));
        for (Symbol sym : g.symbols()) {
            out.println("symbol     " + sym.declaration());
        }
        for (Value v : g.inputs()) {
            out.println("input      %" + v.name() + ": " + v.type().text());
        }
        for (Value v : g.outputs()) {
            out.println("output     %" + v.name() + ": " + v.type().text());
        }
        out.println("constants  " + s.get("constants") + " (" + s.get("constant_bytes") + " bytes)");
        out.println("nodes      " + s.get("nodes"));
        Map<String, Integer> ops = (Map<String, Integer>) s.get("ops");
        int width = ops.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, Integer> e : ops.entrySet()) {
            out.printf("  %-" + width + "s  %d%n", e.getKey(), e.getValue());
        }
        if (s.get("nested_ops") instanceof Map<?, ?> nested) {
            out.println("nested     " + nested.values().stream().mapToInt(k -> (Integer) k).sum()
                    + " (in run-time branches and loop bodies, run in libtorch)");
            int w = nested.keySet().stream().mapToInt(k -> k.toString().length()).max().orElse(0);
            for (Map.Entry<?, ?> e : nested.entrySet()) {
                out.printf("  %-" + w + "s  %s%n", e.getKey(), e.getValue());
            }
        }
    }
}
