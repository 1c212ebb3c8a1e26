package dev.kiln.backend.tensorrt.converters;

import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.frontend.fx.Pt2Loader;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Precision;
import dev.kiln.passes.decompose.Decompose;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every node of every committed torch.export fixture (training IR and core ATen), after the compile
 * pipeline (with shape propagation, fp32 and fp16), is accepted by the standard converter registry:
 * the fixtures compile without fallback.
 */
class FixtureCoverageTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mlp.pt2", "mlp.core.pt2", "cnn.pt2", "cnn.core.pt2", "encoder.pt2", "encoder.core.pt2", "dynbatch.pt2",
            "dynbatch.core.pt2"})
    void everyNodeConverts(String fixture) throws Exception {
        for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
            Graph g = load(fixture);
            ConverterSettings settings = new ConverterSettings(p, !g.symbols().isEmpty());
            PassManager pm = PassManager.builder().build();
            PassContext ctx = PassContext.builder().precision(p).build();
            ctx.put(Decompose.Supported.class, n -> ConverterRegistry.standard().lookup(n, settings).supported());
            String pipeline = Pipelines.DEFAULT.replace(",precision", ",propagate-shapes,precision");
            pm.run(g, pipeline, ctx);
            List<String> refused = new ArrayList<>();
            for (Node n : g.nodes()) {
                ConverterRegistry.Lookup l = ConverterRegistry.standard().lookup(n, settings);
                if (!l.supported()) {
                    refused.add(l.reason());
                }
            }
            assertThat(refused).as(fixture + " " + p).isEmpty();
            assertThat(g.nodes()).isNotEmpty();
        }
    }

    private Graph load(String fixture) throws Exception {
        Path f = dir.resolve(fixture);
        if (!Files.exists(f)) {
            try (InputStream in = FixtureCoverageTest.class.getResourceAsStream("/fixtures/" + fixture)) {
                Files.copy(in, f);
            }
        }
        return Pt2Loader.load(f);
    }
}
