package dev.kiln.backend.tensorrt;

import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The converters Kiln knows, by exact op overload, frozen once built. {@link #standard()} holds every
 * converter found with {@link ServiceLoader} (Kiln's own and third parties' on the class path). The
 * partitioner and the network builder both ask {@link #lookup}, so "can convert" and "did convert"
 * never disagree.
 *
 * <pre>{@code Lookup l = ConverterRegistry.standard().lookup(node, settings); if (l.converter().isEmpty()) log(l.reason());}</pre>
 */
public final class ConverterRegistry {
    private static volatile ConverterRegistry standard;

    /** Converters per op, highest priority first (ties broken by class name, so the order is stable). */
    private final Map<String, List<OpConverter>> byOp;

    private ConverterRegistry(Map<String, List<OpConverter>> byOp) {
        this.byOp = byOp;
    }

    /** Every converter on the class path, loaded once. */
    public static ConverterRegistry standard() {
        ConverterRegistry r = standard;
        if (r == null) {
            synchronized (ConverterRegistry.class) {
                r = standard;
                if (r == null) {
                    r = builder().addServiceLoaded(ConverterRegistry.class.getClassLoader()).build();
                    standard = r;
                }
            }
        }
        return r;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The result of asking for a converter: the chosen one, or why none applies. */
    public record Lookup(Optional<OpConverter> converter, String reason) {
        public boolean supported() {
            return converter.isPresent();
        }
    }

    /** The highest-priority converter for {@code node}'s op whose check passes, or every refusal reason. */
    public Lookup lookup(Node node, ConverterSettings settings) {
        List<OpConverter> candidates = byOp.get(node.op());
        if (candidates == null) {
            if (dev.kiln.ir.ControlFlow.isCond(node) || dev.kiln.ir.ControlFlow.isLoop(node)) {
                return new Lookup(Optional.empty(), "no TensorRT converter for " + node.op() + ": control flow decided at"
                        + " run time (a " + (dev.kiln.ir.ControlFlow.isLoop(node) ? "loop" : "branch") + ") runs in libtorch,"
                        + " its nested graph node by node (docs/hybrid.md)");
            }
            return new Lookup(Optional.empty(), "no TensorRT converter for " + node.op());
        }
        List<String> reasons = new ArrayList<>();
        for (OpConverter c : candidates) {
            Support s;
            try {
                s = c.check(node, settings);
            } catch (KilnException e) {
                s = Support.no(e.getMessage());
            } catch (RuntimeException e) {
                // a converter bug must not take the compile down: report it as a refusal naming the converter
                s = Support.no(c.getClass().getName() + ".check failed: " + e);
            }
            if (s.isSupported()) {
                return new Lookup(Optional.of(c), "");
            }
            reasons.add(s.reason());
        }
        return new Lookup(Optional.empty(), String.join("; ", reasons));
    }

    /** Converters for {@code op}, highest priority first. */
    public List<OpConverter> forOp(String op) {
        return byOp.getOrDefault(op, List.of());
    }

    /** Ops with at least one converter, sorted. */
    public List<String> ops() {
        return List.copyOf(byOp.keySet());
    }

    public int size() {
        return byOp.values().stream().mapToInt(List::size).sum();
    }

    /** One line per converter: op, priority, class, flags and limits (what {@code kiln converters} prints). */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, List<OpConverter>> e : byOp.entrySet()) {
            for (OpConverter c : e.getValue()) {
                out.add(e.getKey() + "  priority=" + c.priority() + "  dynamic=" + c.supportsDynamicShapes()
                        + "  dtypes=" + c.supportedDTypes() + "  " + c.getClass().getName()
                        + (c.limits().isEmpty() ? "" : "  limits: " + c.limits()));
            }
        }
        return out;
    }

    /** Collects converters, then freezes them into a registry. */
    public static final class Builder {
        private final List<OpConverter> converters = new ArrayList<>();

        public Builder add(OpConverter c) {
            String op = c.op();
            if (op == null || !op.contains("::")) {
                throw new KilnException("converter " + c.getClass().getName() + " names no qualified op (got '" + op
                        + "'); return an exact overload such as aten::relu or aten::add.Tensor");
            }
            converters.add(c);
            return this;
        }

        public Builder addServiceLoaded(ClassLoader loader) {
            ServiceLoader<OpConverter> sl = ServiceLoader.load(OpConverter.class, loader);
            for (ServiceLoader.Provider<OpConverter> p : sl.stream().toList()) {
                add(p.get());
            }
            return this;
        }

        public ConverterRegistry build() {
            Map<String, List<OpConverter>> byOp = new TreeMap<>();
            for (OpConverter c : converters) {
                byOp.computeIfAbsent(c.op(), k -> new ArrayList<>()).add(c);
            }
            Comparator<OpConverter> order = Comparator.comparingInt(OpConverter::priority).reversed()
                    .thenComparing(c -> c.getClass().getName());
            Map<String, List<OpConverter>> frozen = new TreeMap<>();
            for (Map.Entry<String, List<OpConverter>> e : byOp.entrySet()) {
                List<OpConverter> l = new ArrayList<>(e.getValue());
                l.sort(order);
                frozen.put(e.getKey(), List.copyOf(l));
            }
            return new ConverterRegistry(java.util.Collections.unmodifiableMap(frozen));
        }
    }
}
