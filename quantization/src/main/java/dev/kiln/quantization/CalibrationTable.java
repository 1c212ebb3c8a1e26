package dev.kiln.quantization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.ir.AtomicFile;
import dev.kiln.ir.KilnException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What calibration measured: for each calibrated value of a graph (by its IR name), the magnitude int8's 127
 * stands for. Saved as JSON, like TensorRT's calibration cache, so that a model is calibrated once and compiled
 * again without the calibration data:
 *
 * <pre>
 * {"format": "kiln-calibration", "format_version": 1, "method": "entropy", "percentile": 99.99, "batches": 8,
 *  "amax": {"relu_1": 4.53, "flatten": 2.08}}
 * </pre>
 */
public record CalibrationTable(CalibrationMethod method, double percentile, int batches, Map<String, Double> amax) {
    public static final String FORMAT = "kiln-calibration";
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public CalibrationTable {
        amax = Collections.unmodifiableMap(new LinkedHashMap<>(amax));
        for (Map.Entry<String, Double> e : amax.entrySet()) {
            if (!(e.getValue() >= 0) || e.getValue().isInfinite()) {
                throw new KilnException("calibration table: %" + e.getKey() + " has amax " + e.getValue()
                        + "; each must be a finite number >= 0");
            }
        }
    }

    /** The amax measured for value {@code name}, if calibration saw it. */
    public Optional<Double> amaxOf(String name) {
        return Optional.ofNullable(amax.get(name));
    }

    /** Writes the table through a temp file and an atomic rename. */
    public void write(Path file) {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT).put("format_version", FORMAT_VERSION).put("method", method.text())
                .put("percentile", percentile).put("batches", batches);
        ObjectNode a = o.putObject("amax");
        amax.forEach(a::put);
        AtomicFile.write(file, "the calibration table", out -> JSON.writer().without(
                com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET).writeValue(out, o));
    }

    /** Reads a table {@link #write} wrote; anything else is a {@link KilnException} naming the file. */
    public static CalibrationTable read(Path file) {
        JsonNode o;
        try {
            o = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new KilnException(file + ": is not a calibration table (not valid JSON: " + e.getOriginalMessage()
                    + "); write one with `kiln compile MODEL --precision int8 --calibration DATA.npz`", e);
        } catch (IOException e) {
            throw new KilnException(file + ": cannot read the calibration table: " + e.getMessage(), e);
        }
        if (o == null || !FORMAT.equals(o.path("format").asText())) {
            throw new KilnException(file + ": is not a calibration table (no \"format\": \"" + FORMAT + "\")");
        }
        int v = o.path("format_version").asInt(-1);
        if (v < 1 || v > FORMAT_VERSION) {
            throw new KilnException(file + ": calibration table format_version " + o.path("format_version")
                    + " is not one this Kiln reads (1 to " + FORMAT_VERSION + "); calibrate again with this Kiln");
        }
        Map<String, Double> amax = new LinkedHashMap<>();
        o.path("amax").fields().forEachRemaining(e -> {
            if (!e.getValue().isNumber()) {
                throw new KilnException(file + ": amax of %" + e.getKey() + " is not a number");
            }
            amax.put(e.getKey(), e.getValue().asDouble());
        });
        try {
            return new CalibrationTable(CalibrationMethod.parse(o.path("method").asText("")), o.path("percentile").asDouble(0),
                    o.path("batches").asInt(0), amax);
        } catch (KilnException e) {
            throw new KilnException(file + ": " + e.getMessage(), e);
        }
    }
}
