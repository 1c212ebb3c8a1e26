package dev.kiln.frontend.torchscript;

import dev.kiln.ir.KilnException;
import dev.kiln.ir.verify.Verifier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Damaged archives (bytes overwritten anywhere: zip structure, pickles, code, tensor data) either load
 * into a graph that verifies or fail with a {@link KilnException} naming the file; libtorch's C++
 * exceptions never escape raw.
 */
class MutationPropertyTest {
    private static Path dir;
    private static byte[] original;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("kiln-ts-mutation");
        original = Files.readAllBytes(Fixtures.path("mlp.scripted.pt", dir));
    }

    @AfterContainer
    static void tearDown() throws IOException {
        TorchScriptModels.deleteFolder(dir);
    }

    @Property(tries = 60, seed = "42")
    void overwrittenBytesNeverEscapeAsRawExceptions(@ForAll @IntRange(min = 0, max = 1_000_000) int where,
                                                    @ForAll @IntRange(min = 1, max = 16) int length,
                                                    @ForAll byte value) {
        byte[] mutated = original.clone();
        int start = where % mutated.length;
        for (int i = start; i < Math.min(mutated.length, start + length); i++) {
            mutated[i] = value;
        }
        Path f = dir.resolve("m" + where + "_" + length + "_" + value + ".pt");
        try {
            Files.write(f, mutated);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Verifier.verify(TorchScriptFrontend.load(f));
        } catch (KilnException e) {
            assertThat(e.getMessage()).contains(f.toString());
        }
    }
}
