package dev.kiln.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code kiln converters [--format text|json]}: prints the TensorRT converter registry, one converter
 * per line (op, priority, dynamic-shape support, dtypes, class, limits) or as a JSON array.
 *
 * <pre>{@code ./kiln converters --format json}</pre>
 */
@Command(name = "converters", mixinStandardHelpOptions = true,
        description = "Lists the TensorRT converters Kiln knows (built-in and from the class path).")
public final class ConvertersCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE})")
    String format;

    @Override
    public Integer call() throws Exception {
        ConverterRegistry r = ConverterRegistry.standard();
        java.io.PrintWriter out = spec.commandLine().getOut();
        if ("json".equalsIgnoreCase(format)) {
            ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            out.println(m.writeValueAsString(json(r)));
        } else if ("text".equalsIgnoreCase(format)) {
            for (String line : r.describe()) {
                out.println(line);
            }
            out.println(r.size() + " converters for " + r.ops().size() + " ops");
        } else {
            throw new KilnException("unknown format '" + format + "'; use text or json");
        }
        out.flush();
        return 0;
    }

    /** The registry as JSON-ready maps, in the registry's (sorted) order. */
    static List<Map<String, Object>> json(ConverterRegistry r) {
        List<Map<String, Object>> all = new ArrayList<>();
        for (String op : r.ops()) {
            for (OpConverter c : r.forOp(op)) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("op", op);
                e.put("priority", c.priority());
                e.put("dynamicShapes", c.supportsDynamicShapes());
                List<String> dtypes = new ArrayList<>();
                for (DType t : DType.values()) {
                    if (c.supportedDTypes().contains(t)) {
                        dtypes.add(t.text());
                    }
                }
                e.put("dtypes", dtypes);
                e.put("class", c.getClass().getName());
                e.put("limits", c.limits());
                all.add(e);
            }
        }
        return all;
    }
}
