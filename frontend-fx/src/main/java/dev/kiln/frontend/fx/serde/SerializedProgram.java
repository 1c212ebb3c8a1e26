package dev.kiln.frontend.fx.serde;

import dev.kiln.ir.KilnException;
import dev.kiln.ir.Symbol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The top of a serialized {@code ExportedProgram} (export schema major 8): its version, the graph
 * and signature (as {@link Json} cursors for the importer), the symbol ranges and which IR it holds
 * ({@code TRAINING} from {@code export()}, {@code ATEN} after {@code run_decompositions()}).
 *
 * <pre>{@code SerializedProgram p = SerializedProgram.read(Json.parse(text, "model.pt2: entry 'm/models/model.json'"));}</pre>
 *
 * @param major           schema major version (always {@link #SUPPORTED_MAJOR})
 * @param minor           schema minor version; older minors lack some fields
 * @param torchVersion    the torch that wrote it, or empty
 * @param verifiers       {@code TRAINING}, {@code ATEN}, ...
 * @param graph           {@code graph_module.graph}
 * @param signature       {@code graph_module.signature}
 * @param ranges          {@code range_constraints} as symbols, in document order
 * @param outSpec         the pytree spec of what {@code forward()} returned ({@code module_call_graph}'s root
 *                        entry's {@code out_spec}, torch's JSON text), or empty
 */
public record SerializedProgram(int major, int minor, String torchVersion, List<String> verifiers, Json graph,
                                Json signature, Map<String, Symbol> ranges, Optional<String> outSpec) {
    /** The export schema major version this reader understands (torch 2.6 to 2.11). */
    public static final int SUPPORTED_MAJOR = 8;

    /** Reads and checks the top level; a different major version is refused naming both. */
    public static SerializedProgram read(Json root) {
        int major = SUPPORTED_MAJOR;
        int minor = 0;
        var version = root.optField("schema_version");
        if (version.isPresent()) {
            major = version.get().field("major").smallInt();
            minor = version.get().optField("minor").map(Json::smallInt).orElse(0);
        }
        if (major != SUPPORTED_MAJOR) {
            throw version.get().error("the program uses export schema version " + major + "." + minor
                    + " but Kiln reads version " + SUPPORTED_MAJOR + ".x (torch 2.6 to 2.11); export it with a torch of that range");
        }
        String torch = root.optField("torch_version").map(Json::string).orElse("");
        List<String> verifiers = new ArrayList<>();
        root.optField("verifiers").ifPresent(v -> v.list().forEach(x -> verifiers.add(x.string())));
        root.optField("dialect").ifPresent(d -> verifiers.add(d.string())); // older minors
        Json gm = root.field("graph_module");
        Map<String, Symbol> ranges = new LinkedHashMap<>();
        root.optField("range_constraints").ifPresent(rc -> rc.members().forEach((name, r) -> {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                return; // a range on an expression of symbols: implied by the symbols' own ranges
            }
            long min = r.optField("min_val").map(SerializedProgram::bound).orElse(0L);
            long max = r.optField("max_val").map(SerializedProgram::bound).orElse(Symbol.UNBOUNDED);
            try {
                ranges.put(name, new Symbol(name, Math.max(min, 0), max));
            } catch (KilnException e) {
                throw r.error(e.getMessage());
            }
        }));
        Optional<String> outSpec = gm.optField("module_call_graph").stream().flatMap(c -> c.list().stream())
                .filter(e -> e.optField("fqn").map(Json::string).orElse("").isEmpty())
                .flatMap(e -> e.optField("signature").flatMap(sig -> sig.optField("out_spec")).stream())
                .map(Json::string).findFirst();
        return new SerializedProgram(major, minor, torch, List.copyOf(verifiers), gm.field("graph"),
                gm.field("signature"), ranges, outSpec);
    }

    /** A bound: an integer, or infinity (a huge number or "Infinity") as unbounded. */
    private static long bound(Json j) {
        if (j.isString()) {
            double d = j.number();
            if (Double.isInfinite(d)) {
                return d > 0 ? Symbol.UNBOUNDED : 0;
            }
            throw j.error("expected an integer bound");
        }
        try {
            return j.integer();
        } catch (KilnException e) {
            double d = j.number();
            if (d >= 9.2e18) {
                return Symbol.UNBOUNDED;
            }
            throw e;
        }
    }
}
