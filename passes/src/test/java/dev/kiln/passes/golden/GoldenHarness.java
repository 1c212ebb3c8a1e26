package dev.kiln.passes.golden;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.passes.Numerics;
import dev.kiln.passes.Ops;
import dev.kiln.passes.Precision;
import dev.kiln.passes.eval.GraphEvaluator;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Kir;
import org.junit.jupiter.api.DynamicTest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Golden IR tests, MLIR-style: each {@code <case>.kir} under a resource folder starts with a line
 * {@code # RUN: <pipeline>}; the harness parses the graph, runs the pipeline through a verifying
 * {@link PassManager}, prints the result and compares it with {@code <case>.expected.kir}; where the
 * input runs deterministically on the CPU, it also checks that the result computes the same values
 * ({@link GraphEvaluator}, random inputs). With
 * {@code -Dkiln.golden.update=true} it rewrites the expected files in {@code src/test/resources}
 * instead, so a reviewer reads the diff.
 *
 * <pre>{@code
 * @TestFactory Stream<DynamicTest> golden() { return GoldenHarness.tests("dev/kiln/passes/dce"); }
 * }</pre>
 */
public final class GoldenHarness {
    public static final String RUN = "# RUN:";

    private GoldenHarness() {
    }

    /** One dynamic test per {@code *.kir} input (not {@code *.expected.kir}) in resource folder {@code dir}. */
    public static Stream<DynamicTest> tests(String dir) {
        return tests(dir, PassContext::defaults);
    }

    public static Stream<DynamicTest> tests(String dir, Supplier<PassContext> contexts) {
        Path folder = resourceFolder(dir);
        List<DynamicTest> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            files.filter(p -> p.toString().endsWith(".kir") && !p.toString().endsWith(".expected.kir"))
                    .sorted()
                    .forEach(p -> out.add(DynamicTest.dynamicTest(p.getFileName().toString(),
                            () -> check(dir, p, contexts.get()))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(out).as("golden inputs in " + dir).isNotEmpty();
        return out.stream();
    }

    /** Runs one case and compares (or, in update mode, rewrites) its expected output. */
    public static void check(String dir, Path input, PassContext ctx) throws IOException {
        String text = Files.readString(input, StandardCharsets.UTF_8);
        String pipeline = text.lines().filter(l -> l.startsWith(RUN)).findFirst()
                .map(l -> l.substring(RUN.length()).trim())
                .orElseThrow(() -> new AssertionError(input + " has no '" + RUN + " <pipeline>' line"));
        Graph g = Kir.parse(text);
        Graph original = Graphs.copy(g);
        PassManager.builder().verify(true).build().run(g, pipeline, ctx);
        String actual = Kir.print(g);
        checkNumerics(original, g, pipeline.contains("precision") || ctx.precision() != Precision.FP32 ? 5e-2 : 1e-5);
        String expectedName = input.getFileName().toString().replace(".kir", ".expected.kir");
        if (Boolean.getBoolean("kiln.golden.update")) {
            Path src = Path.of("src", "test", "resources").resolve(dir).resolve(expectedName);
            Files.createDirectories(src.getParent());
            Files.writeString(src, actual, StandardCharsets.UTF_8);
            return;
        }
        Path expected = input.resolveSibling(expectedName);
        if (!Files.exists(expected)) {
            fail(expected + " is missing; run with -Dkiln.golden.update=true to write it. Actual:\n" + actual);
        }
        // the printed result must also parse back to the same text (round trip)
        assertThat(Kir.print(Kir.parse(actual))).isEqualTo(actual);
        assertThat(actual).as("golden " + dir + "/" + expectedName + " (rewrite with -Dkiln.golden.update=true)")
                .isEqualTo(Files.readString(expected, StandardCharsets.UTF_8));
    }

    /**
     * Where the input can run deterministically on the CPU (static floating inputs, no random or
     * side-effecting op), the output must compute the same values (within {@code tol}; precision
     * pipelines get a low-precision tolerance).
     */
    static void checkNumerics(Graph before, Graph after, double tol) {
        for (Value in : before.inputs()) {
            if (!(in.type() instanceof TensorType t) || !t.isComplete() || !t.shape().isStatic()
                    || !t.elementType().isFloatingPoint()) {
                return;
            }
        }
        for (Node n : before.nodes()) {
            if (Ops.isImpure(n)) {
                return;
            }
        }
        List<ConstantTensor> inputs = Numerics.randomInputs(before, 42);
        Numerics.assertAllClose(GraphEvaluator.run(after, inputs), GraphEvaluator.run(before, inputs), tol, tol,
                "the pipeline's result vs its input");
    }

    private static Path resourceFolder(String dir) {
        URL url = GoldenHarness.class.getClassLoader().getResource(dir);
        if (url == null) {
            throw new AssertionError("no resource folder " + dir);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
