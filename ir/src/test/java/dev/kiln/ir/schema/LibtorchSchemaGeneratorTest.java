package dev.kiln.ir.schema;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The committed schema resource is exactly what the bundled libtorch reports (runs libtorch on the CPU, ~5 s). */
class LibtorchSchemaGeneratorTest {

    @Test
    void committedResourceMatchesLibtorch() throws IOException {
        List<String> live = LibtorchSchemaGenerator.schemas();
        assertThat(live).hasSizeGreaterThan(4000);
        assertThat(live).contains(
                "aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
                "prim::TupleUnpack(Any tup) -> ...");
        if (Boolean.getBoolean("kiln.golden.update")) {
            // the classpath copy is stale until the next build, so only write
            Path out = LibtorchSchemaGenerator.defaultOutput();
            Files.writeString(out, LibtorchSchemaGenerator.render(live), StandardCharsets.UTF_8);
            return;
        }
        // line by line first, so that a failure names the schemas that changed
        assertThat(SchemaRegistry.readStandardResource()).containsExactlyElementsOf(live);
        String committed;
        try (var in = SchemaRegistry.class.getResourceAsStream(SchemaRegistry.STANDARD_RESOURCE)) {
            committed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(committed).isEqualTo(LibtorchSchemaGenerator.render(live));
    }

    @Test
    void mainWritesTheResourceFile(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("nested/libtorch.schemas");
        LibtorchSchemaGenerator.main(new String[] {out.toString()});
        assertThat(Files.readAllLines(out, StandardCharsets.UTF_8)).containsExactlyElementsOf(SchemaRegistry.readStandardResource());
    }
}
