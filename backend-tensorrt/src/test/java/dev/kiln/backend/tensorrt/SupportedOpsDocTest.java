package dev.kiln.backend.tensorrt;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

class SupportedOpsDocTest {
    @Test
    void committedPageIsCurrent() throws IOException {
        String want = SupportedOpsDoc.render(ConverterRegistry.standard());
        if ("true".equals(System.getProperty("kiln.golden.update"))) {
            Files.createDirectories(SupportedOpsDoc.COMMITTED.toAbsolutePath().getParent());
            Files.writeString(SupportedOpsDoc.COMMITTED, want, StandardCharsets.UTF_8);
        }
        assertThat(Files.exists(SupportedOpsDoc.COMMITTED))
                .as("docs/supported-ops.md is missing; regenerate it with -Dkiln.golden.update=true").isTrue();
        assertThat(Files.readString(SupportedOpsDoc.COMMITTED, StandardCharsets.UTF_8))
                .as("docs/supported-ops.md is stale: run mvn -B -o -pl backend-tensorrt -am test -Dtest=SupportedOpsDocTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.golden.update=true and commit the file")
                .isEqualTo(want);
    }

    @Test
    void rendersEveryConverterWithItsLimits() {
        ConverterRegistry r = ConverterRegistry.builder()
                .add(new UnsupportedNodesTest.Fake("aten::relu", null))
                .add(new UnsupportedNodesTest.Fake("aten::add.Tensor", "x"))
                .build();
        String page = SupportedOpsDoc.render(r);
        assertThat(page).contains("2 ops, 2 converters")
                .contains("| `aten::add.Tensor` | 0 | yes | f16, bf16, f32 |  | `Fake` |")
                .containsSubsequence("aten::add.Tensor", "aten::relu");
        assertThat(SupportedOpsDoc.render(ConverterRegistry.builder().build())).contains("No converters are registered");
    }
}
