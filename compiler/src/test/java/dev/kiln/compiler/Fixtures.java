package dev.kiln.compiler;

import dev.kiln.ir.ConstantTensor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Test helpers: committed fixtures as files, and the relative L2 error Kiln's accuracy bars use. */
final class Fixtures {
    private Fixtures() {
    }

    /** Copies classpath resource {@code /fixtures/<file>} (from the kiln-ir test-jar) to {@code dir}. */
    static Path copy(String file, Path dir) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + file)) {
            if (in == null) {
                throw new IllegalStateException("fixture " + file + " is not on the class path (kiln-ir test-jar)");
            }
            Path p = dir.resolve(file);
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The inputs x0, x1, ... of an npz map, in order. */
    static List<ConstantTensor> inputs(Map<String, ConstantTensor> npz) {
        return prefixed(npz, "x");
    }

    /** The outputs y0, y1, ... of an npz map, in order. */
    static List<ConstantTensor> outputs(Map<String, ConstantTensor> npz) {
        return prefixed(npz, "y");
    }

    private static List<ConstantTensor> prefixed(Map<String, ConstantTensor> npz, String p) {
        Map<Integer, ConstantTensor> byIndex = new TreeMap<>();
        for (Map.Entry<String, ConstantTensor> e : npz.entrySet()) {
            if (e.getKey().matches(p + "\\d+")) {
                byIndex.put(Integer.parseInt(e.getKey().substring(1)), e.getValue());
            }
        }
        return List.copyOf(byIndex.values());
    }

    /**
     * Runs the compile's pass pipeline on {@code g} at {@code p}, the standard converters saying what TensorRT takes,
     * as {@code Kiln.compile} does; returns that capability, for partitioning the result.
     */
    static dev.kiln.backend.tensorrt.partition.RegistryCapability runPipeline(dev.kiln.ir.Graph g, dev.kiln.passes.Precision p) {
        dev.kiln.backend.tensorrt.ConverterRegistry r = dev.kiln.backend.tensorrt.ConverterRegistry.standard();
        var cs = dev.kiln.backend.tensorrt.EngineBuilder.settingsFor(g, p);
        CompilePipeline.run(g, p, java.util.Set.of(), n -> r.lookup(n, cs).supported());
        return new dev.kiln.backend.tensorrt.partition.RegistryCapability(r, cs);
    }

    /**
     * ||got - want|| / ||want|| over all elements; a shape mismatch is an error, and so is an all-zero
     * reference (the comparison would prove nothing: torchvision's ViT head starts at zero).
     */
    static double relL2(ConstantTensor got, ConstantTensor want) {
        if (!Arrays.equals(got.sizes(), want.sizes())) {
            throw new AssertionError("shape " + Arrays.toString(got.sizes()) + " != expected " + Arrays.toString(want.sizes()));
        }
        double err = 0;
        double ref = 0;
        for (long i = 0; i < want.numel(); i++) {
            double w = want.getDouble(i);
            double d = got.getDouble(i) - w;
            err += d * d;
            ref += w * w;
        }
        if (Double.isNaN(err)) {
            return Double.NaN;
        }
        if (ref == 0 && want.numel() > 0) {
            throw new AssertionError("the reference output is all zeros: comparing against it would prove nothing");
        }
        return want.numel() == 0 ? Math.sqrt(err) : Math.sqrt(err / ref);
    }

    /**
     * Runs {@code g} as the hybrid runtime would, without a GPU: each segment of {@code part} cut out on its own
     * ({@code Segments.extract}, handed to {@code eachSegment} first) and run by libtorch on copies of what it reads, as
     * an engine sees its inputs. Returns the graph's outputs.
     */
    static List<ConstantTensor> segmentBySegment(dev.kiln.ir.Graph g, dev.kiln.partition.Partition part, List<ConstantTensor> inputs,
                                                 java.util.function.Consumer<dev.kiln.ir.Graph> eachSegment) {
        Map<dev.kiln.ir.Value, ConstantTensor> values = new java.util.IdentityHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            values.put(g.inputs().get(i), inputs.get(i));
        }
        for (dev.kiln.partition.Segment seg : part.segments()) {
            dev.kiln.ir.Graph sub = dev.kiln.compiler.hybrid.Segments.extract(g, "seg" + seg.index(), seg.nodes(), seg.inputs(), seg.outputs());
            eachSegment.accept(sub);
            List<ConstantTensor> outs = dev.kiln.passes.eval.GraphEvaluator.run(sub, seg.inputs().stream().map(values::get).toList());
            for (int k = 0; k < outs.size(); k++) {
                values.put(seg.outputs().get(k), outs.get(k));
            }
        }
        return g.outputs().stream().map(values::get).toList();
    }
}
