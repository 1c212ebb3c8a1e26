package dev.kiln.frontend.fx;

import dev.kiln.frontend.fx.archive.ZipLimits;
import dev.kiln.frontend.fx.importer.ProgramImporter;
import dev.kiln.frontend.fx.serde.Json;
import dev.kiln.frontend.fx.serde.SerializedProgram;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;

import java.nio.file.Path;

/**
 * Loads a {@code torch.export.save} file ({@code .pt2}, torch 2.6 to 2.11, training IR or core
 * ATen) into an IR {@link Graph}, in pure Java. Weights stay in the file's memory mapping. Every
 * problem with the file is a {@link KilnException} naming the file, the entry and what is wrong.
 *
 * <pre>{@code Graph g = Pt2Loader.load(Path.of("resnet50.pt2"));}</pre>
 */
public final class Pt2Loader {
    private Pt2Loader() {
    }

    /** Loads the program called {@code model} (or the only one) with the default limits. */
    public static Graph load(Path file) {
        return load(file, ZipLimits.DEFAULT);
    }

    /** Loads with explicit limits against hostile archives. */
    public static Graph load(Path file, ZipLimits limits) {
        try (Pt2Archive archive = Pt2Archive.open(file, null, limits)) {
            SerializedProgram program = SerializedProgram.read(Json.parse(archive.programJson(), archive.programWhere()));
            Graph g = ProgramImporter.importProgram(program, archive.weights(), archive.constants(), graphName(file));
            g.attributes().put("source", String.valueOf(file.getFileName()));
            g.attributes().put("format", "pt2");
            g.attributes().put("layout", archive.layout().description());
            return g;
        } catch (KilnException e) {
            throw e;
        } catch (RuntimeException e) {
            // a last line of defence: a bug here must still reach the user as one clear line
            throw new KilnException(file + ": internal error while reading the program (" + e
                    + "); please report it with the file", e);
        }
    }

    private static String graphName(Path file) {
        String n = String.valueOf(file.getFileName());
        int dot = n.indexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
