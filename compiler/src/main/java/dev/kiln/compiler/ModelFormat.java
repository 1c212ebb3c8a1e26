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
 * or something else. A file that starts like a zip but cannot be opened as one is reported as truncated or damaged.
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

    /** Whether {@code file} begins with a zip's local file header ({@code PK\3\4}). */
    private static boolean startsLikeAZip(Path file) {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        } catch (java.io.IOException e) {
            return false;
        }
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
            if (startsLikeAZip(file)) {
                // both formats are zips: one that starts like a zip and does not open was cut short or damaged, which
                // the zip reader's message says (not "neither format", which sent users looking at how they saved it)
                throw e;
            }
            return UNKNOWN; // not a zip: neither frontend can read it
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
