package dev.kiln.ir;

import dev.kiln.ir.npy.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicFileTest {
    @TempDir
    Path dir;

    static long filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    @Test
    void writesAndReplacesAFileAndCreatesItsFolders() throws IOException {
        Path f = dir.resolve("a/b/out.bin");
        AtomicFile.write(f, "the test file", out -> out.write(new byte[] {1, 2, 3}));
        assertThat(Files.readAllBytes(f)).containsExactly(1, 2, 3);
        ByteBuffer big = ByteBuffer.allocateDirect(300_000);
        for (int i = 0; i < big.capacity(); i++) {
            big.put(i, (byte) i);
        }
        AtomicFile.write(f, "the test file", out -> AtomicFile.put(out, big));
        byte[] back = Files.readAllBytes(f);
        assertThat(back).hasSize(300_000);
        assertThat(back[299_999]).isEqualTo((byte) 299_999);
        assertThat(big.position()).isZero(); // not consumed
        assertThat(filesIn(f.getParent())).isEqualTo(1);
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoLitter() throws IOException {
        Path f = dir.resolve("keep.npz");
        Files.writeString(f, "the user's file");
        assertThatThrownBy(() -> AtomicFile.write(f, "the .npz archive", out -> {
            out.write(new byte[100_000]);
            throw new IOException("No space left on device");
        })).isInstanceOf(KilnException.class).hasMessageContaining(f + ": cannot write the .npz archive: No space left on device");
        assertThat(Files.readString(f)).isEqualTo("the user's file");
        assertThat(filesIn(dir)).isEqualTo(1);
        // a runtime failure inside the body (a refused value) is no different
        assertThatThrownBy(() -> AtomicFile.write(f, "x", out -> {
            out.write(1);
            throw new KilnException("refused");
        })).hasMessage("refused");
        assertThat(Files.readString(f)).isEqualTo("the user's file");
        assertThat(filesIn(dir)).isEqualTo(1);
    }

    @Test
    void aFolderIsNotAFileToWrite() {
        assertThatThrownBy(() -> AtomicFile.write(dir, "the Kiln archive", out -> out.write(1)))
                .isInstanceOf(KilnException.class).hasMessageContaining("is a folder; name a file to write the Kiln archive to");
    }

    @Test
    void npzOutputsAreWrittenAtomically() throws IOException {
        Path f = dir.resolve("out.npz");
        Files.writeString(f, "old");
        Npz.write(f, Map.of("y0", ConstantTensor.ofFloats(new long[] {2}, 1f, 2f)));
        assertThat(Npz.read(f).get("y0").getDouble(1)).isEqualTo(2.0);
        assertThat(filesIn(dir)).isEqualTo(1);
    }

    @Test
    void reasonsSayWhatHappened() {
        assertThat(AtomicFile.reason(new NoSuchFileException("/x/y"))).isEqualTo("no such file or folder (/x/y)");
        assertThat(AtomicFile.reason(new AccessDeniedException("/root/f"))).isEqualTo("permission denied (/root/f)");
        assertThat(AtomicFile.reason(new IOException("disk on fire"))).isEqualTo("disk on fire");
        assertThat(AtomicFile.reason(new IOException())).isEqualTo("IOException");
    }

    @Test
    void inputFilesMustBeFilesAndAFolderIsNamedAsOne() throws IOException {
        Path f = Files.writeString(dir.resolve("m.pt2"), "x");
        assertThat(InputFiles.require(f, "model file")).isEqualTo(f);
        assertThatThrownBy(() -> InputFiles.require(dir.resolve("nope.pt2"), "model file")).isInstanceOf(KilnException.class)
                .hasMessageEndingWith("nope.pt2: no such model file");
        assertThatThrownBy(() -> InputFiles.require(dir, "model file")).isInstanceOf(KilnException.class)
                .hasMessageContaining(": is a folder, not a model file; name the file inside it");
    }

    @Test
    void readDirectReadsAWholeFileIntoNativeMemory() throws IOException {
        byte[] data = new byte[300_001];
        new java.util.Random(5).nextBytes(data);
        Path f = Files.write(dir.resolve("plan.bin"), data);
        ByteBuffer b = InputFiles.readDirect(f, "engine");
        assertThat(b.isDirect()).isTrue();
        assertThat(b.position()).isZero();
        byte[] back = new byte[b.remaining()];
        b.duplicate().get(back);
        assertThat(back).isEqualTo(data);
        assertThat(InputFiles.readDirect(Files.write(dir.resolve("empty.bin"), new byte[0]), "engine").remaining()).isZero();
        assertThatThrownBy(() -> InputFiles.readDirect(dir.resolve("none.plan"), "engine")).isInstanceOf(KilnException.class)
                .hasMessageEndingWith("none.plan: no such engine");
        assertThatThrownBy(() -> InputFiles.readDirect(dir, "engine")).hasMessageContaining("is a folder, not an engine");
    }
}
