package dev.kiln.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.ir.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelRunnerTest {
    @Test
    void kernelsAloneOnAWorkFolderWithoutEnginesIsRefusedWithTheGroupsToName(@TempDir Path work) throws Exception {
        Path models = Files.createDirectories(work.resolve("models"));
        Files.writeString(models.resolve("manifest.json"),
                "{\"entries\": [{\"model\": \"bert_base\", \"batch\": 1, \"npz\": \"bert_base_b1.npz\"}]}");
        assertThatThrownBy(() -> Main.run(BenchArgs.parse("kernels", "--work", work.toString(), "--out", work.resolve("out").toString())))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining(work.resolve("engines").toString())
                .hasMessageContaining("bert_base_b1")
                .hasMessageContaining("--group export,kiln,onnx,kernels");
        assertThat(work.resolve("out").resolve("kernels.md")).doesNotExist();
    }

    @Test
    void oneEngineOfTheAskedPrecisionsIsEnough(@TempDir Path work) throws Exception {
        Path engines = Files.createDirectories(work.resolve("engines"));
        GpuRunner.Entry e = new GpuRunner.Entry("bert_base", 1, "", "", "", "bert_base_b1.npz", "");
        Files.write(engines.resolve(e.key() + "-onnx-trt-fp16.engine"), new byte[] {1});
        assertThatCode(() -> KernelRunner.requireEngines(engines, List.of(e), List.of("fp32", "fp16"))).doesNotThrowAnyException();
        assertThatThrownBy(() -> KernelRunner.requireEngines(engines, List.of(e), List.of("fp32")))
                .isInstanceOf(KilnException.class).hasMessageContaining("[fp32]");
    }
}
