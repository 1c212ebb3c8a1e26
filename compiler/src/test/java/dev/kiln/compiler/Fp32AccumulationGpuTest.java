package dev.kiln.compiler;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.npy.Npz;
import dev.kiln.passes.Precision;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --fp32-acc} on a real GPU: the transformer encoder fixture compiled in FP16 with and without FP32 accumulation
 * of its matrix products, each against PyTorch's own FP32 outputs for the same inputs and weights (the fixture's npz).
 * Both must be within the FP16 tolerance; the summary line gives both errors and both latencies, which say whether
 * TensorRT ran the f32 products as half-precision kernels with a float accumulator or as FP32 products.
 */
@Tag("gpu")
class Fp32AccumulationGpuTest {
    static final double FP16_TOLERANCE = 1e-2;

    @TempDir
    Path tmp;

    @Test
    void fp16WithFp32AccumulationMatchesPyTorch() {
        Map<String, ConstantTensor> npz = Npz.read(Fixtures.copy("encoder.npz", tmp));
        List<ConstantTensor> in = Fixtures.inputs(npz);
        ConstantTensor want = Fixtures.outputs(npz).get(0);
        double[] err = new double[2];
        double[] ms = new double[2];
        for (int i = 0; i < 2; i++) {
            boolean acc = i == 1;
            CompileSettings s = CompileSettings.defaults().withPrecision(Precision.FP16).withFp32Accumulation(acc)
                    .withDetailedLayerInfo(true).withRequireFullCompilation(true);
            try (CompiledModule m = Kiln.compile(Kiln.load(Fixtures.copy("encoder.pt2", tmp)), s)) {
                // the kernels TensorRT chose (engine inspector): half-precision GEMMs with a float accumulator, or FP32 ones
                System.out.println("GPU-DETAIL fp32-acc model=encoder fp32_acc=" + acc + " kernels="
                        + tactics(m.engine().layerInformation()));
                err[i] = Fixtures.relL2(m.forward(in).get(0), want);
                for (int w = 0; w < 20; w++) {
                    m.forward(in);
                }
                long t0 = System.nanoTime();
                int n = 200;
                for (int r = 0; r < n; r++) {
                    m.forward(in);
                }
                ms[i] = (System.nanoTime() - t0) / 1e6 / n;
            }
        }
        boolean ok = err[0] <= FP16_TOLERANCE && err[1] <= FP16_TOLERANCE;
        System.out.printf(Locale.ROOT, "GPU-SUMMARY fp32-acc model=encoder precision=fp16 relL2_plain=%.1e relL2_fp32acc=%.1e"
                + " host_ms_plain=%.3f host_ms_fp32acc=%.3f status=%s%n", err[0], err[1], ms[0], ms[1], ok ? "ok" : "FAIL");
        assertThat(err[0]).as("FP16 against PyTorch FP32").isLessThanOrEqualTo(FP16_TOLERANCE);
        assertThat(err[1]).as("FP16 with FP32 accumulation against PyTorch FP32").isLessThanOrEqualTo(FP16_TOLERANCE);
    }

    /** The distinct kernels (TacticName) of the engine inspector's JSON, sorted. */
    static java.util.SortedSet<String> tactics(String json) {
        java.util.SortedSet<String> names = new java.util.TreeSet<>();
        try {
            for (com.fasterxml.jackson.databind.JsonNode layer : new com.fasterxml.jackson.databind.ObjectMapper().readTree(json)
                    .path("Layers")) {
                String t = layer.path("TacticName").asText("");
                if (!t.isEmpty()) {
                    names.add(t);
                }
            }
        } catch (java.io.IOException e) {
            throw new AssertionError("the engine inspector's output is not JSON: " + e.getMessage(), e);
        }
        return names;
    }
}
