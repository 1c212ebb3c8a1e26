package dev.kiln.backend.tensorrt;

import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;

import java.util.Arrays;

/**
 * A user's shape range for one engine input, as written on the command line: {@code x0=1x3x224x224}
 * (static), {@code x0=1..32x3x224x224} (a range, TensorRT tunes for the maximum) or
 * {@code x0=1..8..32x3x224x224} (min..opt..max), optionally with a dtype ({@code x0=1x128:i64}),
 * which only matters for TorchScript models (they do not record their input types; f32 is assumed).
 * The name is the engine's ({@code x0, x1, ...}) or the graph input's IR name.
 *
 * <pre>{@code InputSpec s = InputSpec.parse("x0=1..32x3x224x224"); s.max()[0] == 32}</pre>
 */
public record InputSpec(String name, long[] min, long[] opt, long[] max, java.util.Optional<DType> dtype) {

    public InputSpec(String name, long[] min, long[] opt, long[] max) {
        this(name, min, opt, max, java.util.Optional.empty());
    }

    public InputSpec {
        java.util.Objects.requireNonNull(dtype, "dtype");
        if (name == null || name.isBlank()) {
            throw new KilnException("input spec has no input name; write NAME=DIMS such as x0=1x3x224x224");
        }
        if (min.length != opt.length || opt.length != max.length) {
            throw new KilnException("input spec '" + name + "': min, opt and max have different ranks");
        }
        for (int i = 0; i < min.length; i++) {
            if (min[i] < 0 || !(min[i] <= opt[i] && opt[i] <= max[i])) {
                throw new KilnException("input spec '" + name + "': dimension " + i + " needs 0 <= min <= opt <= max, got "
                        + min[i] + ".." + opt[i] + ".." + max[i]);
            }
        }
        min = min.clone();
        opt = opt.clone();
        max = max.clone();
    }

    /** A static shape. */
    public static InputSpec fixed(String name, long... dims) {
        return new InputSpec(name, dims, dims, dims);
    }

    /**
     * Parses {@code NAME=D0xD1x...} where each {@code D} is {@code N}, {@code MIN..MAX} (opt = max) or
     * {@code MIN..OPT..MAX}; {@code NAME=} alone is a 0-d input.
     */
    public static InputSpec parse(String text) {
        String s = text.strip();
        int eq = s.indexOf('=');
        if (eq <= 0) {
            throw new KilnException("input spec '" + text + "' needs NAME=DIMS, e.g. x0=1x3x224x224 or x0=1..32x3x224x224");
        }
        String name = s.substring(0, eq).strip();
        String dims = s.substring(eq + 1).strip();
        java.util.Optional<DType> dtype = java.util.Optional.empty();
        int colon = dims.lastIndexOf(':');
        if (colon >= 0) {
            String t = dims.substring(colon + 1).strip();
            try {
                dtype = java.util.Optional.of(DType.parse(t));
            } catch (RuntimeException e) {
                throw new KilnException("input spec '" + text + "': unknown dtype '" + t + "'; use f32, f16, bf16, i64, i32, bool, ...");
            }
            dims = dims.substring(0, colon).strip();
        }
        if (dims.isEmpty()) {
            return new InputSpec(name, new long[0], new long[0], new long[0], dtype);
        }
        String[] parts = dims.split("[xX]", -1);
        long[] min = new long[parts.length];
        long[] opt = new long[parts.length];
        long[] max = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String[] r = parts[i].strip().split("\\.\\.", -1);
            try {
                if (r.length == 1) {
                    min[i] = opt[i] = max[i] = Long.parseLong(r[0].strip());
                } else if (r.length == 2) {
                    min[i] = Long.parseLong(r[0].strip());
                    opt[i] = max[i] = Long.parseLong(r[1].strip());
                } else if (r.length == 3) {
                    min[i] = Long.parseLong(r[0].strip());
                    opt[i] = Long.parseLong(r[1].strip());
                    max[i] = Long.parseLong(r[2].strip());
                } else {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new KilnException("input spec '" + text + "': dimension " + i + " ('" + parts[i]
                        + "') must be N, MIN..MAX or MIN..OPT..MAX with non-negative integers");
            }
        }
        return new InputSpec(name, min, opt, max, dtype);
    }

    public int rank() {
        return min.length;
    }

    /** Whether any dimension has a range. */
    public boolean isDynamic() {
        return !Arrays.equals(min, max);
    }

    @Override
    public long[] min() {
        return min.clone();
    }

    @Override
    public long[] opt() {
        return opt.clone();
    }

    @Override
    public long[] max() {
        return max.clone();
    }

    /** The command-line form: {@code x0=1..8..32x3}. */
    public String text() {
        StringBuilder b = new StringBuilder(name).append('=');
        for (int i = 0; i < min.length; i++) {
            if (i > 0) {
                b.append('x');
            }
            if (min[i] == max[i]) {
                b.append(min[i]);
            } else if (opt[i] == max[i]) {
                b.append(min[i]).append("..").append(max[i]);
            } else {
                b.append(min[i]).append("..").append(opt[i]).append("..").append(max[i]);
            }
        }
        dtype.ifPresent(t -> b.append(':').append(t.text()));
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputSpec s && s.name.equals(name) && Arrays.equals(s.min, min)
                && Arrays.equals(s.opt, opt) && Arrays.equals(s.max, max) && s.dtype.equals(dtype);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(max);
    }

    @Override
    public String toString() {
        return text();
    }
}
