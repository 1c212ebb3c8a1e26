package dev.kiln.compiler;

import dev.kiln.frontend.fx.Pt2Loader;
import dev.kiln.ir.Graph;
import dev.kiln.frontend.torchscript.TorchScriptFrontend;
import dev.kiln.frontend.torchscript.TorchScriptOptions;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.TensorType;

import java.nio.file.Path;
import java.util.List;

/**
 * Loads any supported model file into an IR {@link Graph}, picking the frontend from the file's
 * contents ({@link ModelFormat}).
 *
 * <pre>{@code Graph g = Models.load(Path.of("resnet50.pt2"));}</pre>
 */
public final class Models {
    private Models() {
    }

    /** The graph of {@code file}; unsupported or broken files are a {@link KilnException} naming the file. */
    public static Graph load(Path file) {
        return load(file, List.of());
    }

    /**
     * The graph of {@code file}, with {@code inputTypes} (one per tensor input, tuples flattened) typing
     * the inputs of a TorchScript model, which carries no shapes; empty leaves them unknown. A .pt2
     * program declares its own input types, so {@code inputTypes} is not used for it.
     */
    public static Graph load(Path file, List<TensorType> inputTypes) {
        ModelFormat format = ModelFormat.detect(file);
        switch (format) {
            case PT2:
                return Pt2Loader.load(file);
            case TORCHSCRIPT:
                return TorchScriptFrontend.load(file, TorchScriptOptions.defaults().withInputTypes(inputTypes));
            default:
                throw new KilnException(file + ": is neither a torch.export program (.pt2, from torch.export.save) nor a "
                        + "TorchScript archive (torch.jit.save); save the model with one of those");
        }
    }
}
