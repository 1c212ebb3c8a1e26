package dev.kiln.passes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Per-compile state that passes read and write: option values, the precision target, the names of
 * ops and nodes the user wants kept in FP32, diagnostics, and typed scratch entries that one pass
 * leaves for a later one. Passes hold no state of their own; this does.
 *
 * <pre>{@code PassContext ctx = PassContext.builder().precision(Precision.FP16).build();}</pre>
 */
public final class PassContext {
    private final PassOptions options;
    private final Precision precision;
    private final Set<String> keepFp32;
    private final List<String> diagnostics = new ArrayList<>();
    private final Map<Class<?>, Object> scratch = new LinkedHashMap<>();
    private PassOptions stepOptions;

    private PassContext(Builder b) {
        this.options = b.options;
        this.precision = b.precision;
        this.keepFp32 = Collections.unmodifiableSet(new TreeSet<>(b.keepFp32));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A context with defaults: FP32, no options. */
    public static PassContext defaults() {
        return builder().build();
    }

    /** Option values: those of the running pipeline step over the compile-wide ones. */
    public PassOptions options() {
        return stepOptions != null ? stepOptions : options;
    }

    /** The {@link PassManager} sets the options of the pipeline step it runs (null to clear). */
    void setStepOptions(PassOptions o) {
        this.stepOptions = o;
    }

    public Precision precision() {
        return precision;
    }

    /** Op names ({@code aten::softmax}) and node names the user asked to keep in FP32. */
    public Set<String> keepFp32() {
        return keepFp32;
    }

    /** Records a note for the user (a skipped fold, a kept FP32 island, ...). */
    public void note(String message) {
        diagnostics.add(Objects.requireNonNull(message));
    }

    public List<String> diagnostics() {
        return Collections.unmodifiableList(diagnostics);
    }

    /** Scratch state shared between passes of one compile, by type. */
    public <T> T get(Class<T> type) {
        return type.cast(scratch.get(type));
    }

    public <T> void put(Class<T> type, T value) {
        scratch.put(type, value);
    }

    /** Builds a {@link PassContext}. */
    public static final class Builder {
        private PassOptions options = new PassOptions();
        private Precision precision = Precision.FP32;
        private final Set<String> keepFp32 = new TreeSet<>();

        public Builder options(PassOptions o) {
            this.options = Objects.requireNonNull(o);
            return this;
        }

        public Builder precision(Precision p) {
            this.precision = Objects.requireNonNull(p);
            return this;
        }

        public Builder keepFp32(String opOrNodeName) {
            keepFp32.add(opOrNodeName);
            return this;
        }

        public PassContext build() {
            return new PassContext(this);
        }
    }
}
