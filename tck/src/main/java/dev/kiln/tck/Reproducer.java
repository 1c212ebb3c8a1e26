package dev.kiln.tck;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.npy.Npz;
import dev.kiln.ir.text.IrPrinter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes what a failing case needs to be replayed: {@code case.kir} (the one-node graph as IR text),
 * {@code inputs.npz} ({@code x0, x1, ...}), {@code expected.npz} (libtorch's {@code y0, ...}),
 * {@code actual.npz} when TensorRT produced outputs, and {@code README.txt} with the case, the
 * profile point and the failure. NumPy has no bf16, so bf16 arrays are stored widened to f32
 * (README says which).
 *
 * <pre>{@code Path dir = Reproducer.write(root, "aten::add.Tensor", 0, graph, failure, inputs, expected, actual);}</pre>
 */
public final class Reproducer {
    private Reproducer() {
    }

    public static Path write(Path root, String converter, int index, CaseGraph c, String failure, int point,
                             List<ConstantTensor> inputs, List<ConstantTensor> expected, List<ConstantTensor> actual) {
        Path dir = root.resolve(converter.replace("::", "__").replaceAll("[^A-Za-z0-9_.-]", "_")).resolve("failure-" + index);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("case.kir"), IrPrinter.print(c.graph()));
            StringBuilder widened = new StringBuilder();
            Npz.write(dir.resolve("inputs.npz"), arrays("x", inputs, widened));
            Npz.write(dir.resolve("expected.npz"), arrays("y", expected, widened));
            if (!actual.isEmpty()) {
                Npz.write(dir.resolve("actual.npz"), arrays("y", actual, widened));
            }
            String point1 = !c.dynamic() ? "static" : point == CaseGraph.MIN ? "profile minimum" : point == CaseGraph.MAX
                    ? "profile maximum" : "nominal sizes";
            Files.writeString(dir.resolve("README.txt"), "converter: " + converter + "\ncase: " + c.opCase().text()
                    + "\nshapes: " + point1 + "\nfailure: " + failure + "\n"
                    + (widened.length() == 0 ? "" : "bf16 arrays stored as f32: " + widened + "\n")
                    + "replay: kiln-opt case.kir, or compile case.kir and feed inputs.npz; compare with expected.npz\n");
            return dir.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, ConstantTensor> arrays(String prefix, List<ConstantTensor> ts, StringBuilder widened) {
        Map<String, ConstantTensor> out = new LinkedHashMap<>();
        for (int i = 0; i < ts.size(); i++) {
            ConstantTensor t = ts.get(i);
            if (t.dtype().numpyDescr().isEmpty()) {
                widened.append(widened.length() == 0 ? "" : ", ").append(prefix).append(i);
                ByteBuffer b = ConstantTensor.allocate(DType.FLOAT32, t.sizes());
                for (long k = 0; k < t.numel(); k++) {
                    ElementCodec.put(DType.FLOAT32, b, k, t.getDouble(k));
                }
                t = new ConstantTensor(DType.FLOAT32, t.sizes(), b);
            }
            out.put(prefix + i, t);
        }
        return out;
    }
}
