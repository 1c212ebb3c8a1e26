package dev.kiln.quantization;

import dev.kiln.ir.KilnException;

import java.util.Locale;

/**
 * How calibration turns a tensor's observed magnitudes into the {@code amax} that int8's 127 stands for
 * ({@link RangeHistogram#amax}): {@code max} keeps every value representable and spends resolution on outliers;
 * {@code percentile} clips the rarest magnitudes; {@code entropy} (TensorRT's default calibrator) clips where the
 * int8 distribution loses the least information.
 */
public enum CalibrationMethod {
    MAX, PERCENTILE, ENTROPY;

    /** The lower-case name used on the command line and in calibration tables. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static CalibrationMethod parse(String text) {
        for (CalibrationMethod m : values()) {
            if (m.text().equals(text.strip().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new KilnException("unknown calibration method '" + text + "'; use max, percentile or entropy");
    }
}
