package dev.kiln.compiler.hybrid;

import dev.kiln.backend.tensorrt.EngineOptions;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.compiler.Kiln;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Value;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Engine builds in a child JVM: what the child reads is what the parent had, an error in the child is a
 * {@link KilnException} in the parent, and a child that dies in native code fails the compile with a
 * message (the parent lives on). TensorRT itself is exercised on the GPU machine; here the real worker
 * stops at "no TensorRT / no GPU", which it reports like any build error.
 */
class IsolatedBuildsTest {
    @TempDir
    Path dir;

    private Graph dynbatch() throws IOException {
        return Kiln.load(FixtureFiles.copy("dynbatch.pt2", dir.resolve("dynbatch.pt2")));
    }

    @Test
    void theChildReadsTheGraphItsWeightsAndTheOptionsThatWereWritten() throws IOException {
        Graph g = dynbatch();
        EngineOptions o = EngineOptions.defaults().withPrecision(Precision.FP16).withInputs(List.of(InputSpec.parse("x0=1..4..16x8")))
                .withWorkspaceBytes(1 << 30).withOptimizationLevel(2).withTimingCache(dir.resolve("t.cache")).withDetailedLayerInfo(true)
                .withSparseWeights(true);
        Path work = Files.createDirectory(dir.resolve("work"));
        IsolatedBuilds.write(work, g, o);
        Graph back = IsolatedBuilds.readGraph(work);
        // every constant's values too (printed in full)
        IrPrinter.Options all = IrPrinter.Options.elidingOver(Integer.MAX_VALUE);
        assertThat(IrPrinter.print(back, all)).isEqualTo(IrPrinter.print(g, all));
        assertThat(g.constants()).isNotEmpty();
        for (int i = 0; i < g.constants().size(); i++) {
            Value a = g.constants().get(i);
            Value b = back.constants().get(i);
            assertThat(b.constant().orElseThrow().contentEquals(a.constant().orElseThrow())).as(a.name()).isTrue();
        }
        EngineOptions ob = IsolatedBuilds.readOptions(work);
        assertThat(ob.precision()).isEqualTo(Precision.FP16);
        assertThat(ob.inputs()).isEqualTo(o.inputs());
        assertThat(ob.workspaceBytes()).isEqualTo(1 << 30);
        assertThat(ob.optimizationLevel()).isEqualTo(2);
        assertThat(ob.timingCache()).contains(dir.resolve("t.cache").toAbsolutePath());
        assertThat(ob.detailedLayerInfo()).isTrue();
        assertThat(ob.sparseWeights()).isTrue();
        // a build file from before sparse weights reads as dense
        IsolatedBuilds.write(work, g, o.withSparseWeights(false));
        assertThat(IsolatedBuilds.readOptions(work).sparseWeights()).isFalse();
    }

    @Test
    void anErrorInTheChildIsAKilnExceptionHere() throws IOException {
        Graph g = dynbatch();
        // no GPU (or no TensorRT) on this machine: the child's EngineBuilder says so, and so does the parent
        assertThatThrownBy(() -> IsolatedBuilds.attempt(g, EngineOptions.defaults(), IsolatedBuilds.class.getName()))
                .isInstanceOf(KilnException.class)
                .satisfies(e -> System.out.println("child error: " + e.getMessage()))
                .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("TensorRT", "CUDA", "GPU", "libnvinfer", "cudart")
                        .doesNotContain("does not parse").doesNotContain("ended without a result"));
    }

    @Test
    void aChildThatCrashesInNativeCodeFailsTheCompileAndKeepsItsFiles() throws IOException {
        Graph g = dynbatch();
        assertThatThrownBy(() -> IsolatedBuilds.attempt(g, EngineOptions.defaults(), CrashingWorker.class.getName()))
                .isInstanceOf(KilnException.class)
                .satisfies(e -> {
                    String m = e.getMessage();
                    System.out.println("child crash: " + m);
                    assertThat(m).contains("graph " + g.name()).contains("ended without a result").contains("crashed in native code")
                            .contains("SIGSEGV").containsPattern("\\[[CVJ] +\\[?").contains("aten::").contains("not in the model").contains("kiln-build-");
                    Matcher kept = Pattern.compile("files kept in (\\S+)").matcher(m);
                    assertThat(kept.find()).isTrue();
                    Path folder = Path.of(kept.group(1));
                    assertThat(folder.resolve("hs_err.log")).exists();
                    assertThat(folder.resolve("graph.kir")).exists();
                    try (var files = Files.walk(folder)) {
                        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                    }
                });
    }

    @Test
    void aChildThatExitsWithoutAResultSaysHow() throws IOException {
        Graph g = dynbatch();
        assertThatThrownBy(() -> IsolatedBuilds.attempt(g, EngineOptions.defaults(), ExitingWorker.class.getName()))
                .isInstanceOf(KilnException.class).hasMessageContaining("exit status 3").hasMessageContaining("out of builders");
    }

    @Test
    void theChildGetsTheClassPathKilnWasLoadedFrom() throws Exception {
        // as under JUnit's console launcher: Kiln comes from a URL class loader, and java.class.path names only the launcher
        List<java.net.URL> urls = new java.util.ArrayList<>();
        for (Class<?> c : List.of(IsolatedBuilds.class, KilnException.class, EngineOptions.class, Precision.class, org.slf4j.LoggerFactory.class,
                com.fasterxml.jackson.databind.ObjectMapper.class,
                com.fasterxml.jackson.core.JsonFactory.class, com.fasterxml.jackson.annotation.JsonInclude.class)) {
            urls.add(c.getProtectionDomain().getCodeSource().getLocation());
        }
        try (java.net.URLClassLoader app = new java.net.URLClassLoader(urls.toArray(new java.net.URL[0]),
                ClassLoader.getPlatformClassLoader())) {
            Class<?> c = Class.forName(IsolatedBuilds.class.getName(), true, app);
            assertThat(c.getClassLoader()).isSameAs(app);
            java.lang.reflect.Method m = c.getDeclaredMethod("childClassPath");
            m.setAccessible(true);
            String cp = (String) m.invoke(null);
            assertThat(cp.split(java.io.File.pathSeparator)).startsWith(Path.of(urls.get(0).toURI()).toString());
        }
        System.setProperty("kiln.build.classpath", "/opt/app/lib/*");
        try {
            assertThat(IsolatedBuilds.childClassPath()).isEqualTo("/opt/app/lib/*");
        } finally {
            System.clearProperty("kiln.build.classpath");
        }
    }

    /** Dies the way TensorRT's builder did: a SIGSEGV in native code, with a JVM crash report. */
    public static final class CrashingWorker {
        public static void main(String[] args) throws Exception {
            Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object unsafe = f.get(null);
            unsafe.getClass().getMethod("putLong", long.class, long.class).invoke(unsafe, 0L, 42L);
        }
    }

    /** Ends without writing a result. */
    public static final class ExitingWorker {
        public static void main(String[] args) {
            System.err.println("out of builders");
            System.exit(3);
        }
    }
}
