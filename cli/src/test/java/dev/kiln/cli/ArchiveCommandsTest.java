package dev.kiln.cli;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.npy.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kiln compile -o X.kiln} and {@code kiln run X.kiln} without a GPU: a model whose every
 * TensorRT segment is too small ({@code --min-block-size}) is all libtorch, so its archive is written,
 * loaded and run on the CPU; bad files are refused with one clear line.
 */
class ArchiveCommandsTest {
    @TempDir
    Path dir;

    record Run(int rc, String out, String err) {
    }

    private Path fixture(String name) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            try (InputStream in = getClass().getResourceAsStream("/fixtures/" + name)) {
                Files.copy(in, p);
            }
        }
        return p;
    }

    private static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = KilnCli.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void compilesAnArchiveAndRunsIt() throws IOException {
        Path kiln = dir.resolve("cnn.kiln");
        Path report = dir.resolve("r.json");
        Run c = run("compile", fixture("cnn.pt2").toString(), "-o", kiln.toString(), "--torch-ops", "aten::relu",
                "--min-block-size", "1000", "--no-engine-cache", "--no-progress", "--report", report.toString());
        assertThat(c.rc()).as(c.err()).isZero();
        assertThat(c.out()).contains("wrote " + kiln).contains("1 stage: seg0 torch").contains("run in libtorch on the cpu");
        assertThat(Files.readString(report)).contains("\"min_block_size\"");
        Path npz = fixture("cnn.npz");
        Path out = dir.resolve("out.npz");
        Run r = run("run", kiln.toString(), "--inputs", npz.toString(), "--output", out.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote " + out);
        ConstantTensor want = Npz.read(npz).get("y0");
        ConstantTensor got = Npz.read(out).get("y0");
        for (long k = 0; k < want.numel(); k++) {
            assertThat(got.getDouble(k)).isCloseTo(want.getDouble(k), org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void badArchivesAreRefusedWithOneLine() throws IOException {
        Path notKiln = Files.writeString(dir.resolve("x.kiln"), "not an archive");
        Run r = run("run", notKiln.toString(), "--inputs", fixture("cnn.npz").toString(), "--output", dir.resolve("o.npz").toString());
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).startsWith("kiln: ").contains("x.kiln").contains("not a Kiln archive");
        Path zip = Files.copy(fixture("mlp.pt2"), dir.resolve("mlp.kiln"));
        Run z = run("run", zip.toString(), "--inputs", fixture("mlp.npz").toString(), "--output", dir.resolve("o.npz").toString());
        assertThat(z.rc()).isEqualTo(1);
        assertThat(z.err()).contains("manifest.json");
    }

    @Test
    void anEngineFileCannotHoldTorchSegments() throws IOException {
        Run r = run("compile", fixture("mlp.pt2").toString(), "-o", dir.resolve("m.engine").toString(), "--torch-ops", "aten::relu");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("-o m.kiln");
    }

    @Test
    void requireFullCompilationFailsTheArchiveCompile() throws IOException {
        Run r = run("compile", fixture("mlp.pt2").toString(), "-o", dir.resolve("m.kiln").toString(), "--torch-ops", "aten::relu",
                "--require-full-compilation", "--no-engine-cache");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("require_full_compilation").contains("aten::relu");
        assertThat(dir.resolve("m.kiln")).doesNotExist();
    }
}
