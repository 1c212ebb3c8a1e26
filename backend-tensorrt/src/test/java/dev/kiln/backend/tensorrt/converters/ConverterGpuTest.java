package dev.kiln.backend.tensorrt.converters;

import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.EngineOptions;
import dev.kiln.backend.tensorrt.runtime.Engine;
import dev.kiln.backend.tensorrt.runtime.ExecutionSession;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Precision;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every built-in converter checked numerically on the GPU: each graph of {@link ConverterCases}
 * (several shapes per op, with broadcasting, negative dims, keepdim and symbolic sizes) is compiled
 * in fp32 (TF32 off) with the standard registry and run (graphs with symbolic sizes a second time,
 * every symbolic dimension one larger, on the same engine), and its outputs are compared with
 * libtorch's on the CPU, then again in fp16 after the precision pass. One line per op and precision:
 * {@code GPU-CONVERTER op=aten::conv2d precision=fp32 cases=3 maxRelErr=1.2e-07 failures=0}; a failing case is
 * listed with its graph and error, and the op's test fails. Engines are built at optimization level 0
 * with one shared timing cache (hundreds of tiny builds); {@code -Dkiln.converters.ops=aten::conv2d,aten::gelu}
 * runs only the named ops.
 */
@Tag("gpu")
class ConverterGpuTest {
    /** Float outputs: max |y - ref| / max |ref| must stay below this in fp32. */
    static final double TOLERANCE = 2e-4;

    /** Ops whose float results legitimately differ more (transcendental kernels, decompositions). */
    static final Map<String, Double> LOOSER = Map.of("aten::scaled_dot_product_attention", 1e-3, "aten::pow.Tensor_Tensor", 1e-3,
            "aten::pow.Tensor_Scalar", 1e-3, "aten::pow.Scalar", 1e-3, "aten::gelu", 1e-3, "aten::log_softmax.int", 1e-3,
            "aten::_log_softmax", 1e-3, "aten::cumsum", 1e-3);

    /** A comma-separated op list in {@code -Dkiln.converters.ops} restricts the run (all ops when unset). */
    static Stream<Map.Entry<String, List<Supplier<OneNode>>>> selected() {
        String only = System.getProperty("kiln.converters.ops", "").trim();
        Set<String> ops = only.isEmpty() ? Set.of() : Set.of(only.split("\\s*,\\s*"));
        return ConverterCases.all().entrySet().stream().filter(e -> ops.isEmpty() || ops.contains(e.getKey()));
    }

    /** One timing cache for all the small builds, and the quickest builder level: the test is about numbers, not speed. */
    static EngineOptions options(Precision precision) {
        try {
            if (cache == null) {
                cache = java.nio.file.Files.createTempDirectory("kiln-converters").resolve("timing.cache");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return EngineOptions.defaults().withPrecision(precision).withOptimizationLevel(0).withTimingCache(cache);
    }

    private static java.nio.file.Path cache;

    @TestFactory
    Stream<DynamicTest> everyConverterMatchesLibtorch() {
        return selected().map(e -> DynamicTest.dynamicTest(e.getKey(),
                () -> run(e.getKey(), e.getValue(), Precision.FP32)));
    }

    /**
     * The same graphs after the precision pass for fp16 (float tensors become f16), compared with the
     * fp32 libtorch results at {@link #FP16_TOLERANCE}; graphs with non-float outputs are left to the
     * fp32 run (near-ties may flip an argmax in fp16).
     */
    @TestFactory
    Stream<DynamicTest> everyConverterMatchesLibtorchInFp16() {
        return selected().map(e -> DynamicTest.dynamicTest(e.getKey(),
                () -> run(e.getKey(), e.getValue(), Precision.FP16)));
    }

    static final double FP16_TOLERANCE = 2e-2;
    /** Cases whose tensors are bf16 (8 significant bits): the conformance kit's default bf16 bound. */
    static final double BF16_TOLERANCE = 4e-2;

    private static void run(String op, List<Supplier<OneNode>> cases, Precision precision) {
        int count = 0;
        double worst = 0;
        List<String> failures = new ArrayList<>();
        for (Supplier<OneNode> s : cases) {
            OneNode c = s.get();
            // graphs without inputs or outputs (scalar_tensor, assertions) cannot become an engine on their own
            if (c.graph.inputs().isEmpty() || c.graph.outputs().isEmpty()) {
                continue;
            }
            if (precision == Precision.FP16) {
                if (!c.expected.stream().allMatch(t -> t.dtype().isFloatingPoint())) {
                    continue;
                }
                PassContext ctx = PassContext.builder().precision(Precision.FP16).build();
                PassManager.builder().build().run(c.graph, "precision", ctx);
                // a converter may refuse a half-precision form TensorRT has no kernel for: then the node runs in
                // libtorch, which is what a compile does with it; the refusal must say why
                List<dev.kiln.backend.tensorrt.UnsupportedNodes.Refusal> refused = dev.kiln.backend.tensorrt.UnsupportedNodes.find(
                        c.graph, ConverterRegistry.standard(), dev.kiln.backend.tensorrt.ConverterSettings.defaults());
                if (!refused.isEmpty()) {
                    refused.forEach(r -> assertThat(r.reason()).as("refusal reason").isNotBlank());
                    System.out.println("GPU-CONVERTER-REFUSED op=" + op + " precision=fp16 " + refused);
                    continue;
                }
            }
            count++;
            String label = c.graph.inputs().stream().map(v -> v.type().text()).toList() + " -> "
                    + c.graph.outputs().stream().map(v -> v.type().text()).toList();
            try {
                BuiltEngine built;
                try {
                    built = EngineBuilder.build(c.graph, options(precision), ConverterRegistry.standard());
                } catch (KilnException e) {
                    if (!String.valueOf(e.getMessage()).contains("Could not find any implementation")) {
                        throw e;
                    }
                    // level 0 (used here for speed) offers TensorRT few tactics; compiles use the default
                    // level, so a case with no level-0 kernel is judged at the level users get
                    System.out.println("GPU-CONVERTER-RETRY op=" + op + " " + label + ": no kernel at optimization level 0; building at the default level");
                    built = EngineBuilder.build(c.graph, options(precision).withOptimizationLevel(-1), ConverterRegistry.standard());
                }
                try (Engine engine = Engine.deserialize(built.plan()); ExecutionSession session = engine.newSession()) {
                    List<List<ConstantTensor>> feeds = new ArrayList<>(List.of(c.inputs));
                    List<List<ConstantTensor>> wants = new ArrayList<>(List.of(c.expected));
                    if (!c.graph.symbols().isEmpty() && precision == Precision.FP32) {
                        // one engine, a second shape: every symbolic dimension one larger
                        List<ConstantTensor> more = OneNode.resized(c.graph, c.inputs);
                        feeds.add(more);
                        wants.add(OneNode.evaluate(c.graph, more));
                    }
                    for (int run = 0; run < feeds.size(); run++) {
                    List<ConstantTensor> ys = session.run(feeds.get(run));
                    List<ConstantTensor> expected = wants.get(run);
                    for (int i = 0; i < expected.size(); i++) {
                        ConstantTensor want = expected.get(i);
                        ConstantTensor got = ys.get(i);
                        if (!Arrays.equals(want.sizes(), got.sizes())) {
                            failures.add(label + ": output " + i + " has sizes " + Arrays.toString(got.sizes()) + ", libtorch "
                                    + Arrays.toString(want.sizes()));
                            continue;
                        }
                        double err = relErr(want, got);
                        double tol = !want.dtype().isFloatingPoint() ? 0.0
                                : want.dtype() == DType.BFLOAT16 ? BF16_TOLERANCE
                                : precision == Precision.FP16 || want.dtype() == DType.FLOAT16 ? FP16_TOLERANCE
                                : LOOSER.getOrDefault(op, TOLERANCE);
                        worst = Math.max(worst, err);
                        if (!(err <= tol)) {
                            failures.add(label + " run " + run + ": output " + i + " relErr " + err + " > " + tol);
                        }
                    }
                    }
                }
            } catch (RuntimeException ex) {
                failures.add(label + ": " + ex.getMessage());
            }
        }
        System.out.printf(Locale.ROOT, "GPU-CONVERTER op=%s precision=%s cases=%d maxRelErr=%.2e failures=%d%n", op,
                precision.name().toLowerCase(Locale.ROOT), count, worst, failures.size());
        for (String f : failures) {
            System.out.println("GPU-CONVERTER-FAILURE op=" + op + " precision=" + precision.name().toLowerCase(Locale.ROOT) + " " + f);
        }
        assertThat(failures).as(op).isEmpty();
    }

    /** max |got - want| / max(|want|), exact comparison scale 1 for all-zero references. */
    static double relErr(ConstantTensor want, ConstantTensor got) {
        double maxDiff = 0;
        double maxRef = 0;
        for (long i = 0; i < want.numel(); i++) {
            double w = want.getDouble(i);
            double g = got.getDouble(i);
            if (Double.isNaN(w) && Double.isNaN(g) || w == g) {
                continue;
            }
            maxDiff = Math.max(maxDiff, Double.isInfinite(w) || Double.isInfinite(g) ? Double.POSITIVE_INFINITY : Math.abs(g - w));
            maxRef = Math.max(maxRef, Math.abs(w));
        }
        for (long i = 0; i < want.numel(); i++) {
            maxRef = Math.max(maxRef, Math.abs(want.getDouble(i)));
        }
        return maxDiff == 0 ? 0 : maxDiff / Math.max(maxRef, 1e-6);
    }
}
