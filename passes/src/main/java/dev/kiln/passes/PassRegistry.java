package dev.kiln.passes;

import dev.kiln.ir.KilnException;

import java.util.Collection;
import java.util.Collections;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The passes known by name: every {@link Pass} found by {@link ServiceLoader} (Kiln's own and any
 * third party's {@code @AutoService(Pass.class)}), frozen once built and ordered by name.
 *
 * <pre>{@code Pass dce = PassRegistry.standard().get("dce");}</pre>
 */
public final class PassRegistry {
    private static volatile PassRegistry standard;
    private final TreeMap<String, Pass> passes;

    private PassRegistry(TreeMap<String, Pass> passes) {
        this.passes = passes;
    }

    /** Every pass on the class path of this class's loader (loaded once). */
    public static PassRegistry standard() {
        PassRegistry r = standard;
        if (r == null) {
            r = load(PassRegistry.class.getClassLoader());
            standard = r;
        }
        return r;
    }

    /** Every pass {@code loader} can see. Two passes with one name are an error naming both classes. */
    public static PassRegistry load(ClassLoader loader) {
        TreeMap<String, Pass> m = new TreeMap<>();
        for (Pass p : ServiceLoader.load(Pass.class, loader)) {
            register(m, p);
        }
        return new PassRegistry(m);
    }

    /** A registry of exactly {@code passes} (tests, embedders). */
    public static PassRegistry of(Pass... passes) {
        TreeMap<String, Pass> m = new TreeMap<>();
        for (Pass p : passes) {
            register(m, p);
        }
        return new PassRegistry(m);
    }

    private static void register(TreeMap<String, Pass> m, Pass p) {
        if (!p.name().matches("[a-z][a-z0-9]*(-[a-z0-9]+)*")) {
            throw new KilnException("pass " + p.getClass().getName() + " has name '" + p.name()
                    + "', which is not kebab-case (e.g. fold-constants)");
        }
        Pass old = m.putIfAbsent(p.name(), p);
        if (old != null && old.getClass() != p.getClass()) {
            throw new KilnException("two passes are named '" + p.name() + "': " + old.getClass().getName()
                    + " and " + p.getClass().getName() + "; rename one");
        }
    }

    public Optional<Pass> find(String name) {
        return Optional.ofNullable(passes.get(name));
    }

    /** The pass called {@code name}; the error lists the known names. */
    public Pass get(String name) {
        Pass p = passes.get(name);
        if (p == null) {
            throw new KilnException("unknown pass '" + name + "'; known passes: " + String.join(", ", passes.keySet())
                    + " (third-party passes register with @AutoService(Pass.class))");
        }
        return p;
    }

    /** All passes, ordered by name. */
    public Collection<Pass> all() {
        return Collections.unmodifiableCollection(passes.values());
    }

    /** One line per pass with its description and options, for {@code kiln opt --list}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (Pass p : passes.values()) {
            sb.append(String.format("%-20s %s%n", p.name(), p.description()));
            for (PassOption<?> o : p.options()) {
                sb.append(String.format("    {%s=%s}  %s%n", o.key(), o.defaultValue(), o.help()));
            }
        }
        return sb.toString();
    }
}
