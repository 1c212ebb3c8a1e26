package dev.kiln.compiler;

import dev.kiln.frontend.fx.Pt2Archive;
import dev.kiln.frontend.fx.archive.ZipArchive;
import dev.kiln.frontend.fx.archive.ZipEntry;
import dev.kiln.frontend.fx.archive.ZipLimits;
import dev.kiln.ir.KilnException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kind of model file, told from the archive's contents (never from its name):
 * a torch.export program ({@code .pt2}, any layout), a TorchScript archive ({@code torch.jit.save}),
 * or something else.
 *
 * <pre>{@code if (ModelFormat.detect(path) == ModelFormat.PT2) { ... }}</pre>
 */
public enum ModelFormat {
    /** {@code torch.export.save}: a PT2 archive or the flat torch 2.6-2.7 layout. */
    PT2("pt2"),
    /** {@code torch.jit.save}: {@code <root>/data.pkl} with {@code <root>/code/} or {@code constants.pkl}. */
    TORCHSCRIPT("torchscript"),
    /** Not a zip, or a zip of neither kind. */
    UNKNOWN("unknown");

    private final String id;

    ModelFormat(String id) {
        this.id = id;
    }

    /** The name used in {@code kiln inspect}'s output: {@code pt2}, {@code torchscript}. */
    public String id() {
        return id;
    }

    /** Looks inside {@code file}; a missing or unreadable file is a {@link KilnException}, a non-zip is {@link #UNKNOWN}. */
    public static ModelFormat detect(Path file) {
        dev.kiln.ir.InputFiles.require(file, "file");
        ZipArchive zip;
        try {
            zip = ZipArchive.open(file, ZipLimits.DEFAULT);
        } catch (KilnException e) {
            if (!Files.isReadable(file)) {
                throw e;
            }
            return UNKNOWN; // not a zip (or a broken one): neither frontend can read it
        }
        try (zip) {
            if (Pt2Archive.recognizes(zip)) {
                return PT2;
            }
            for (ZipEntry e : zip.entries()) {
                String n = e.name();
                int slash = n.indexOf('/');
                if (slash <= 0) {
                    continue;
                }
                String rest = n.substring(slash + 1);
                if (rest.equals("constants.pkl") || rest.startsWith("code/")) {
                    return TORCHSCRIPT;
                }
            }
            return UNKNOWN;
        }
    }
}
