package dev.kiln.compiler;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.InputFiles;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.npy.Npz;
import dev.kiln.quantization.CalibrationMethod;
import dev.kiln.quantization.CalibrationTable;
import dev.kiln.quantization.Calibrator;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Int8 post-training quantization of a compile: where the calibration ranges come from, either calibration data (an
 * {@code .npz} of inputs {@code x0, x1, ...} whose first dimension holds the samples, cut into batches of the model's
 * static batch size, or of {@code batchSize} rows when the batch is symbolic) or a calibration table an earlier
 * compile wrote; with data and a table, the table is written. Convolutions, linear layers and matrix products get
 * int8 markers ({@code quantize-int8}); everything else keeps the compile's precision.
 *
 * <pre>{@code CompileSettings.defaults().withPrecision(Precision.FP16)
 *         .withInt8(Int8Settings.calibrate(Path.of("calib.npz")).withTable(Path.of("calib.json")))}</pre>
 */
public record Int8Settings(Optional<Path> calibrationData, Optional<Path> table, CalibrationMethod method, double percentile,
                           int batchSize) {
    public static final double DEFAULT_PERCENTILE = 99.99;
    public static final int DEFAULT_BATCH = 8;

    public Int8Settings {
        if (calibrationData.isEmpty() && table.isEmpty()) {
            throw new KilnException("int8 needs calibration data (--calibration DATA.npz) or a calibration table an earlier compile"
                    + " wrote (--calibration-table FILE)");
        }
        if (!(percentile > 0 && percentile <= 100)) {
            throw new KilnException("calibration percentile must be in (0, 100], got " + percentile);
        }
        if (batchSize < 1) {
            throw new KilnException("calibration batch size must be at least 1, got " + batchSize);
        }
    }

    /** Calibrate on {@code npz} with the entropy method. */
    public static Int8Settings calibrate(Path npz) {
        return new Int8Settings(Optional.of(npz), Optional.empty(), CalibrationMethod.ENTROPY, DEFAULT_PERCENTILE, DEFAULT_BATCH);
    }

    /** Use the ranges of a table an earlier compile wrote. */
    public static Int8Settings fromTable(Path table) {
        return new Int8Settings(Optional.empty(), Optional.of(table), CalibrationMethod.ENTROPY, DEFAULT_PERCENTILE, DEFAULT_BATCH);
    }

    /** With data: where to write the table; without: where to read it. */
    public Int8Settings withTable(Path file) {
        return new Int8Settings(calibrationData, Optional.ofNullable(file), method, percentile, batchSize);
    }

    public Int8Settings withMethod(CalibrationMethod m) {
        return new Int8Settings(calibrationData, table, m, percentile, batchSize);
    }

    public Int8Settings withPercentile(double p) {
        return new Int8Settings(calibrationData, table, method, p, batchSize);
    }

    public Int8Settings withBatchSize(int rows) {
        return new Int8Settings(calibrationData, table, method, percentile, rows);
    }

    /**
     * The ranges for {@code g} (the graph as the passes before {@code precision} left it): calibrated on the data with
     * libtorch on the CPU, and written to the table when one is named; or read from the table.
     */
    public CalibrationTable rangesFor(Graph g, Set<String> skip) {
        if (calibrationData.isEmpty()) {
            return CalibrationTable.read(InputFiles.require(table.orElseThrow(), "calibration table"));
        }
        Path data = InputFiles.require(calibrationData.get(), "calibration data file");
        CalibrationTable t = Calibrator.calibrate(g, batches(Npz.read(data), g, batchSize, data.toString()), method, percentile, skip);
        table.ifPresent(t::write);
        return t;
    }

    /**
     * The calibration batches in {@code npz}: {@code x0, x1, ...}, one per graph input, cut along their first dimension
     * into batches of the graph's static batch size (or {@code rows} where it is symbolic); rows left over are dropped.
     */
    static List<List<ConstantTensor>> batches(Map<String, ConstantTensor> npz, Graph g, int rows, String origin) {
        List<ConstantTensor> xs = Npz.series(npz, "x", origin);
        if (xs.size() != g.inputs().size()) {
            throw new KilnException(origin + ": holds " + xs.size() + " inputs (x0, x1, ...) but the model takes " + g.inputs().size());
        }
        long samples = -1;
        long per = rows;
        for (int i = 0; i < xs.size(); i++) {
            ConstantTensor x = xs.get(i);
            if (x.rank() == 0) {
                throw new KilnException(origin + ": x" + i + " is a scalar; calibration data holds samples along the first dimension");
            }
            if (samples >= 0 && x.sizes()[0] != samples) {
                throw new KilnException(origin + ": x" + i + " has " + x.sizes()[0] + " rows but x0 has " + samples
                        + "; every input needs the same number of samples");
            }
            samples = x.sizes()[0];
            Value in = g.inputs().get(i);
            if (in.type() instanceof TensorType t && t.rank() > 0 && t.shape().dim(0) instanceof SymExpr.Const c) {
                per = c.value();
            }
        }
        long n = samples / per;
        if (n < 1) {
            throw new KilnException(origin + ": holds " + samples + " samples, fewer than one batch of " + per
                    + "; give at least " + per + " rows");
        }
        List<List<ConstantTensor>> out = new ArrayList<>();
        for (long b = 0; b < n; b++) {
            List<ConstantTensor> batch = new ArrayList<>();
            for (ConstantTensor x : xs) {
                batch.add(rows(x, b * per, per));
            }
            out.add(batch);
        }
        return out;
    }

    /** Rows [from, from + count) of {@code t} along its first dimension, copied. */
    static ConstantTensor rows(ConstantTensor t, long from, long count) {
        long[] sizes = t.sizes();
        long rowBytes = sizes[0] == 0 ? 0 : t.byteSize() / sizes[0];
        sizes[0] = count;
        ByteBuffer src = t.data();
        src.position((int) (from * rowBytes)).limit((int) ((from + count) * rowBytes));
        ByteBuffer out = ConstantTensor.allocate(t.dtype(), sizes);
        out.put(src).flip();
        return new ConstantTensor(t.dtype(), sizes, out);
    }

    /** For messages: where the ranges come from. */
    String describe() {
        return calibrationData.map(d -> "calibrated on " + d + " (" + method.text() + ")").orElse("")
                + table.map(t -> (calibrationData.isPresent() ? ", table written to " : "ranges from ") + t).orElse("");
    }
}
