package dev.kiln.compiler;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.npy.Npz;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the GPU tests take from {@code manifest.json} ({@link FixtureManifest}), checked on the CPU: the files
 * HybridGpuTest compiles as models are models that load, and the io files are npz files whose tensors fit them.
 * An {@code other_io} npz once reached the GPU as a model; this catches that here.
 */
class FixtureManifestTest {
    @TempDir
    Path dir;

    @Test
    void filesAreSortedByWhatTheyAreNotByTheirKey() throws IOException {
        Path m = Files.writeString(dir.resolve("manifest.json"), """
                {"fixtures": {"m": {"files": {"core": "m.core.pt2", "export": "m.pt2", "io": "m.npz",
                  "legacy": ["m.v27.pt2"], "other_io": "m.other.npz", "some_new_io": "m.third.npz",
                  "traced": "m.traced.pt"}}}}""");
        FixtureManifest.Fixture f = FixtureManifest.read(m).fixtures().get("m");
        assertThat(f.models()).containsExactly("m.core.pt2", "m.pt2", "m.v27.pt2", "m.traced.pt");
        assertThat(f.ios()).containsExactly("m.npz", "m.other.npz", "m.third.npz");

        Path odd = Files.writeString(dir.resolve("odd.json"), """
                {"fixtures": {"m": {"files": {"export": "m.pt2", "onnx": "m.onnx"}}}}""");
        assertThatThrownBy(() -> FixtureManifest.read(odd)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("onnx = m.onnx").hasMessageContaining("neither a model");
    }

    @TestFactory
    Stream<DynamicTest> everyListedModelLoadsAndEveryIoFitsIt() throws IOException {
        FixtureManifest manifest = FixtureManifest.read(Fixtures.copy("manifest.json", dir));
        assertThat(manifest.fixtures()).containsKeys("mlp", "cnn", "encoder", "dynbatch", "dictout", "cond", "whileloop");
        // the case that reached the GPU: a second io file besides the first
        assertThat(manifest.fixtures().get("cond").ios()).containsExactly("cond.npz", "cond.other.npz");
        assertThat(manifest.fixtures().get("whileloop").ios()).containsExactly("whileloop.npz", "whileloop.other.npz");
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, FixtureManifest.Fixture> e : manifest.fixtures().entrySet()) {
            String name = e.getKey();
            FixtureManifest.Fixture f = e.getValue();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                assertThat(f.models()).as("models of " + name).isNotEmpty()
                        .allMatch(m -> m.endsWith(".pt2") || m.endsWith(".pt"));
                // HybridGpuTest and EndToEndGpuTest compare against NAME.npz
                assertThat(f.ios()).as("io files of " + name).contains(name + ".npz").allMatch(m -> m.endsWith(".npz"));
            }));
            for (String model : f.models()) {
                tests.add(DynamicTest.dynamicTest(model, () -> loadsAndFits(model, name + ".npz", f.ios())));
            }
        }
        return tests.stream();
    }

    /** {@code model} loads on the CPU as the GPU tests load it (TorchScript typed from {@code npz}), and each io file fits it. */
    private void loadsAndFits(String model, String npz, List<String> ios) {
        Path file = Fixtures.copy(model, dir);
        assertThat(ModelFormat.detect(file)).isEqualTo(model.endsWith(".pt2") ? ModelFormat.PT2 : ModelFormat.TORCHSCRIPT);
        Map<String, ConstantTensor> first = Npz.read(Fixtures.copy(npz, dir));
        // TorchScript records no input shapes: the GPU tests give them from the npz, as here
        Graph g = model.endsWith(".pt") ? Kiln.load(file, EndToEndGpuTest.specsFrom(first)) : Kiln.load(file);
        assertThat(g.nodes()).as(model + " nodes").isNotEmpty();
        for (String io : ios) {
            Map<String, ConstantTensor> tensors = Npz.read(Fixtures.copy(io, dir));
            assertThat(Fixtures.inputs(tensors)).as(io + " inputs").hasSameSizeAs(g.inputs());
            assertThat(Fixtures.outputs(tensors)).as(io + " outputs").hasSameSizeAs(g.outputs());
            Kiln.checkInputs(g, tensors); // dtypes and shapes the model takes, or a KilnException saying which
        }
    }
}
