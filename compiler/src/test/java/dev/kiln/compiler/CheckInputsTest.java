package dev.kiln.compiler;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.npy.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Kiln#checkInputs}: inputs refused before a compile, named by input and dimension; good ones pass. */
class CheckInputsTest {
    @TempDir
    Path dir;

    private static ConstantTensor zeros(DType t, long... sizes) {
        return new ConstantTensor(t, sizes, ConstantTensor.allocate(t, sizes));
    }

    @Test
    void theFixturesOwnInputsPassAndWrongOnesAreNamed() {
        Graph cnn = Kiln.load(Fixtures.copy("cnn.pt2", dir));
        Map<String, ConstantTensor> npz = Npz.read(Fixtures.copy("cnn.npz", dir));
        assertThatCode(() -> Kiln.checkInputs(cnn, npz)).doesNotThrowAnyException();
        // by IR name too, and another float dtype, which the compiled module converts
        assertThatCode(() -> Kiln.checkInputs(cnn, Map.of("x", zeros(DType.FLOAT16, 2, 3, 16, 16)))).doesNotThrowAnyException();
        assertThatThrownBy(() -> Kiln.checkInputs(cnn, Map.of("x0", zeros(DType.FLOAT32, 3, 3)))).isInstanceOf(KilnException.class)
                .hasMessageContaining("input x0 (%x) has sizes [3, 3] (rank 2)").hasMessageContaining("[2, 3, 16, 16]");
        assertThatThrownBy(() -> Kiln.checkInputs(cnn, Map.of("x0", zeros(DType.FLOAT32, 2, 3, 16, 15))))
                .hasMessageContaining("dimension 3 must be 16");
        assertThatThrownBy(() -> Kiln.checkInputs(cnn, Map.of("x0", zeros(DType.INT64, 2, 3, 16, 16))))
                .hasMessageContaining("input x0 (%x) is i64 but the model takes tensor<f32").hasMessageContaining("convert it first");
        assertThatThrownBy(() -> Kiln.checkInputs(cnn, Map.of("x1", zeros(DType.FLOAT32, 2, 3, 16, 16))))
                .hasMessageContaining("unknown input name(s) [x1]");
        assertThatThrownBy(() -> Kiln.checkInputs(cnn, Map.of("y0", zeros(DType.FLOAT32, 2, 10))))
                .hasMessageContaining("no tensor for input x0");
    }

    @Test
    void aSymbolicSizeMustLieInTheExportsRange() {
        Graph dyn = Kiln.load(Fixtures.copy("dynbatch.pt2", dir));
        assertThatCode(() -> Kiln.checkInputs(dyn, Map.of("x0", zeros(DType.FLOAT32, 64, 3, 8, 8)))).doesNotThrowAnyException();
        assertThatThrownBy(() -> Kiln.checkInputs(dyn, Map.of("x0", zeros(DType.FLOAT32, 65, 3, 8, 8))))
                .isInstanceOf(KilnException.class).hasMessageContaining("has 65 at dimension 0").hasMessageContaining("[1, 64]");
    }
}
