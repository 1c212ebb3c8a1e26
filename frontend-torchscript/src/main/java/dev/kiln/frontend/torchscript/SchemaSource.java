package dev.kiln.frontend.torchscript;

import dev.kiln.ir.schema.OpSchema;

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

    /** A source that knows nothing: every schema comes from libtorch itself. */
    static SchemaSource libtorchOnly() {
        return name -> Optional.empty();
    }
}
