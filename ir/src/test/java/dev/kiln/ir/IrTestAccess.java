package dev.kiln.ir;

/**
 * Test-only access to package-private mutators, to build malformed graphs the public API prevents.
 *
 * <pre>{@code IrTestAccess.forceName(value, "x"); // now two values are called %x}</pre>
 */
public final class IrTestAccess {
    private IrTestAccess() {
    }

    /** Renames {@code v} without the graph's uniqueness bookkeeping (makes duplicate names). */
    public static void forceName(Value v, String name) {
        v.rename(name);
    }
}
