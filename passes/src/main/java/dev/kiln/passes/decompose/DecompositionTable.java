package dev.kiln.passes.decompose;

import dev.kiln.ir.KilnException;

import java.util.Collection;
import java.util.Collections;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Decompositions by op: the standard table holds every {@link Decomposition} on the class path
 * (Kiln's and third parties' {@code @AutoService(Decomposition.class)}); a custom table is built with
 * {@link #with} and handed to the {@code decompose} pass through the context
 * ({@code ctx.put(DecompositionTable.class, table)}). Frozen once built; ordered by op name.
 *
 * <pre>{@code DecompositionTable t = DecompositionTable.standard().with(new MyGeluTanh());}</pre>
 */
public final class DecompositionTable {
    private static volatile DecompositionTable standard;
    private final TreeMap<String, Decomposition> byOp;

    private DecompositionTable(TreeMap<String, Decomposition> byOp) {
        this.byOp = byOp;
    }

    public static DecompositionTable standard() {
        DecompositionTable t = standard;
        if (t == null) {
            TreeMap<String, Decomposition> m = new TreeMap<>();
            for (Decomposition d : ServiceLoader.load(Decomposition.class, DecompositionTable.class.getClassLoader())) {
                Decomposition old = m.putIfAbsent(d.op(), d);
                if (old != null && old.getClass() != d.getClass()) {
                    throw new KilnException("two decompositions for " + d.op() + ": " + old.getClass().getName()
                            + " and " + d.getClass().getName() + "; remove one or build a table with with(...)");
                }
            }
            t = new DecompositionTable(m);
            standard = t;
        }
        return t;
    }

    public static DecompositionTable empty() {
        return new DecompositionTable(new TreeMap<>());
    }

    /** A copy of this table with {@code d} added, replacing any entry for the same op. */
    public DecompositionTable with(Decomposition d) {
        TreeMap<String, Decomposition> m = new TreeMap<>(byOp);
        m.put(d.op(), d);
        return new DecompositionTable(m);
    }

    public Optional<Decomposition> find(String qualifiedOp) {
        return Optional.ofNullable(byOp.get(qualifiedOp));
    }

    public Collection<Decomposition> all() {
        return Collections.unmodifiableCollection(byOp.values());
    }
}
