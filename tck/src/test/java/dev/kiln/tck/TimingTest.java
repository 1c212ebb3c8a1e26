package dev.kiln.tck;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where a converter's GPU conformance run spends its time outside TensorRT: runs the GPU path
 * ({@code runDomain}) with a dry {@link EngineRun} (build = the builder's CPU checks and profile, run =
 * libtorch's outputs) and prints the report line with its time breakdown, per converter, cold then warm.
 * In every build it runs small (two converters, 16 cases, one round: about 2 s) and checks that the GPU path
 * runs through and reports its breakdown; for the full timing (a minute):
 * <pre>{@code mvn -o test -pl tck -Dtest=TimingTest -Dkiln.tck.timing=true [-Dkiln.tck.ops=aten::abs|all] [-Dkiln.tck.cases=256]}</pre>
 */
class TimingTest {
    static final List<String> BUILTIN = List.of("Unary", "Binary", "ConvPoolNorm", "NnMisc", "Reduction", "Shape");
    static final String DEFAULT_OPS = "aten::abs,aten::add.Tensor,aten::conv2d,aten::cumsum,aten::softmax.int";
    /** What every build runs: a unary op and a convolution (with its symbolic cases). */
    static final String SMALL_OPS = "aten::abs,aten::conv2d";

    @Test
    void breakdownWithoutTensorRt() throws Exception {
        boolean timing = Boolean.getBoolean("kiln.tck.timing");
        String wanted = timing ? System.getProperty("kiln.tck.ops", DEFAULT_OPS) : SMALL_OPS;
        List<String> ops = wanted.equals("all") ? allBuiltIn() : List.of(wanted.split("\\s*,\\s*"));
        int cases = timing ? Integer.getInteger("kiln.tck.cases", 256) : 16;
        TckConfig cfg = new TckConfig(cases, timing ? Integer.getInteger("kiln.tck.dynamicCases", 16) : 4,
                Math.max(1, Integer.getInteger("kiln.tck.batch", 256)), 0, ops, Long.getLong("kiln.tck.seed", 42), 6, 0,
                Path.of("target/tck-reproducers"), 0, 1);
        int rounds = timing ? Integer.getInteger("kiln.tck.timingRounds", 2) : 1;
        List<String> lines = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (String op : ops) {
                ConverterConformance[] owner = new ConverterConformance[1];
                OpDomain d = find(op, owner);
                ConverterConformance.DomainReport[] rep = new ConverterConformance.DomainReport[1];
                ConverterConformance.inSession(() -> rep[0] = owner[0].runDomain(d, cfg, new EngineRun(owner[0].registry(), 0, true)));
                String line = String.format(Locale.ROOT, "round=%d %s", round, rep[0].line());
                System.out.println(line);
                lines.add(line);
                assertThat(rep[0].failures()).as(rep[0].details().toString()).isZero();
                // the line the GPU run prints, with every part of the breakdown
                assertThat(rep[0].line()).startsWith("TCK converter=" + op + " cases=").contains(" engines=")
                        .contains(" gen_s=", " ref_s=", " check_s=", " pack_s=", " build_s=", " run_s=", " compare_s=", " builds=");
                assertThat(rep[0].engines()).isPositive();
            }
        }
        lines.add("torch intra-op threads=" + org.bytedeco.pytorch.global.torch.get_num_threads() + " OS threads=" + osThreads());
        System.err.println(String.join("\n", lines));
    }

    static long osThreads() {
        try (var s = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
            return s.count();
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Every built-in domain's name. */
    static List<String> allBuiltIn() throws Exception {
        List<String> out = new ArrayList<>();
        for (String kind : BUILTIN) {
            Class<?> c = Class.forName("dev.kiln.tck.builtin." + kind + "ConformanceTest");
            Constructor<?> k = c.getDeclaredConstructor();
            k.setAccessible(true);
            Method m = c.getDeclaredMethod("domains");
            m.setAccessible(true);
            for (Object o : (List<?>) m.invoke(k.newInstance())) {
                out.add(((OpDomain) o).name());
            }
        }
        return out;
    }

    /** The built-in domain named {@code op} and the conformance class declaring it. */
    static OpDomain find(String op, ConverterConformance[] owner) throws Exception {
        for (String kind : BUILTIN) {
            Class<?> c = Class.forName("dev.kiln.tck.builtin." + kind + "ConformanceTest");
            Constructor<?> k = c.getDeclaredConstructor();
            k.setAccessible(true);
            ConverterConformance cc = (ConverterConformance) k.newInstance();
            Method m = c.getDeclaredMethod("domains");
            m.setAccessible(true);
            for (Object o : (List<?>) m.invoke(cc)) {
                if (((OpDomain) o).name().equals(op)) {
                    owner[0] = cc;
                    return (OpDomain) o;
                }
            }
        }
        throw new IllegalArgumentException("no built-in domain for " + op);
    }
}
