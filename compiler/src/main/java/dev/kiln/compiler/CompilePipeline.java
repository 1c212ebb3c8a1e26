package dev.kiln.compiler;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.PassOptions;
import dev.kiln.passes.PassRegistry;
import dev.kiln.passes.PassReport;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Precision;
import dev.kiln.passes.decompose.Decompose;
import dev.kiln.passes.precision.PrecisionPass;
import dev.kiln.quantization.CalibrationTable;
import dev.kiln.sparsity.SparseSites;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;


/**
 * The pass pipeline every compile runs before TensorRT: {@link Pipelines#defaultFor} (shape
 * propagation, canonicalization, folding, decomposition, clean-up, shape propagation again, precision),
 * so every tensor has a dtype and a shape when precision is decided and when the converters see it.
 *
 * <pre>{@code PassReport r = CompilePipeline.run(graph, Precision.FP16, Set.of());}</pre>
 */
public final class CompilePipeline {
    public static final String PRECISION_PASS = "precision";
    public static final String SHAPES_PASS = "propagate-shapes";
    public static final String QUANTIZE_PASS = "quantize-int8";
    private static final Logger LOG = LoggerFactory.getLogger(CompilePipeline.class);

    private CompilePipeline() {
    }

    /** The pipeline text for {@code registry} and {@code precision}. */
    public static String text(PassRegistry registry, Precision precision) {
        String p = Pipelines.defaultFor(registry);
        if (!p.contains(SHAPES_PASS) && registry.find(SHAPES_PASS).isPresent()) {
            p = p.contains("," + PRECISION_PASS) ? p.replace("," + PRECISION_PASS, "," + SHAPES_PASS + "," + PRECISION_PASS)
                    : p + "," + SHAPES_PASS;
        }
        if (!p.contains(PRECISION_PASS) && precision != Precision.FP32 && precision != Precision.TF32) {
            throw new KilnException("precision " + precision.name().toLowerCase(java.util.Locale.ROOT) + " needs the '"
                    + PRECISION_PASS + "' pass, which the compile pipeline does not run; compile with --precision fp32");
        }
        return p;
    }

    /**
     * Runs the pipeline on {@code g} in place. {@code supported} answers "does the backend convert this
     * node?" so the decompose pass expands only what has no converter.
     */
    public static PassReport run(Graph g, Precision precision, java.util.Set<String> keepFp32, Decompose.Supported supported) {
        return run(g, precision, keepFp32, false, supported);
    }

    private static PassReport run(Graph g, Precision precision, java.util.Set<String> keepFp32, boolean fp32Acc,
                                  Decompose.Supported supported) {
        PassManager pm = PassManager.builder().build();
        return pm.run(g, text(pm.registry(), precision), context(precision, keepFp32, fp32Acc, supported));
    }

    private static PassContext context(Precision precision, java.util.Set<String> keepFp32, boolean fp32Acc,
                                       Decompose.Supported supported) {
        PassContext.Builder b = PassContext.builder().precision(precision);
        if (fp32Acc) {
            b.options(new PassOptions().set(PRECISION_PASS + "." + PrecisionPass.FP32_ACC.key(), "true"));
        }
        keepFp32.forEach(b::keepFp32);
        PassContext ctx = b.build();
        ctx.put(Decompose.Supported.class, supported);
        return ctx;
    }

    /**
     * Runs the pipeline {@code s} asks for on {@code g} in place: {@link #run(Graph, Precision, java.util.Set,
     * Decompose.Supported)}, and, with {@link CompileSettings#int8()}, calibration and the {@code quantize-int8} pass
     * right before {@code precision} (calibration sees the graph folded, decomposed and typed, in FP32, as the markers
     * will); with sparse weights, the count of 2:4 weights.
     */
    public static PassReport run(Graph g, CompileSettings s, Decompose.Supported supported) {
        if (s.fp32Accumulation() && (s.precision() == Precision.FP32 || s.precision() == Precision.TF32)) {
            LOG.warn("FP32 accumulation (--fp32-acc) changes nothing at precision {}: its matrix products already take FP32"
                    + " operands; it is for fp16 and bf16", s.precision().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (s.int8().isEmpty()) {
            PassReport r = run(g, s.precision(), s.keepFp32(), s.fp32Accumulation(), supported);
            if (s.sparseWeights()) {
                reportSparseWeights(g);
            }
            return r;
        }
        if (s.precision() == Precision.BF16) {
            throw new KilnException("int8 quantization keeps the rest of the graph in fp32 or fp16, not bf16: neither TensorRT's"
                    + " int8 markers nor libtorch's take bf16; compile with --precision fp16 (or fp32) and --calibration");
        }
        PassManager pm = PassManager.builder().build();
        PassContext ctx = context(s.precision(), s.keepFp32(), s.fp32Accumulation(), supported);
        String full = text(pm.registry(), s.precision());
        // split at the top-level precision step: calibration and the markers go right before it
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(^|,)" + PRECISION_PASS + "(,|$)").matcher(full);
        String before = full;
        String after = "";
        if (m.find()) {
            before = full.substring(0, m.start());
            after = full.substring(m.start() + m.group(1).length());
        }
        List<PassReport.Record> records = new ArrayList<>(before.isEmpty() ? List.of() : pm.run(g, before, ctx).records());
        long t0 = System.nanoTime();
        Int8Settings q = s.int8().get();
        CalibrationTable table = q.rangesFor(g, s.keepFp32());
        ctx.put(CalibrationTable.class, table);
        records.addAll(pm.run(g, after.isEmpty() ? QUANTIZE_PASS : QUANTIZE_PASS + "," + after, ctx).records());
        long markers = g.nodes().stream().filter(dev.kiln.passes.Ops::isQuantizationMarker).count();
        LOG.info("int8: {} values {} in {} s; {} quantize/dequantize markers on the operands of convolutions, linear layers"
                + " and matrix products", table.amax().size(), q.describe(), String.format(java.util.Locale.ROOT, "%.1f",
                (System.nanoTime() - t0) / 1e9), markers);
        ctx.diagnostics().stream().filter(d -> d.contains("stays float")).forEach(d -> LOG.warn("int8: {}", d));
        if (s.sparseWeights()) {
            reportSparseWeights(g);
        }
        return new PassReport(records);
    }

    /**
     * With sparse weights asked for: says how many convolution and linear weights of {@code g} are 2:4 sparse (the
     * ones TensorRT's sparse kernels can take), and warns when none is, since the flag then changes nothing.
     */
    public static SparseSites.Count reportSparseWeights(Graph g) {
        SparseSites.Count c = SparseSites.count(g);
        if (c.sparse() == 0) {
            LOG.warn("sparse weights asked for, but none of the {} convolution and linear weights of {} is 2:4 sparse: every"
                    + " layer keeps its dense kernels (prune and fine-tune to 2:4 first, e.g. with NVIDIA's ASP; the pass"
                    + " check-2to4 lists each weight)", c.total(), g.name());
        } else {
            LOG.info("sparse weights: {} of {} convolution and linear weights of {} are 2:4 sparse; TensorRT may pick sparse"
                    + " kernels for them", c.sparse(), c.total(), g.name());
        }
        return c;
    }
}
