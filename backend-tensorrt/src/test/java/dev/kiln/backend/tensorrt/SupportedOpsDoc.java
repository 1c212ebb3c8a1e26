package dev.kiln.backend.tensorrt;

import dev.kiln.ir.DType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Generates {@code docs/supported-ops.md} from the converter registry (test-scope tool). Run
 * {@code main} with the output path, or let {@link SupportedOpsDocTest} rewrite the committed file with
 * {@code -Dkiln.golden.update=true}.
 */
public final class SupportedOpsDoc {
    /** The committed file, relative to this module's folder (surefire's working directory). */
    static final Path COMMITTED = Path.of("..", "docs", "supported-ops.md");

    private SupportedOpsDoc() {
    }

    public static void main(String[] args) throws IOException {
        Path out = args.length > 0 ? Path.of(args[0]) : COMMITTED;
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, render(ConverterRegistry.standard()), StandardCharsets.UTF_8);
        System.out.println("wrote " + out);
    }

    /** The Markdown page for {@code r} (deterministic: ops sorted, converters by priority). */
    static String render(ConverterRegistry r) {
        StringBuilder b = new StringBuilder();
        b.append("# Ops Kiln converts to TensorRT\n\n");
        b.append("<!-- Generated from the converter registry by SupportedOpsDoc (backend-tensorrt tests); do not edit.\n");
        b.append("     Regenerate: mvn -B -o -pl backend-tensorrt -am test -Dtest=SupportedOpsDocTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.golden.update=true -->\n\n");
        b.append(r.ops().size()).append(" ops, ").append(r.size()).append(" converters. `./kiln converters` prints the same"
                + " list for the converters on your class path (third-party ones included).\n\n");
        b.append("Each row is one exact ATen overload (`aten::add.Tensor`; the default overload is written bare). A node"
                + " whose op is listed can still be refused by the converter's check; the limits column says when, and"
                + " compile errors give the reason per node.\n\n");
        if (r.size() == 0) {
            b.append("_No converters are registered in this build._\n");
            return b.toString();
        }
        b.append("| Op | Priority | Dynamic shapes | DTypes | Limits | Converter |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (String op : r.ops()) {
            for (OpConverter c : r.forOp(op)) {
                List<String> dtypes = new ArrayList<>();
                for (DType t : DType.values()) {
                    if (c.supportedDTypes().contains(t)) {
                        dtypes.add(t.text());
                    }
                }
                b.append("| `").append(op).append("` | ").append(c.priority()).append(" | ")
                        .append(c.supportsDynamicShapes() ? "yes" : "no").append(" | ").append(String.join(", ", dtypes))
                        .append(" | ").append(cell(c.limits())).append(" | `").append(c.getClass().getSimpleName())
                        .append("` |\n");
            }
        }
        decompositions(b, r);
        return b.toString();
    }

    /** The ops the compile decomposes into converted ones when no converter takes them (the standard table). */
    private static void decompositions(StringBuilder b, ConverterRegistry r) {
        List<String> ops = new ArrayList<>();
        for (dev.kiln.passes.decompose.Decomposition d : dev.kiln.passes.decompose.DecompositionTable.standard().all()) {
            if (!r.ops().contains(d.op())) {
                ops.add(d.op());
            }
        }
        if (ops.isEmpty()) {
            return;
        }
        java.util.Collections.sort(ops);
        b.append("\n## Ops covered by a decomposition\n\n");
        b.append(ops.size()).append(" more ops have no converter but a decomposition into ops that do (the `decompose` pass"
                + " of every compile, `dev.kiln.passes.decompose`); a node it cannot decompose (its limits: literal arguments,"
                + " static sizes where the decomposition needs them) runs in libtorch:\n\n");
        for (String op : ops) {
            b.append("- `").append(op).append("`\n");
        }
    }

    private static String cell(String s) {
        return s.isBlank() ? "" : s.replace("|", "\\|").replace("\n", " ");
    }
}
