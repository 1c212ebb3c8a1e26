package dev.kiln.frontend.torchscript;

import dev.kiln.ir.TensorType;

import java.util.List;
import java.util.Objects;

/**
 * Options of the TorchScript frontend: the types of the tensor inputs of {@code forward()} (tuples
 * flattened, in order; empty = unknown, since TorchScript archives carry no shapes) and where the
 * exact operator schemas come from.
 *
 * <pre>{@code TorchScriptOptions.defaults().withInputTypes(InputSpecs.fromNpz(Path.of("cnn.npz")))}</pre>
 */
public record TorchScriptOptions(List<TensorType> inputTypes, SchemaSource schemas) {
    public TorchScriptOptions {
        inputTypes = List.copyOf(inputTypes);
        Objects.requireNonNull(schemas, "schemas");
    }

    /** No input types; schemas from the standard registry. */
    public static TorchScriptOptions defaults() {
        return new TorchScriptOptions(List.of(), SchemaSource.standard());
    }

    public TorchScriptOptions withInputTypes(List<TensorType> types) {
        return new TorchScriptOptions(types, schemas);
    }

    public TorchScriptOptions withSchemas(SchemaSource source) {
        return new TorchScriptOptions(inputTypes, source);
    }
}
