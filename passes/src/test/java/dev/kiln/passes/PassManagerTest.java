package dev.kiln.passes;

import dev.kiln.ir.Arg;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PassManagerTest {
    static final String IR = """
            graph @g(%x: tensor<f32, [2, 3]>) {
              %a : tensor<f32, [2, 3]> = aten::relu(%x)
              %b : tensor<f32, [2, 3]> = aten::relu(%x)
              %dead : tensor<f32, [2, 3]> = aten::neg(%x)
              %c : tensor<f32, [2, 3]> = aten::add.Tensor(%a, %b, 1)
              return %c
            }
            """;

    /** A pass that throws naming a node. */
    static final class Explode implements Pass {
        public String name() {
            return "explode";
        }

        public String description() {
            return "fails on the first add";
        }

        public boolean run(Graph g, PassContext ctx) {
            throw KilnException.at(g.nodesOf("aten::add.Tensor").get(0), "cannot handle this add");
        }
    }

    /** A pass that breaks the graph (a literal where a tensor belongs). */
    static final class Corrupt implements Pass {
        public String name() {
            return "corrupt";
        }

        public String description() {
            return "breaks the graph";
        }

        public boolean run(Graph g, PassContext ctx) {
            g.nodesOf("aten::add.Tensor").get(0).setArg(1, new Arg.IntLit(3));
            return true;
        }
    }

    /** A pass that always claims a change. */
    static final class Restless implements Pass {
        public String name() {
            return "restless";
        }

        public String description() {
            return "always changes";
        }

        public boolean run(Graph g, PassContext ctx) {
            return true;
        }
    }

    static PassRegistry registry() {
        List<Pass> all = new ArrayList<>(PassRegistry.standard().all());
        all.add(new Explode());
        all.add(new Corrupt());
        all.add(new Restless());
        return PassRegistry.of(all.toArray(Pass[]::new));
    }

    @Test
    void standardPassesAndTheThirdPartyOneAreDiscovered() {
        assertThat(PassRegistry.standard().all()).extracting(Pass::name).contains("canonicalize", "cse", "dce",
                "decompose", "fold-batch-norm", "fold-constants", "precision", "test-relu-to-clamp");
        assertThat(PassRegistry.standard().describe()).contains("fold-constants").contains("{max-bytes=134217728}");
    }

    @Test
    void aThirdPartyPassRunsByName() {
        Graph g = Kir.parse(IR);
        PassManager.builder().build().run(g, "test-relu-to-clamp,cse,dce", PassContext.defaults());
        assertThat(g.opHistogram()).containsOnlyKeys("aten::clamp", "aten::add.Tensor");
    }

    @Test
    void pipelinesParseAndPrintBack() {
        String text = "canonicalize,fixpoint(cse,dce){max-iterations=3},fold-constants{max-bytes=1048576}";
        Pipeline p = Pipeline.parse(text, PassRegistry.standard());
        assertThat(p.toString()).isEqualTo(text);
        assertThat(p.steps()).hasSize(3);
        assertThat(((Pipeline.FixpointStep) p.steps().get(1)).maxIterations()).isEqualTo(3);
        assertThat(Pipeline.parse(" dce , fixpoint( cse ) ", PassRegistry.standard()).toString())
                .isEqualTo("dce,fixpoint(cse)");
    }

    @Test
    void pipelineErrorsSayWhatIsWrong() {
        assertThatThrownBy(() -> Pipeline.parse("dce,no-such-pass", PassRegistry.standard()))
                .isInstanceOf(KilnException.class).hasMessageContaining("unknown pass 'no-such-pass'")
                .hasMessageContaining("known passes: canonicalize, cse");
        assertThatThrownBy(() -> Pipeline.parse("fold-constants{max-byte=3}", PassRegistry.standard()))
                .hasMessageContaining("has no option 'max-byte'").hasMessageContaining("max-bytes");
        assertThatThrownBy(() -> Pipeline.parse("fold-constants{max-bytes=lots}", PassRegistry.standard()))
                .hasMessageContaining("max-bytes must be an integer");
        assertThatThrownBy(() -> Pipeline.parse("fixpoint(dce", PassRegistry.standard()))
                .hasMessageContaining("missing ')'");
    }

    @Test
    void reportsTimingAndChangePerPass() {
        Graph g = Kir.parse(IR);
        PassReport r = PassManager.builder().build().run(g, "cse,dce,dce", PassContext.defaults());
        assertThat(r.records()).extracting(PassReport.Record::pass).containsExactly("cse", "dce", "dce");
        assertThat(r.records()).extracting(PassReport.Record::changed).containsExactly(true, true, false);
        assertThat(r.records()).allMatch(x -> x.nanos() >= 0);
        assertThat(r.timingTable()).contains("changed").contains("total");
    }

    @Test
    void printsIrBeforeAfterAndOnChange() {
        List<String> dumps = new ArrayList<>();
        Graph g = Kir.parse(IR);
        PassManager.builder().printIrBefore("cse").printIrAfter("dce").sink(dumps::add).build()
                .run(g, "cse,dce", PassContext.defaults());
        assertThat(dumps).hasSize(2);
        assertThat(dumps.get(0)).startsWith("# ----- IR before cse -----").contains("%b");
        assertThat(dumps.get(1)).startsWith("# ----- IR after dce -----").doesNotContain("%dead");

        dumps.clear();
        PassManager.builder().printIrAfterAll(true).sink(dumps::add).build()
                .run(Kir.parse(IR), "cse,dce,dce", PassContext.defaults());
        assertThat(dumps).hasSize(3);
        assertThat(dumps.get(2)).startsWith("# ----- IR after dce (no change) -----");

        dumps.clear();
        PassManager.builder().printIrAfterChange(true).sink(dumps::add).build()
                .run(Kir.parse(IR), "cse,dce,dce", PassContext.defaults());
        assertThat(dumps).hasSize(2);
        // a dump is IR text again (after its comment line)
        assertThat(Kir.parse(dumps.get(1)).opHistogram()).containsOnlyKeys("aten::relu", "aten::add.Tensor");
    }

    @Test
    void fixpointGroupsStopWhenNothingChangesOrAtTheCap() {
        Graph g = Kir.parse(IR);
        PassReport r = PassManager.builder().registry(registry()).build()
                .run(g, "fixpoint(cse,dce)", PassContext.defaults());
        // round 1 changes, round 2 confirms nothing changes
        assertThat(r.records()).hasSize(4);

        PassContext ctx = PassContext.defaults();
        PassReport capped = PassManager.builder().registry(registry()).build()
                .run(Kir.parse(IR), "fixpoint(restless){max-iterations=3}", ctx);
        assertThat(capped.records()).hasSize(3);
        assertThat(ctx.diagnostics()).anyMatch(d -> d.contains("after 3 rounds"));
    }

    @Test
    void aFailingPassIsNamedWithTheNodeThePassesBeforeAndAReproducer(@TempDir Path dir) throws Exception {
        Graph g = Kir.parse(IR);
        PassManager pm = PassManager.builder().registry(registry()).reproducerDir(dir).build();
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> pm.run(g, "cse,dce,explode", PassContext.defaults()));
        assertThat(t).isInstanceOf(KilnException.class)
                .hasMessageContaining("pass 'explode' failed")
                .hasMessageContaining("node c (aten::add.Tensor): cannot handle this add")
                .hasMessageContaining("passes that ran before: cse, dce")
                .hasMessageContaining("reproducer: " + dir);
        Matcher m = Pattern.compile("reproducer: (\\S+\\.kir)").matcher(t.getMessage());
        assertThat(m.find()).isTrue();
        String repro = Files.readString(Path.of(m.group(1)));
        assertThat(repro).contains("# pipeline: explode").contains("kiln opt --passes='explode'");
        // the reproducer is the IR the failing pass was given: replaying it fails the same way
        Graph again = Kir.parse(repro);
        assertThat(again.opHistogram()).containsOnlyKeys("aten::relu", "aten::add.Tensor");
        assertThatThrownBy(() -> pm.run(again, "explode", PassContext.defaults()))
                .hasMessageContaining("cannot handle this add").hasMessageContaining("passes that ran before: (none)");
    }

    @Test
    void aPassThatBreaksTheGraphIsCaughtByVerification(@TempDir Path dir) {
        Graph g = Kir.parse(IR);
        assertThatThrownBy(() -> PassManager.builder().registry(registry()).reproducerDir(dir).build()
                .run(g, "dce,corrupt", PassContext.defaults()))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("pass 'corrupt' left a graph that does not verify")
                .hasMessageContaining("node c (aten::add.Tensor)")
                .hasMessageContaining("passes that ran before: dce");
        // with verification off, nothing checks
        Graph h = Kir.parse(IR);
        PassManager.builder().registry(registry()).verify(false).build().run(h, "corrupt", PassContext.defaults());
        Node add = h.nodesOf("aten::add.Tensor").get(0);
        assertThat(add.arg(1)).isEqualTo(new Arg.IntLit(3));
    }

    @Test
    void stepOptionsOverrideContextOptionsOnlyForThatStep() {
        PassContext ctx = PassContext.builder().options(new PassOptions().set("max-bytes", "0")).build();
        Graph g = Kir.parse("""
                graph @g(%x: tensor<f32, [2]>) {
                  %z : tensor<f32, [2]> = aten::zeros([2], dtype<f32>, none, none, none)
                  %y : tensor<f32, [2]> = aten::add.Tensor(%x, %z, 1)
                  return %y
                }
                """);
        PassManager.builder().build().run(g, "fold-constants", ctx);
        assertThat(g.opHistogram()).containsKey("aten::zeros");
        PassManager.builder().build().run(g, "fold-constants{max-bytes=8}", ctx);
        assertThat(g.opHistogram()).doesNotContainKey("aten::zeros");
        assertThat(ctx.options().get(new dev.kiln.passes.fold.FoldConstants(), dev.kiln.passes.fold.FoldConstants.MAX_BYTES))
                .isEqualTo(0L);
    }

    @Test
    void theDefaultPipelineParsesAndTakesShapePropagationWhenPresent() {
        assertThat(Pipeline.parse(Pipelines.DEFAULT, PassRegistry.standard()).toString()).isEqualTo(Pipelines.DEFAULT);
        // the standard registry has the real propagate-shapes pass; without it the default stays as is
        String withShapes = Pipelines.defaultFor(PassRegistry.standard());
        List<Pass> others = new ArrayList<>(PassRegistry.standard().all());
        others.removeIf(p -> p.name().equals(Pipelines.PROPAGATE_SHAPES));
        assertThat(Pipelines.defaultFor(PassRegistry.of(others.toArray(Pass[]::new)))).isEqualTo(Pipelines.DEFAULT);
        assertThat(withShapes).startsWith("propagate-shapes,canonicalize").contains(",propagate-shapes,precision,");
    }
}
