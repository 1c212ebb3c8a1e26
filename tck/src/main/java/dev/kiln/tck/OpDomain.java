package dev.kiln.tck;

import net.jqwik.api.Arbitrary;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a conformance test claims for one converter: its name (the exact op overload, as the registry
 * knows it), the generator of static cases and optionally of dynamic-shape cases, the tolerance, and
 * notes on any narrowing of the domain (each a sentence saying why). A domain that cannot become an
 * engine on its own (an op without tensor inputs or outputs) is {@link #checkOnly}: the kit then checks
 * {@code check}, its reasons and the partitioner, and says so in the summary.
 *
 * <pre>{@code OpDomain.of("aten::relu", Gen.unary(Gen.FLOATS)).dynamicBatch()}</pre>
 */
public record OpDomain(String name, Arbitrary<OpCase> cases, Optional<Arbitrary<OpCase>> dynamicCases, Tolerance tolerance,
                       Optional<String> checkOnly, List<String> notes, boolean symbolicOnly) {

    public OpDomain {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(cases, "cases");
        notes = List.copyOf(notes);
    }

    public static OpDomain of(String name, Arbitrary<OpCase> cases) {
        return new OpDomain(name, cases, Optional.empty(), Tolerance.DEFAULT, Optional.empty(), List.of(), false);
    }

    /** Dynamic cases from their own generator (inputs carry {@link TensorSpec#dynamic} axes). */
    public OpDomain dynamic(Arbitrary<OpCase> dyn) {
        return new OpDomain(name, cases, Optional.of(dyn), tolerance, checkOnly, notes, symbolicOnly);
    }

    /**
     * Dynamic cases from the static ones, with dimension 0 symbolic in the first input and in every
     * other input of the same rank and the same size there (one shared symbol). Derived cases that
     * libtorch rejects somewhere in the profile (a literal size that no longer fits) are skipped and counted.
     */
    public OpDomain dynamicBatch() {
        return dynamic(cases.map(Gen::batchDynamic));
    }

    public OpDomain tolerance(Tolerance t) {
        return new OpDomain(name, cases, dynamicCases, t, checkOnly, notes, symbolicOnly);
    }

    /**
     * Every case, static ones included, is built with its marked axes symbolic: for cases whose graph
     * input only feeds sizes ({@code zeros([sym_size(x, 0)])}), which with static shapes would leave the
     * engine an unused input.
     */
    public OpDomain allSymbolic() {
        return new OpDomain(name, cases, Optional.of(dynamicCases.orElse(cases)), tolerance, checkOnly, notes, true);
    }

    /** Only {@code check} and the partitioner are checked, for the given reason. */
    public OpDomain checkOnly(String reason) {
        return new OpDomain(name, cases, dynamicCases, tolerance, Optional.of(reason), notes, symbolicOnly);
    }

    /** Records a narrowing of the claimed domain and why. */
    public OpDomain note(String why) {
        List<String> n = new ArrayList<>(notes);
        n.add(why);
        return new OpDomain(name, cases, dynamicCases, tolerance, checkOnly, n, symbolicOnly);
    }
}
