package dev.kiln.frontend.torchscript;

import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every malformed archive is a KilnException naming the file and the problem, never a raw libtorch error. */
class BadInputTest {
    @TempDir
    Path dir;

    @Test
    void textFileIsNotAnArchive() throws IOException {
        Path f = Files.writeString(dir.resolve("model.pt"), "hello, I am not a model\n");
        assertThatThrownBy(() -> TorchScriptFrontend.load(f))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("not a TorchScript archive: not a zip file");
        assertThat(TorchScriptFrontend.isTorchScript(f)).isFalse();
    }

    @Test
    void plainPickleIsNamedAsSuch() throws IOException {
        Path f = Files.write(dir.resolve("state.pt"), new byte[] {(byte) 0x80, 2, '}', 'q', 0, '.'});
        assertThatThrownBy(() -> TorchScriptFrontend.load(f))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("plain pickle");
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("nope.pt");
        assertThatThrownBy(() -> TorchScriptFrontend.load(f)).isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining(f + ": no such file");
    }

    @Test
    void truncatedArchive() {
        Path f = Archives.truncate(Fixtures.path("mlp.scripted.pt", dir), dir.resolve("cut.pt"), 0.6);
        assertThatThrownBy(() -> TorchScriptFrontend.load(f))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("truncated or corrupt");
        assertThat(TorchScriptFrontend.isTorchScript(f)).isFalse();
    }

    @Test
    void exportArchiveIsRecognized() {
        Path f = Fixtures.path("mlp.pt2", dir);
        assertThat(TorchScriptFrontend.isTorchScript(f)).isFalse();
        assertThatThrownBy(() -> TorchScriptFrontend.load(f))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining("torch.export (.pt2) archive, not TorchScript");
    }

    @Test
    void pickleWithUnexpectedGlobal() {
        Path f = Archives.replaceInEntry(Fixtures.path("mlp.scripted.pt", dir), dir.resolve("evil.pt"),
                "data.pkl", "torch._utils\n_rebuild_tensor_v2\n", "os\nsystem\n");
        assertThatThrownBy(() -> TorchScriptFrontend.load(f))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("libtorch cannot load this TorchScript archive")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void opUnknownToLibtorchIsNamed() {
        Path f = Archives.replaceInEntry(Fixtures.path("mlp.scripted.pt", dir), dir.resolve("newer.pt"),
                "functional.py", "torch.relu(input)", "torch.frobnicate(input)");
        assertThatThrownBy(() -> TorchScriptFrontend.load(f))
                .isExactlyInstanceOf(KilnException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("uses the operator aten::frobnicate, which libtorch 2.5.1 does not know");
    }

    @Test
    void intactArchiveIsDetectedFromContents() throws IOException {
        Path f = Files.copy(Fixtures.path("cnn.traced.pt", dir), dir.resolve("weights.bin"));
        assertThat(TorchScriptFrontend.isTorchScript(f)).isTrue();
        assertThat(TorchScriptFrontend.load(f).opHistogram()).containsKey("aten::_convolution");
    }
}
