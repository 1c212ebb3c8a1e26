package dev.kiln.passes;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Option values for passes, keyed by {@code pass-name.option-key} (or bare option key, applying to
 * every pass that declares it). Unset options read as their defaults.
 *
 * <pre>{@code long cap = ctx.options().get(this, MAX_BYTES);}</pre>
 */
public final class PassOptions {
    private final Map<String, String> values = new TreeMap<>();

    public PassOptions set(String key, String value) {
        values.put(key, value);
        return this;
    }

    /** The value of {@code option} for {@code pass}: {@code pass.key}, then {@code key}, then the default. */
    public <T> T get(Pass pass, PassOption<T> option) {
        String v = values.get(pass.name() + "." + option.key());
        if (v == null) {
            v = values.get(option.key());
        }
        return v == null ? option.defaultValue() : option.parser().apply(v);
    }

    /** A copy of these values with {@code passName.key=value} set for each of {@code stepValues}. */
    public PassOptions overlay(String passName, Map<String, String> stepValues) {
        PassOptions o = new PassOptions();
        o.values.putAll(values);
        for (Map.Entry<String, String> e : stepValues.entrySet()) {
            o.values.put(passName + "." + e.getKey(), e.getValue());
        }
        return o;
    }

    public Map<String, String> asMap() {
        return Collections.unmodifiableMap(values);
    }
}
