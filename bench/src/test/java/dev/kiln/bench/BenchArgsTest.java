package dev.kiln.bench;

import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchArgsTest {
    @Test
    void runDefaults() {
        BenchArgs a = BenchArgs.parse("run", "--work", "/tmp/w");
        assertThat(a.command()).isEqualTo("run");
        assertThat(a.work()).isEqualTo(Path.of("/tmp/w"));
        assertThat(a.groups()).containsExactly("kiln", "onnx", "graph", "compile-time", "overhead", "turns");
        assertThat(a.precisions()).containsExactly("fp32", "fp16");
        assertThat(a.models()).isEmpty();
        assertThat(a.iters()).isEqualTo(300);
        assertThat(a.warmup()).isEqualTo(50);
        assertThat(a.quick()).isFalse();
        assertThat(a.out()).isEmpty();
        assertThat(a.sharedCache()).isFalse();
        assertThat(a.redo()).isFalse();
        assertThat(BenchArgs.parse("run", "--redo", "--work", "w").redo()).isTrue();
        assertThat(a.fp32Acc()).isFalse();
        assertThat(BenchArgs.parse("run", "--work", "w", "--fp32-acc").fp32Acc()).isTrue();
    }

    @Test
    void quickMeansFewerIterationsAndNoWarmCompile() {
        BenchArgs a = BenchArgs.parse("run", "--work", "w", "--quick");
        assertThat(a.iters()).isEqualTo(50);
        assertThat(a.warmup()).isEqualTo(10);
        assertThat(a.groups()).containsExactly("kiln", "onnx", "graph", "overhead", "turns");
        assertThat(a.has("compile-time")).isFalse();
        assertThat(a.sharedCache()).isTrue();
        assertThat(BenchArgs.parse("run", "--work", "w", "--quick", "--shared-cache=false").sharedCache()).isFalse();
        assertThatThrownBy(() -> BenchArgs.parse("run", "--work", "w", "--shared-cache", "yes"))
                .hasMessageContaining("true or false");
    }

    @Test
    void optionsInBothSpellingsAndGroupsInCanonicalOrder() {
        BenchArgs a = BenchArgs.parse("run", "--work=w", "--models", "ResNet50,bert_base", "--batches=1,16",
                "--groups", "overhead,kiln", "--precisions", "fp16", "--iters", "7", "--deadline", "12.5",
                "--out", "o.json", "--kiln-version", "abc123");
        assertThat(a.models()).containsExactly("resnet50", "bert_base");
        assertThat(a.batches()).containsExactly(1, 16);
        assertThat(a.groups()).containsExactly("kiln", "overhead");
        assertThat(a.precisions()).containsExactly("fp16");
        assertThat(a.iters()).isEqualTo(7);
        assertThat(a.deadline()).isEqualTo(12.5);
        assertThat(a.out()).contains(Path.of("o.json"));
        assertThat(a.kilnVersion()).contains("abc123");
    }

    @Test
    void mergeTakesFilesAndAnOutputFolder() {
        BenchArgs a = BenchArgs.parse("merge", "--out", "o", "a.json", "b.json");
        assertThat(a.inputs()).containsExactly(Path.of("a.json"), Path.of("b.json"));
        assertThat(a.out()).contains(Path.of("o"));
    }

    @Test
    void mistakesAreExplained() {
        assertThatThrownBy(BenchArgs::parse).isInstanceOf(KilnException.class).hasMessageContaining("usage");
        assertThatThrownBy(() -> BenchArgs.parse("bench")).hasMessageContaining("unknown command 'bench'");
        assertThatThrownBy(() -> BenchArgs.parse("run")).hasMessageContaining("--work");
        assertThatThrownBy(() -> BenchArgs.parse("run", "--work", "w", "--groups", "kiln,turbo"))
                .hasMessageContaining("unknown group 'turbo'");
        assertThatThrownBy(() -> BenchArgs.parse("run", "--work", "w", "--iters", "0")).hasMessageContaining("positive integer");
        assertThatThrownBy(() -> BenchArgs.parse("run", "--work", "w", "--iters")).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> BenchArgs.parse("run", "--work", "w", "--precisions", "int8"))
                .hasMessageContaining("unknown precision 'int8'");
        assertThatThrownBy(() -> BenchArgs.parse("run", "--work", "w", "--speed", "max")).hasMessageContaining("unknown option --speed");
        assertThatThrownBy(() -> BenchArgs.parse("merge", "--out", "o")).hasMessageContaining("at least one result file");
        assertThatThrownBy(() -> BenchArgs.parse("run", "--work", "w", "--groups", "overhead"))
                .hasMessageContaining("group overhead measures the engines group kiln builds").hasMessageContaining("--groups kiln,overhead");
        assertThatThrownBy(() -> BenchArgs.parse("run", "--work", "w", "--groups", "onnx,compile-time"))
                .hasMessageContaining("--groups kiln,compile-time");
        assertThatThrownBy(() -> BenchArgs.parse("run", "--work", "w", "--groups", "graph")).hasMessageContaining("kiln,graph (or onnx,graph)");
        // turns times the engines an earlier call of the same work folder left: alone it is a run of its own
        assertThat(BenchArgs.parse("run", "--work", "w", "--groups", "turns").groups()).containsExactly("turns");
        assertThat(BenchArgs.parse("run", "--work", "w", "--groups", "onnx,graph").groups()).containsExactly("onnx", "graph");
        assertThat(BenchArgs.GROUPS).containsExactlyElementsOf(List.of("kiln", "onnx", "graph", "compile-time", "overhead", "turns"));
    }

    @Test
    void seedCachesNameAFolder() {
        BenchArgs a = BenchArgs.parse("run", "--work", "w", "--seed-caches", "/tmp/seeds");
        assertThat(a.seedCaches()).contains(java.nio.file.Path.of("/tmp/seeds"));
        assertThat(BenchArgs.parse("run", "--work", "w").seedCaches()).isEmpty();
    }
}
