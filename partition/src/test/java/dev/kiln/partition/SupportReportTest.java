package dev.kiln.partition;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.SourceLocation;
import dev.kiln.ir.Value;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Golden text and JSON reports (rewrite with -Dkiln.golden.update=true), and the HTML page's content. */
class SupportReportTest {
    static final Path GOLDEN = Path.of("src/test/resources/dev/kiln/partition");

    static Partition defaults() {
        return Partitioner.partition(PartitionerTest.chain(), PartitionerTest.NO_SIN, PartitionSettings.defaults());
    }

    static Partition overrides() {
        Graph g = PartitionerTest.chain();
        g.nodes().get(0).setLocation(new SourceLocation("model.py", 12, "x = torch.relu(x)"));
        PartitionSettings s = PartitionSettings.defaults().withMinBlockSize(1).withTorchOps(List.of("aten::exp"))
                .withTorchNodes(List.of("op7"));
        return Partitioner.partition(g, PartitionerTest.NO_SIN, s);
    }

    @Test
    void textGolden() throws IOException {
        golden("chain.txt", SupportReport.text(defaults()));
        golden("chain-overrides.txt", SupportReport.text(overrides()));
    }

    @Test
    void jsonGolden() throws IOException {
        golden("chain.json", SupportReport.json(defaults()));
        golden("chain-overrides.json", SupportReport.json(overrides()));
    }

    @Test
    void everyKindOfReasonAppears() {
        // a node the compiler keeps out of the backend though its converter accepts it
        Graph g = PartitionerTest.chain();
        String kept = g.nodes().get(2).name();
        Capability moving = n -> n.name().equals(kept) ? Capability.Verdict.moved("TensorRT found no way to build it")
                : PartitionerTest.NO_SIN.check(n);
        Partition moved = Partitioner.partition(g, moving, PartitionSettings.defaults().withMinBlockSize(1));
        assertThat(moved.placements().get(2).why()).isEqualTo(Why.MOVED);
        assertThat(moved.placements().get(2).target()).isEqualTo(Target.TORCH);
        String t = SupportReport.text(defaults()) + SupportReport.text(overrides()) + SupportReport.text(moved);
        for (Why w : Why.values()) {
            assertThat(t).contains(" " + w.text() + " ");
        }
    }

    @Test
    void htmlShowsEveryNodeAndNeedsNoNetwork() {
        Partition p = overrides();
        String html = SupportReport.html(p);
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg").contains("</svg>").endsWith("</html>\n");
        for (Placement pl : p.placements()) {
            assertThat(html).contains(">" + pl.node().name() + "<").contains(SupportReport.esc(pl.reason()));
        }
        assertThat(html.split("<g class=\"node ", -1)).hasSize(p.placements().size() + 1);
        assertThat(html).doesNotContain("<script").doesNotContain("src=").doesNotContain("href=").doesNotContain("@import");
        assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http");
    }

    @Test
    void htmlEscapesNames() {
        Graph g = new Graph("<g&>");
        Value x = g.addInput("x", TestGraphs.T);
        Node n = TestGraphs.unary(g, "aten::relu", x, "a<b>&\"c\"");
        g.setOutputs(List.of(n.output()));
        Partition p = Partitioner.partition(g, PartitionerTest.NO_SIN, PartitionSettings.defaults());
        String html = SupportReport.html(p);
        assertThat(html).contains("a&lt;b&gt;&amp;&quot;c&quot;").doesNotContain("a<b>");
        assertThat(SupportReport.json(p)).contains("\"a<b>&\\\"c\\\"\"");
    }

    static void golden(String name, String actual) throws IOException {
        Path f = GOLDEN.resolve(name);
        if (Boolean.getBoolean("kiln.golden.update")) {
            Files.createDirectories(f.getParent());
            Files.writeString(f, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).isEqualTo(Files.readString(f, StandardCharsets.UTF_8));
    }
}
