package dev.kiln.frontend.fx.archive;

import dev.kiln.frontend.fx.Archives;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZipArchiveTest {
    @TempDir
    Path dir;

    @AfterEach
    void nothingLeftOpen() {
        assertThat(ZipArchive.openFiles()).isZero();
    }

    @Test
    void zip64DirectoriesAreRead() {
        // over 65535 entries: java.util.zip writes a zip64 end record
        Map<String, byte[]> e = new LinkedHashMap<>();
        for (int i = 0; i < 70_000; i++) {
            e.put("e" + i, new byte[0]);
        }
        e.put("last", "hello".getBytes(StandardCharsets.UTF_8));
        Path p = Archives.write(dir.resolve("many.zip"), Archives.zip(e, false));
        try (ZipArchive z = ZipArchive.open(p, ZipLimits.DEFAULT)) {
            assertThat(z.entries()).hasSize(70_001);
            assertThat(z.text(z.require("last"))).isEqualTo("hello");
        }
    }

    @Test
    void storedEntriesAreMappedAndDeflatedOnesInflatedOffHeap() {
        byte[] data = new byte[100_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        for (boolean deflate : new boolean[] {false, true}) {
            Path p = Archives.write(dir.resolve("d" + deflate + ".zip"), Archives.zip(Map.of("w", data), deflate));
            try (ZipArchive z = ZipArchive.open(p, ZipLimits.DEFAULT)) {
                ZipEntry w = z.require("w");
                assertThat(w.isStored()).isEqualTo(!deflate);
                ByteBuffer b = z.data(w);
                assertThat(b.isDirect()).isTrue();
                assertThat(b.isReadOnly()).isTrue();
                assertThat(b).isEqualTo(ByteBuffer.wrap(data));
            }
        }
    }

    @Test
    void metadataOverTheLimitIsRefused() {
        Path p = Archives.write(dir.resolve("m.zip"), Archives.zip(Map.of("big.json", new byte[5000]), false));
        try (ZipArchive z = ZipArchive.open(p, new ZipLimits(10, 1 << 20, 100, 4096))) {
            assertThatThrownBy(() -> z.bytes(z.require("big.json"))).isInstanceOf(KilnException.class)
                    .hasMessageContaining("m.zip: entry 'big.json' is 5000 bytes, over the 4096 bytes allowed for metadata");
        }
    }

    @Test
    void tooManyEntriesAndMissingEntries() {
        Path p = Archives.write(dir.resolve("n.zip"), Archives.zip(Map.of("a", new byte[1], "b", new byte[1]), false));
        assertThatThrownBy(() -> ZipArchive.open(p, new ZipLimits(1, 1 << 20, 100, 4096)))
                .isInstanceOf(KilnException.class).hasMessageContaining("2 entries, over the limit of 1");
        try (ZipArchive z = ZipArchive.open(p, ZipLimits.DEFAULT)) {
            assertThatThrownBy(() -> z.require("c")).hasMessageContaining("n.zip: entry 'c' is missing");
        }
        assertThatThrownBy(() -> ZipArchive.open(dir.resolve("absent.zip"), ZipLimits.DEFAULT))
                .isInstanceOf(KilnException.class).hasMessageContaining("absent.zip: cannot open the file");
    }
}
