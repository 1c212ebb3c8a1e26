package dev.kiln.quantization;

import com.google.auto.service.AutoService;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.Ops;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassOption;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Symmetric int8 quantization, explicit: puts a quantize/dequantize marker on each operand of every convolution,
 * linear layer and matrix product ({@link QuantSites}), as {@code aten::fake_quantize_per_tensor_affine(x, amax/127,
 * 0, -128, 127)}, or {@code fake_quantize_per_channel_affine} along the output channels of a constant weight. Layer
 * outputs stay float. Activations take the {@code amax} calibration measured ({@link Calibrator}; from the context's
 * {@link CalibrationTable}, or the file the {@code table} option names); weights their own per-channel maximum. An
 * operand calibration did not see, or saw only zeros, stays float and is noted. libtorch runs the markers as they
 * are (the int8 rounding, in float), which is the reference a TensorRT int8 engine is compared with.
 *
 * <pre>{@code kiln opt --passes='quantize-int8{table=calib.json}' model.kir}</pre>
 */
@AutoService(Pass.class)
public final class QuantizeInt8 implements Pass {
    public static final PassOption<String> TABLE = PassOption.ofString("table", "",
            "calibration table (JSON); default: the one calibration left in the compile's context");
    public static final PassOption<Boolean> PER_CHANNEL = PassOption.ofBoolean("per-channel", true,
            "quantize constant conv/linear weights per output channel (false: per tensor)");

    static final int QMIN = -128;
    static final int QMAX = 127;

    @Override
    public String name() {
        return "quantize-int8";
    }

    @Override
    public String description() {
        return "int8 quantize/dequantize markers on conv, linear and matmul operands, from a calibration table";
    }

    @Override
    public List<PassOption<?>> options() {
        return List.of(TABLE, PER_CHANNEL);
    }

    @Override
    public boolean run(Graph graph, PassContext context) {
        String file = context.options().get(this, TABLE);
        CalibrationTable table = file.isBlank() ? context.get(CalibrationTable.class) : CalibrationTable.read(Path.of(file));
        if (table == null) {
            throw new KilnException("quantize-int8 needs a calibration table: calibrate first (kiln compile --precision int8"
                    + " --calibration DATA.npz) or name one with quantize-int8{table=FILE}");
        }
        boolean perChannel = context.options().get(this, PER_CHANNEL);
        Map<String, Value> done = new HashMap<>();
        boolean changed = false;
        for (QuantSites.Site s : QuantSites.of(graph, context.keepFp32())) {
            if (s.node().arg(s.arg()) instanceof Value v && v.producer().map(Ops::isQuantizationMarker).orElse(false)) {
                continue; // already quantized (the pass ran before, or the model came quantized)
            }
            Optional<Value> q = marker(graph, s, table, perChannel, done, context);
            if (q.isPresent()) {
                s.node().setArg(s.arg(), q.get());
                changed = true;
            }
        }
        return changed;
    }

    private static Optional<Value> marker(Graph g, QuantSites.Site s, CalibrationTable table, boolean perChannel,
                                          Map<String, Value> done, PassContext context) {
        Value v = s.value();
        boolean channels = s.perChannel() && perChannel;
        String key = v.name() + (channels ? "/channel" : "/tensor");
        Value existing = done.get(key);
        if (existing != null) {
            return Optional.of(existing);
        }
        Node q;
        if (channels) {
            ConstantTensor w = v.constant().orElseThrow();
            long c = w.sizes()[0];
            ByteBuffer scale = ConstantTensor.allocate(DType.FLOAT32, c);
            double[] amax = channelAmax(w);
            for (int k = 0; k < c; k++) {
                ElementCodec.put(DType.FLOAT32, scale, k, scaleOf(amax[k]));
            }
            Value sv = g.addConstant(g.freshName(v.name() + "_scale"), new ConstantTensor(DType.FLOAT32, new long[] {c}, scale));
            Value zv = g.addConstant(g.freshName(v.name() + "_zero_point"),
                    new ConstantTensor(DType.INT32, new long[] {c}, ConstantTensor.allocate(DType.INT32, c)));
            q = Ops.insertBefore(s.node(), "aten::fake_quantize_per_channel_affine",
                    List.of(v, sv, zv, new Arg.IntLit(0), new Arg.IntLit(QMIN), new Arg.IntLit(QMAX)), Map.of(), v.type());
        } else {
            double amax;
            if (v.constant().isPresent()) {
                amax = absMax(v.constant().get());
            } else {
                Optional<Double> measured = table.amaxOf(v.name());
                if (measured.isEmpty()) {
                    context.note(s.node().describe() + ": operand %" + v.name() + " stays float: the calibration table has"
                            + " no range for it (calibrate this graph again)");
                    return Optional.empty();
                }
                amax = measured.get();
            }
            if (amax == 0) {
                context.note(s.node().describe() + ": operand %" + v.name() + " stays float: it was 0 in every"
                        + " calibration batch");
                return Optional.empty();
            }
            q = Ops.insertBefore(s.node(), "aten::fake_quantize_per_tensor_affine",
                    List.of(v, new Arg.FloatLit(scaleOf(amax)), new Arg.IntLit(0), new Arg.IntLit(QMIN), new Arg.IntLit(QMAX)),
                    Map.of(), v.type());
        }
        Ops.rename(q.output(), g.freshName(v.name() + "_q"));
        done.put(key, q.output());
        return Optional.of(q.output());
    }

    /** The int8 step for {@code amax}: symmetric, 127 levels each side; 1 for an all-zero channel (any step keeps 0). */
    static double scaleOf(double amax) {
        return amax > 0 ? amax / QMAX : 1.0;
    }

    static double absMax(ConstantTensor t) {
        double m = 0;
        for (long i = 0; i < t.numel(); i++) {
            m = Math.max(m, Math.abs(t.getDouble(i)));
        }
        return m;
    }

    /** The largest magnitude of each slice along dimension 0. */
    static double[] channelAmax(ConstantTensor w) {
        int c = (int) w.sizes()[0];
        long per = c == 0 ? 0 : w.numel() / c;
        double[] out = new double[c];
        for (long i = 0; i < w.numel(); i++) {
            int k = (int) (i / per);
            out[k] = Math.max(out[k], Math.abs(w.getDouble(i)));
        }
        return out;
    }
}
