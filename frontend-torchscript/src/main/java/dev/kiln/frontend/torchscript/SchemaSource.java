package dev.kiln.frontend.torchscript;

import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaRegistry;

import java.util.Optional;

/**
 * Where the TorchScript frontend looks up the exact operator overload of each node, by qualified
 * name ({@code aten::add.Tensor}, {@code aten::relu}). Normally the standard schema registry; an
 * overload it lacks falls back to the schema libtorch matched the node to.
 *
 * <pre>{@code SchemaSource none = name -> Optional.empty(); // take every schema from libtorch}</pre>
 */
@FunctionalInterface
public interface SchemaSource {
    /** The schema of {@code qualifiedName}, if known. */
    Optional<OpSchema> find(String qualifiedName);

    /** The standard registry (every aten:: and prim:: schema of libtorch 2.5.1). */
    static SchemaSource standard() {
        return of(SchemaRegistry.standard());
    }

    /** Looks overloads up in {@code registry}. */
    static SchemaSource of(SchemaRegistry registry) {
        return qualified -> {
            int colon = qualified.indexOf("::");
            int dot = qualified.indexOf('.', colon < 0 ? 0 : colon);
            return dot < 0 ? registry.find(qualified, "") : registry.find(qualified.substring(0, dot), qualified.substring(dot + 1));
        };
    }

    /** A source that knows nothing: every schema comes from libtorch itself. */
    static SchemaSource libtorchOnly() {
        return name -> Optional.empty();
    }
}
