package dev.kiln.compiler;

import dev.kiln.frontend.fx.Pt2Loader;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;

import java.nio.file.Path;

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
        ModelFormat format = ModelFormat.detect(file);
        switch (format) {
            case PT2:
                return Pt2Loader.load(file);
            case TORCHSCRIPT:
                throw new KilnException(file + ": is a TorchScript archive; TorchScript support lands with frontend-torchscript");
            default:
                throw new KilnException(file + ": is neither a torch.export program (.pt2, from torch.export.save) nor a "
                        + "TorchScript archive (torch.jit.save); save the model with one of those");
        }
    }
}
