package dev.kiln.passes;

import dev.kiln.ir.KilnException;

import java.util.Objects;
import java.util.function.Function;

/**
 * A typed option of a pass: key, type, default and help text. Values come from the pipeline string
 * ({@code fold-constants{max-bytes=1048576}}) or from code, through {@link PassOptions}.
 *
 * <pre>{@code static final PassOption<Long> MAX_BYTES = PassOption.ofLong("max-bytes", 1 << 20, "largest folded result");}</pre>
 */
public record PassOption<T>(String key, Class<T> type, T defaultValue, String help, Function<String, T> parser) {
    public PassOption {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(help, "help");
        Objects.requireNonNull(parser, "parser");
    }

    public static PassOption<Long> ofLong(String key, long defaultValue, String help) {
        return new PassOption<>(key, Long.class, defaultValue, help, s -> {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw new KilnException("option " + key + " must be an integer, got '" + s + "'");
            }
        });
    }

    public static PassOption<Boolean> ofBoolean(String key, boolean defaultValue, String help) {
        return new PassOption<>(key, Boolean.class, defaultValue, help, s -> {
            String t = s.trim();
            if (!t.equals("true") && !t.equals("false")) {
                throw new KilnException("option " + key + " must be true or false, got '" + s + "'");
            }
            return Boolean.parseBoolean(t);
        });
    }

    public static PassOption<String> ofString(String key, String defaultValue, String help) {
        return new PassOption<>(key, String.class, defaultValue, help, String::trim);
    }
}
