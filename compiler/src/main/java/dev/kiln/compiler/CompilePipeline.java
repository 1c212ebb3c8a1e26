package dev.kiln.compiler;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.PassRegistry;
import dev.kiln.passes.PassReport;
import dev.kiln.passes.Precision;

import java.util.ArrayList;
import java.util.List;

/**
 * The pass pipeline every compile runs before TensorRT: canonicalization, dead code, constant and
 * batch-norm folding, CSE, shape propagation, then the precision pass. Passes not in this build's
 * registry are left out, except that a precision other than FP32 needs the precision pass.
 *
 * <pre>{@code PassReport r = CompilePipeline.run(graph, Precision.FP16, Set.of());}</pre>
 */
public final class CompilePipeline {
    /** Pass names in order; {@value #PRECISION_PASS} is the precision pass. */
    public static final List<String> PASSES = List.of("canonicalize", "dce", "fold-constants", "fold-batch-norm", "cse",
            "dce", "propagate-shapes", "precision", "dce");
    public static final String PRECISION_PASS = "precision";

    private CompilePipeline() {
    }

    /** The pipeline text for {@code registry} and {@code precision}. */
    public static String text(PassRegistry registry, Precision precision) {
        List<String> names = new ArrayList<>();
        for (String p : PASSES) {
            if (registry.find(p).isPresent()) {
                names.add(p);
            } else if (p.equals(PRECISION_PASS) && precision != Precision.FP32 && precision != Precision.TF32) {
                throw new KilnException("precision " + precision.name().toLowerCase() + " needs the '" + PRECISION_PASS
                        + "' pass, which this Kiln build does not have; compile with --precision fp32");
            }
        }
        return String.join(",", names);
    }

    /** Runs the pipeline on {@code g} in place. */
    public static PassReport run(Graph g, Precision precision, java.util.Set<String> keepFp32) {
        PassManager pm = PassManager.builder().build();
        PassContext.Builder ctx = PassContext.builder().precision(precision);
        keepFp32.forEach(ctx::keepFp32);
        return pm.run(g, text(pm.registry(), precision), ctx.build());
    }
}
