package dev.kiln.cli;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.npy.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.kiln.cli.CliRun.fixture;
import static dev.kiln.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kiln compile -o X.kiln} and {@code kiln run X.kiln} without a GPU: a model whose every
 * TensorRT segment is too small ({@code --min-block-size}) is all libtorch, so its archive is written,
 * loaded and run on the CPU; bad files are refused with one clear line.
 */
class ArchiveCommandsTest {
    @TempDir
    Path dir;

    @Test
    void compilesAnArchiveAndRunsIt() throws IOException {
        Path kiln = dir.resolve("cnn.kiln");
        Path report = dir.resolve("r.json");
        CliRun c = run("compile", fixture(dir, "cnn.pt2").toString(), "-o", kiln.toString(), "--torch-ops", "aten::relu",
                "--min-block-size", "1000", "--no-engine-cache", "--no-progress", "--report", report.toString());
        assertThat(c.rc()).as(c.err()).isZero();
        assertThat(c.out()).contains("wrote " + kiln).contains("1 stage: seg0 torch").contains("run in libtorch on the cpu");
        assertThat(Files.readString(report)).contains("\"min_block_size\"");
        Path npz = fixture(dir, "cnn.npz");
        Path out = dir.resolve("out.npz");
        CliRun r = run("run", kiln.toString(), "--inputs", npz.toString(), "--output", out.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote " + out);
        ConstantTensor want = Npz.read(npz).get("y0");
        ConstantTensor got = Npz.read(out).get("y0");
        for (long k = 0; k < want.numel(); k++) {
            assertThat(got.getDouble(k)).isCloseTo(want.getDouble(k), org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void anIsolatedBuildReportsTheChildsErrorAsOneLine() throws IOException {
        // no GPU here: the child JVM that builds the engine says so, and the command fails with its message
        CliRun r = run("compile", fixture(dir, "mlp.pt2").toString(), "-o", dir.resolve("m.engine").toString(), "--isolated-build",
                "--no-progress");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).startsWith("kiln: ").contains("CUDA").doesNotContain("ended without a result");
        assertThat(dir.resolve("m.engine")).doesNotExist();
    }

    @Test
    void badArchivesAreRefusedWithOneLine() throws IOException {
        Path notKiln = Files.writeString(dir.resolve("x.kiln"), "not an archive");
        CliRun r = run("run", notKiln.toString(), "--inputs", fixture(dir, "cnn.npz").toString(), "--output", dir.resolve("o.npz").toString());
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).startsWith("kiln: ").contains("x.kiln").contains("not a Kiln archive");
        Path zip = Files.copy(fixture(dir, "mlp.pt2"), dir.resolve("mlp.kiln"));
        CliRun z = run("run", zip.toString(), "--inputs", fixture(dir, "mlp.npz").toString(), "--output", dir.resolve("o.npz").toString());
        assertThat(z.rc()).isEqualTo(1);
        assertThat(z.err()).contains("manifest.json");
    }

    @Test
    void anEngineFileCannotHoldTorchSegments() throws IOException {
        CliRun r = run("compile", fixture(dir, "mlp.pt2").toString(), "-o", dir.resolve("m.engine").toString(), "--torch-ops", "aten::relu");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("-o m.kiln");
    }

    @Test
    void requireFullCompilationFailsTheArchiveCompile() throws IOException {
        CliRun r = run("compile", fixture(dir, "mlp.pt2").toString(), "-o", dir.resolve("m.kiln").toString(), "--torch-ops", "aten::relu",
                "--require-full-compilation", "--no-engine-cache");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("require_full_compilation").contains("aten::relu");
        assertThat(dir.resolve("m.kiln")).doesNotExist();
    }
}
