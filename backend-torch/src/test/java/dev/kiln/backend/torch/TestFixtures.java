package dev.kiln.backend.torch;

import dev.kiln.frontend.fx.Pt2Loader;
import dev.kiln.frontend.torchscript.TorchScriptFrontend;
import dev.kiln.frontend.torchscript.TorchScriptOptions;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.npy.Npz;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Committed fixtures (from the kiln-ir test-jar) copied to a directory and loaded through either frontend. */
final class TestFixtures {
    private TestFixtures() {
    }

    static Path path(String name, Path dir) {
        Path p = dir.resolve(name);
        if (Files.exists(p)) {
            return p;
        }
        try (InputStream in = TestFixtures.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no fixture " + name);
            }
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, ConstantTensor> npz(String model, Path dir) {
        return Npz.read(path(model + ".npz", dir));
    }

    /** The graph of a fixture file, TorchScript inputs typed from the model's .npz. */
    static Graph load(String file, Path dir) {
        Path p = path(file, dir);
        if (file.endsWith(".pt2")) {
            return Pt2Loader.load(p);
        }
        String model = file.substring(0, file.indexOf('.'));
        List<TensorType> types = new ArrayList<>();
        for (ConstantTensor x : Npz.series(npz(model, dir), "x", model + ".npz")) {
            types.add(new TensorType(Optional.of(x.dtype()), Shape.of(x.sizes())));
        }
        return TorchScriptFrontend.load(p, TorchScriptOptions.defaults().withInputTypes(types));
    }
}
