package dev.kiln.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.kiln.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

class OptCommandTest {
    static final String IR = """
            graph @g(%x: tensor<f32, [2, 3]>) {
              %a : tensor<f32, [2, 3]> = aten::relu(%x)
              %b : tensor<f32, [2, 3]> = aten::relu(%x)
              %n : tensor<f32, [2, 3]> = aten::neg(%a)
              %v : tensor<f32, [6]> = aten::view(%b, [6])
              %w : tensor<f32, [6]> = aten::reshape(%n, [6])
              %c : tensor<f32, [6]> = aten::add.Tensor(%v, %w, 1)
              return %c
            }
            """;

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void runsAPipelineAndWritesTheResult() throws IOException {
        Path in = write("in.kir", IR);
        Path out = dir.resolve("out.kir");
        CliRun r = run("opt", "--passes=canonicalize,fixpoint(cse,dce)", in.toString(), "-o", out.toString(), "--timing");
        assertThat(r.rc()).as(r.err()).isZero();
        String result = Files.readString(out);
        assertThat(result).contains("aten::reshape(%a, [6])").doesNotContain("aten::view").doesNotContain("%b :");
        assertThat(r.err()).contains("canonicalize").contains("total");
    }

    @Test
    void aThirdPartyPassFromTestCodeRunsByName() throws IOException {
        CliRun r = run("opt", "--passes=test-neg-to-sub", write("in.kir", IR).toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("aten::sub.Tensor(%zero, %a, 1)").doesNotContain("aten::neg");
        CliRun list = run("opt", "--list");
        assertThat(list.out()).contains("test-neg-to-sub").contains("fold-constants").contains("max-bytes");
    }

    @Test
    void printsIrDumpsToStandardError() throws IOException {
        CliRun r = run("opt", "--passes=cse,dce", "--print-ir-after-all", "--print-ir-before=cse", write("in.kir", IR).toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.err()).contains("# ----- IR before cse -----").contains("# ----- IR after cse -----")
                .contains("# ----- IR after dce (no change) -----");
    }

    @Test
    void errorsAreOneClearLine() throws IOException {
        CliRun r = run("opt", "--passes=dce,nope", write("in.kir", IR).toString());
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("unknown pass 'nope'");
        CliRun noPasses = run("opt", write("in.kir", IR).toString());
        assertThat(noPasses.rc()).isEqualTo(1);
        assertThat(noPasses.err()).contains("no --passes given");
    }

    @Test
    void replaysAReproducerWithItsPipelineLine() throws IOException {
        Path repro = write("repro.kir", "# reproducer\n" + OptCommand.PIPELINE_HEADER + " precision{precision=bf16}\n" + IR);
        CliRun r = run("opt", repro.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("dtype<bf16>").contains("tensor<bf16, [2, 3]>");
    }
}
