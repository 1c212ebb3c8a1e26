package dev.kiln.compiler;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelFormatTest {
    @TempDir
    Path dir;

    /** The fixture copied under a misleading name: detection reads contents, not names. */
    private Path fixture(String name, String as) throws IOException {
        Path p = dir.resolve(as);
        try (InputStream in = getClass().getResourceAsStream("/fixtures/" + name)) {
            Files.copy(in, p);
        }
        return p;
    }

    @ParameterizedTest
    @CsvSource({"mlp.pt2,PT2", "cnn.core.pt2,PT2", "mlp.v27.pt2,PT2", "mlp.v28.pt2,PT2",
            "mlp.traced.pt,TORCHSCRIPT", "cnn.scripted.pt,TORCHSCRIPT", "mlp.npz,UNKNOWN"})
    void detectsFromContents(String file, ModelFormat expected) throws IOException {
        assertThat(ModelFormat.detect(fixture(file, "model.bin"))).isEqualTo(expected);
    }

    @Test
    void nonZipsAreUnknownAndMissingFilesAnError() throws IOException {
        Path text = Files.writeString(dir.resolve("model.pt2"), "not a model", StandardCharsets.UTF_8);
        assertThat(ModelFormat.detect(text)).isEqualTo(ModelFormat.UNKNOWN);
        assertThatThrownBy(() -> ModelFormat.detect(dir.resolve("missing.pt2")))
                .isInstanceOf(KilnException.class).hasMessageContaining("missing.pt2: no such file");
    }

    @Test
    void aTruncatedArchiveIsSaidToBeTruncated() throws IOException {
        for (String name : List.of("mlp.pt2", "mlp.scripted.pt")) {
            byte[] whole = Files.readAllBytes(fixture(name, "whole-" + name));
            Path cut = Files.write(dir.resolve("cut-" + name), java.util.Arrays.copyOf(whole, whole.length / 2));
            assertThatThrownBy(() -> ModelFormat.detect(cut)).isInstanceOf(KilnException.class)
                    .hasMessageContaining("cut-" + name + ": not a valid zip archive").hasMessageContaining("truncated or corrupt");
            assertThatThrownBy(() -> Models.load(cut)).isInstanceOf(KilnException.class).hasMessageContaining("truncated");
        }
    }

    @Test
    void modelsLoadPicksTheFrontend() throws IOException {
        Graph g = Models.load(fixture("mlp.pt2", "whatever.pt"));
        assertThat(g.opHistogram()).containsEntry("aten::linear", 2);
        Path ts = fixture("mlp.scripted.pt", "scripted.pt2");
        Graph tg = Models.load(ts);
        assertThat(tg.attributes()).containsEntry("frontend", "torchscript");
        assertThat(tg.opHistogram()).isEqualTo(g.opHistogram());
        TensorType x = new TensorType(DType.FLOAT32, Shape.of(4, 16));
        assertThat(Models.load(ts, List.of(x)).inputs().get(0).type()).isEqualTo(x);
        Path npz = fixture("mlp.npz", "m.pt2");
        assertThatThrownBy(() -> Models.load(npz)).isInstanceOf(KilnException.class)
                .hasMessageContaining("m.pt2: is neither a torch.export program");
    }
}
