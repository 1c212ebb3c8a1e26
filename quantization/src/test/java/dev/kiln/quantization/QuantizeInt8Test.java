package dev.kiln.quantization;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.eval.GraphEvaluator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Calibration and the int8 markers on a small CNN, run with libtorch on the CPU: the quantized graph computes what
 * int8 rounding of each layer's operands gives, close to the float graph but not equal to it.
 */
class QuantizeInt8Test {
    @TempDir
    Path dir;

    /** conv -> relu -> flatten -> linear, with a matmul of two activations on the side. */
    static Graph cnn(long seed) {
        Graph g = IrParser.parse("""
                graph @cnn(%x: tensor<f32, [2, 3, 8, 8]>) {
                  const %w : tensor<f32, [4, 3, 3, 3]> = dense<elided>
                  const %b : tensor<f32, [4]> = dense<elided>
                  const %fw : tensor<f32, [5, 256]> = dense<elided>
                  %c : tensor<f32, [2, 4, 8, 8]> = aten::convolution(%x, %w, %b, [1, 1], [1, 1], [1, 1], false, [0, 0], 1)
                  %r : tensor<f32, [2, 4, 8, 8]> = aten::relu(%c)
                  %f : tensor<f32, [2, 256]> = aten::flatten.using_ints(%r, 1, -1)
                  %y : tensor<f32, [2, 5]> = aten::linear(%f, %fw, none)
                  %t : tensor<f32, [5, 2]> = aten::t(%y)
                  %g : tensor<f32, [2, 2]> = aten::mm(%y, %t)
                  return %y, %g
                }
                """, "cnn.kir", SchemaRegistry.standard(), IrParser.Options.acceptingElided());
        Random r = new Random(seed);
        for (Value c : List.copyOf(g.constants())) {
            ConstantTensor t = c.constant().orElseThrow();
            float[] v = new float[(int) t.numel()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * (c.name().equals("fw") ? 0.1 : 0.5));
            }
            c.setConstant(ConstantTensor.ofFloats(t.sizes(), v));
        }
        return g;
    }

    static List<List<ConstantTensor>> batches(int n, long seed) {
        Random r = new Random(seed);
        List<List<ConstantTensor>> out = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            float[] v = new float[2 * 3 * 8 * 8];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            out.add(List.of(ConstantTensor.ofFloats(new long[] {2, 3, 8, 8}, v)));
        }
        return out;
    }

    static double relL2(ConstantTensor got, ConstantTensor want) {
        double num = 0;
        double den = 0;
        for (long i = 0; i < want.numel(); i++) {
            double d = got.getDouble(i) - want.getDouble(i);
            num += d * d;
            den += want.getDouble(i) * want.getDouble(i);
        }
        return Math.sqrt(num / den);
    }

    static PassContext with(CalibrationTable t) {
        PassContext ctx = PassContext.defaults();
        ctx.put(CalibrationTable.class, t);
        return ctx;
    }

    static long count(Graph g, String op) {
        return g.nodes().stream().filter(n -> n.op().equals(op)).count();
    }

    @Test
    void calibrationMeasuresTheActivationOperandsOnly() {
        Graph g = cnn(1);
        CalibrationTable t = Calibrator.calibrate(g, batches(4, 2), CalibrationMethod.MAX, 0, Set.of());
        // x (conv input), f (linear input), y and t (the mm's operands); weights are not calibrated
        assertThat(t.amax().keySet()).containsExactlyInAnyOrder("x", "f", "y", "t");
        assertThat(t.batches()).isEqualTo(4);
        double xMax = 0;
        for (List<ConstantTensor> b : batches(4, 2)) {
            for (long i = 0; i < b.get(0).numel(); i++) {
                xMax = Math.max(xMax, Math.abs(b.get(0).getDouble(i)));
            }
        }
        assertThat(t.amax().get("x")).isCloseTo(xMax, within(1e-6));
        // t is y transposed: the same magnitudes
        assertThat(t.amax().get("t")).isCloseTo(t.amax().get("y"), within(1e-9));
    }

    @Test
    void quantizedGraphIsCloseToTheFloatOneAndRoundsLikeInt8() {
        Graph g = cnn(3);
        Graph reference = Graphs.copy(g);
        List<List<ConstantTensor>> data = batches(8, 4);
        CalibrationTable t = Calibrator.calibrate(g, data, CalibrationMethod.ENTROPY, 0, Set.of());
        boolean changed = PassManager.builder().build().run(g, "quantize-int8", with(t)).changed();
        assertThat(changed).isTrue();
        // x, f, y, t per tensor; conv and linear weights per channel
        assertThat(count(g, "aten::fake_quantize_per_tensor_affine")).isEqualTo(4);
        assertThat(count(g, "aten::fake_quantize_per_channel_affine")).isEqualTo(2);
        Node conv = g.nodes().stream().filter(n -> n.op().equals("aten::convolution")).findFirst().orElseThrow();
        Node xq = ((Value) conv.arg(0)).producer().orElseThrow();
        assertThat(xq.op()).isEqualTo("aten::fake_quantize_per_tensor_affine");
        assertThat(xq.doubleArg("scale")).isCloseTo(t.amax().get("x") / 127, within(1e-12));
        Node wq = ((Value) conv.arg(1)).producer().orElseThrow();
        assertThat(wq.op()).isEqualTo("aten::fake_quantize_per_channel_affine");
        // on fresh inputs: close to float, but int8 rounding shows
        List<ConstantTensor> in = batches(1, 99).get(0);
        List<ConstantTensor> want = GraphEvaluator.run(reference, in);
        List<ConstantTensor> got = GraphEvaluator.run(g, in);
        for (int k = 0; k < want.size(); k++) {
            double e = relL2(got.get(k), want.get(k));
            assertThat(e).as("output %d", k).isLessThan(0.05).isGreaterThan(1e-5);
        }
    }

    @Test
    void constantFoldingKeepsTheMarkersOnWeights() {
        Graph g = cnn(5);
        CalibrationTable t = Calibrator.calibrate(g, batches(2, 6), CalibrationMethod.MAX, 0, Set.of());
        PassManager pm = PassManager.builder().build();
        pm.run(g, "quantize-int8", with(t));
        pm.run(g, "fixpoint(fold-constants,cse,dce)", with(t));
        assertThat(count(g, "aten::fake_quantize_per_channel_affine")).isEqualTo(2);
        assertThat(count(g, "aten::fake_quantize_per_tensor_affine")).isEqualTo(4);
        // running the pass again adds nothing
        assertThat(pm.run(g, "quantize-int8", with(t)).changed()).isFalse();
    }

    @Test
    void operandsWithoutARangeOrSkippedStayFloatAndAreNoted() {
        Graph g = cnn(7);
        CalibrationTable partial = new CalibrationTable(CalibrationMethod.MAX, 0, 1, Map.of("x", 3.0, "y", 0.0));
        PassContext ctx = with(partial);
        PassManager.builder().build().run(g, "quantize-int8", ctx);
        // x quantized; f has no range; y was all zeros; t has no range; the two weights need none
        assertThat(count(g, "aten::fake_quantize_per_tensor_affine")).isEqualTo(1);
        assertThat(count(g, "aten::fake_quantize_per_channel_affine")).isEqualTo(2);
        assertThat(ctx.diagnostics()).anyMatch(d -> d.contains("%f stays float") && d.contains("no range"))
                .anyMatch(d -> d.contains("%y stays float") && d.contains("0 in every calibration batch"));

        Graph kept = cnn(7);
        PassContext keep = PassContext.builder().keepFp32("aten::linear").keepFp32("g").build();
        keep.put(CalibrationTable.class, Calibrator.calibrate(kept, batches(2, 8), CalibrationMethod.MAX, 0, keep.keepFp32()));
        PassManager.builder().build().run(kept, "quantize-int8", keep);
        // only the convolution is quantized: its input and its weight
        assertThat(count(kept, "aten::fake_quantize_per_tensor_affine")).isEqualTo(1);
        assertThat(count(kept, "aten::fake_quantize_per_channel_affine")).isEqualTo(1);
    }

    @Test
    void theTableRoundTripsThroughItsFileAndThePassReadsIt() throws Exception {
        Graph g = cnn(9);
        CalibrationTable t = Calibrator.calibrate(g, batches(3, 10), CalibrationMethod.PERCENTILE, 99.9, Set.of());
        Path f = dir.resolve("calib.json");
        t.write(f);
        assertThat(CalibrationTable.read(f)).isEqualTo(t);
        assertThat(Files.readString(f)).contains("\"format\" : \"kiln-calibration\"").contains("\"method\" : \"percentile\"");
        PassManager.builder().build().run(g, "quantize-int8{table=" + f + "}", PassContext.defaults());
        assertThat(count(g, "aten::fake_quantize_per_tensor_affine")).isEqualTo(4);
    }

    @Test
    void badTablesAndAMissingTableAreClearErrors() throws Exception {
        Path junk = dir.resolve("junk.json");
        Files.writeString(junk, "{\"format\": \"something-else\"}");
        assertThatThrownBy(() -> CalibrationTable.read(junk)).isInstanceOf(KilnException.class)
                .hasMessageContaining(junk.toString()).hasMessageContaining("is not a calibration table");
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"format\": ");
        assertThatThrownBy(() -> CalibrationTable.read(broken)).isInstanceOf(KilnException.class)
                .hasMessageContaining(broken.toString()).hasMessageContaining("not valid JSON");
        Path newer = dir.resolve("newer.json");
        Files.writeString(newer, "{\"format\": \"kiln-calibration\", \"format_version\": 9, \"method\": \"max\", \"amax\": {}}");
        assertThatThrownBy(() -> CalibrationTable.read(newer)).isInstanceOf(KilnException.class)
                .hasMessageContaining("format_version 9");
        Path negative = dir.resolve("negative.json");
        Files.writeString(negative, "{\"format\": \"kiln-calibration\", \"format_version\": 1, \"method\": \"max\", \"amax\": {\"x\": -1}}");
        assertThatThrownBy(() -> CalibrationTable.read(negative)).isInstanceOf(KilnException.class)
                .hasMessageContaining(negative.toString()).hasMessageContaining("%x has amax -1.0");
        assertThatThrownBy(() -> PassManager.builder().build().run(cnn(1), "quantize-int8", PassContext.defaults()))
                .hasMessageContaining("quantize-int8 needs a calibration table");
    }

    @Test
    void aNonFiniteActivationNamesTheValueAndTheBatch() {
        Graph g = cnn(11);
        List<List<ConstantTensor>> data = batches(2, 12);
        float[] nan = new float[2 * 3 * 8 * 8];
        nan[5] = Float.NaN;
        data.set(1, List.of(ConstantTensor.ofFloats(new long[] {2, 3, 8, 8}, nan)));
        assertThatThrownBy(() -> Calibrator.calibrate(g, data, CalibrationMethod.MAX, 0, Set.of()))
                .isInstanceOf(KilnException.class).hasMessageContaining("calibration batch 1 of cnn")
                .hasMessageContaining("%x").hasMessageContaining("non-finite");
    }
}
