package dev.kiln.quantization;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Value;
import dev.kiln.passes.eval.GraphEvaluator;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Post-training calibration: runs the float graph on calibration batches with libtorch (CPU,
 * {@link GraphEvaluator}), records the magnitudes of every operand int8 quantization will read
 * ({@link QuantSites}), and turns each distribution into an {@code amax} with the chosen method.
 *
 * <pre>{@code CalibrationTable t = Calibrator.calibrate(graph, batches, CalibrationMethod.ENTROPY, 99.99, Set.of());}</pre>
 */
public final class Calibrator {
    private Calibrator() {
    }

    /**
     * Calibrates {@code graph} (after the passes that precede quantization, so that its value names are those the
     * quantize pass sees) on {@code batches}, each one tensor per graph input. {@code skip}: ops or node output names
     * left in float, as for the pass. {@code percentile} is read by {@link CalibrationMethod#PERCENTILE} only.
     */
    public static CalibrationTable calibrate(Graph graph, List<List<ConstantTensor>> batches, CalibrationMethod method,
                                             double percentile, Set<String> skip) {
        if (batches.isEmpty()) {
            throw new KilnException("calibration of " + graph.name() + " needs at least one batch of inputs");
        }
        Set<Value> observed = QuantSites.calibrated(QuantSites.of(graph, skip));
        Map<Value, RangeHistogram> hist = new HashMap<>();
        int b = 0;
        for (List<ConstantTensor> batch : batches) {
            int index = b++;
            try {
                GraphEvaluator.run(graph, batch, observed, (v, t) -> {
                    try {
                        hist.computeIfAbsent(v, k -> new RangeHistogram()).add(t);
                    } catch (KilnException e) {
                        throw new KilnException("%" + v.name() + ": " + e.getMessage(), e);
                    }
                });
            } catch (KilnException e) {
                throw new KilnException("calibration batch " + index + " of " + graph.name() + ": " + e.getMessage(), e);
            }
        }
        Map<String, Double> amax = new LinkedHashMap<>();
        for (Value v : observed) {
            RangeHistogram h = hist.get(v);
            if (h != null) {
                amax.put(v.name(), h.amax(method, percentile));
            }
        }
        return new CalibrationTable(method, percentile, batches.size(), amax);
    }
}
