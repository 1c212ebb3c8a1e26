package dev.kiln.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bench/run.sh --gpus N}, the way the whole bench fits a machine with several GPUs, run here with stub
 * {@code nvidia-smi}, {@code python3} and {@code java} (this machine has no GPU): the models are split between the
 * runs without overlap, each run sees one GPU, its own work folder and its own share of the CPU cores, and one merge
 * puts the runs' results together.
 */
class RunShTest {
    static final Path RUN = Path.of("run.sh").toAbsolutePath();

    static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void severalGpusSplitTheModelsPinEachRunAndMergeOnce(@TempDir Path tmp) throws Exception {
        assertThat(RUN).as("run from the bench module").isRegularFile();
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path calls = tmp.resolve("calls.txt");
        script(bin.resolve("nvidia-smi"), "echo '0, NVIDIA H200, GPU-0, 580'; echo '1, NVIDIA H200, GPU-1, 580'");
        script(bin.resolve("python3"), "echo \"python gpu=$CUDA_VISIBLE_DEVICES run=$BENCH_RUN_ID threads=$TORCHINDUCTOR_COMPILE_THREADS cores=$(taskset -pc $$"
                + " | sed 's/.*: //') $*\" >> " + calls + "\ncase \"$*\" in *--pending*) echo 0 ;; esac");
        script(bin.resolve("java"), "echo \"java $*\" >> " + calls);
        Path out = tmp.resolve("out");
        ProcessBuilder pb = new ProcessBuilder("bash", RUN.toString(), "--gpus", "2", "--group", "export", "--budget", "40")
                .directory(tmp.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("JAVA", bin.resolve("java").toString());
        pb.environment().put("CP", "x");
        pb.environment().put("OUT", out.toString());
        pb.environment().put("BENCH_WORK", tmp.resolve("work").toString());
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();

        String gpus = Files.readString(out.resolve("gpus.txt"));
        assertThat(gpus).contains("bench: GPU 0 runs ").contains("bench: GPU 1 runs ").contains(" on cores ");
        List<String> lines = Files.readAllLines(calls);
        // each run's python sees its GPU, its work folder and its models; together they are the six, once each
        Set<String> models = new HashSet<>();
        for (int gpu = 0; gpu < 2; gpu++) {
            String prefix = "python gpu=" + gpu + " ";
            List<String> mine = lines.stream().filter(l -> l.startsWith(prefix) && l.contains("export_and_time.py")).toList();
            assertThat(mine).as("GPU " + gpu).isNotEmpty();
            String call = mine.get(0);
            assertThat(call).contains(tmp.resolve("work").resolve("gpu" + gpu).toString());
            String share = call.replaceAll(".*--models ([^ ]+).*", "$1");
            for (String m : share.split(",")) {
                assertThat(models.add(m)).as(m + " on one GPU only").isTrue();
            }
            // pinned: one core's share each on this machine, and as many compile threads
            long cores = Runtime.getRuntime().availableProcessors();
            assertThat(call).contains("threads=" + Math.max(1, cores / 2) + " ");
        }
        assertThat(models).containsExactlyInAnyOrderElementsOf(Results.MODELS);
        // one run: both GPUs' results carry the same run id
        Set<String> ids = new HashSet<>();
        lines.stream().filter(l -> l.startsWith("python ")).forEach(l -> ids.add(l.replaceAll(".* run=(\\S*) .*", "$1")));
        assertThat(ids).hasSize(1).allSatisfy(id -> assertThat(id).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"));
        // each run merges its own results; then one merge of both into $OUT
        List<String> merges = new ArrayList<>(lines.stream().filter(l -> l.startsWith("java ") && l.contains(" merge --out ")).toList());
        assertThat(merges).anyMatch(l -> l.contains("--out " + out.resolve("gpu0")))
                .anyMatch(l -> l.contains("--out " + out.resolve("gpu1")))
                .anyMatch(l -> l.contains("--out " + out + " ") || l.endsWith("--out " + out));
    }

    /** run.sh with the given arguments, stub python3 and nvidia-smi on the PATH and no JAVA; returns exit status and output. */
    static Object[] runWithoutJava(Path tmp, String... args) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        script(bin.resolve("nvidia-smi"), "echo 'NVIDIA H200, 580'");
        // the stub writes a torch.json into the work folder it is given, as export_and_time.py does
        script(bin.resolve("python3"), "case \"$*\" in *--pending*) echo 0; exit 0 ;; esac\n"
                + "case \"$*\" in *--batches=32*) echo 'export_and_time.py: error: ambiguous option: --batches=32' >&2; exit 2 ;; esac\n"
                + "mkdir -p \"$2/results\" && echo '{\"source\": \"torch\", \"measurements\": []}' > \"$2/results/torch.json\"\n"
                + "echo \"$BENCH_RUN_ID\" >> \"$2/run-ids.txt\"; echo \"$*\" >> \"$2/python-args.txt\"");
        List<String> cmd = new ArrayList<>(List.of("bash", RUN.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().remove("JAVA");
        pb.environment().put("OUT", tmp.resolve("out").toString());
        pb.environment().put("BENCH_WORK", tmp.resolve("work").toString());
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Object[] {p.exitValue(), log};
    }

    @Test
    void thePyTorchGroupsRunWithoutJavaAndLeaveTorchJson(@TempDir Path tmp) throws Exception {
        Object[] r = runWithoutJava(tmp, "--group", "export,autotune", "--models", "resnet50", "--budget", "90");
        assertThat((int) r[0]).as((String) r[1]).isZero();
        assertThat(tmp.resolve("out").resolve("torch.json")).content().contains("\"source\": \"torch\"");
        assertThat((String) r[1]).doesNotContain("merge failed").doesNotContain("invalid option")
                .contains("python export").contains("python autotune");
    }

    @Test
    void callsThatContinueAWorkFolderAreOneRun(@TempDir Path tmp) throws Exception {
        for (int call = 0; call < 2; call++) {
            Object[] r = runWithoutJava(tmp, "--group", "export", "--models", "resnet50", "--budget", "60");
            assertThat((int) r[0]).as((String) r[1]).isZero();
        }
        Path work = tmp.resolve("work");
        String id = Files.readString(work.resolve("run-id")).strip();
        assertThat(id).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        List<String> seen = Files.readAllLines(work.resolve("run-ids.txt"));
        assertThat(seen).hasSizeGreaterThanOrEqualTo(2).containsOnly(id);
        // the host as each call found it, appended: which cores, how busy, the GPU's clocks (stub nvidia-smi here)
        List<String> host = Files.readAllLines(work.resolve("logs").resolve("host.txt"));
        assertThat(host.stream().filter(l -> l.startsWith("--- ") && l.endsWith(" start"))).hasSize(2);
        assertThat(host.stream().filter(l -> l.startsWith("nproc ") && l.contains("loadavg "))).hasSize(2);
        assertThat(host).contains("NVIDIA H200, 580");
    }

    @Test
    void resumeNeedsAnEarlierTorchJsonAndHandsItToPython(@TempDir Path tmp) throws Exception {
        Object[] missing = runWithoutJava(tmp, "--group", "autotune", "--models", "resnet50", "--budget", "60",
                "--resume", tmp.resolve("nowhere.json").toString());
        assertThat((int) missing[0]).isEqualTo(2);
        assertThat((String) missing[1]).contains("--resume " + tmp.resolve("nowhere.json") + ": no such file");
        Path earlier = Files.writeString(tmp.resolve("earlier.json"), "{}");
        Object[] r = runWithoutJava(tmp, "--group", "autotune", "--models", "resnet50", "--budget", "60",
                "--resume", earlier.toString());
        assertThat((int) r[0]).as((String) r[1]).isZero();
        assertThat(tmp.resolve("work").resolve("python-args.txt")).content()
                .contains("--resume " + earlier + " --gpu NVIDIA H200");
    }

    @Test
    void argumentsThePythonScriptRefusesStopTheCall(@TempDir Path tmp) throws Exception {
        Object[] r = runWithoutJava(tmp, "--group", "export,autotune", "--models", "resnet50", "--budget", "60", "--py", "--batches=32");
        assertThat((int) r[0]).as((String) r[1]).isEqualTo(2);
        assertThat((String) r[1]).contains("ambiguous option: --batches=32")
                .contains("export_and_time.py refused its arguments (its usage above): nothing measured; fix the --py options")
                .doesNotContain("python autotune").doesNotContain("=== bench: done");
    }

    @Test
    void theTensorRtGroupsWithoutJavaSayWhatToDo(@TempDir Path tmp) throws Exception {
        Object[] r = runWithoutJava(tmp, "--models", "resnet50", "--budget", "60");
        assertThat((int) r[0]).isEqualTo(2);
        assertThat((String) r[1]).contains("JAVA is not set").contains("kiln,onnx,graph,compile-time,overhead,turns")
                .contains(".gpu/device.sh");
    }
}
