package dev.kiln.tck.builtin;

import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.tck.ConverterConformance;
import dev.kiln.tck.OpDomain;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every converter registered in the standard registry is named by a domain of some conformance test
 * of this package: a new converter without a conformance test fails the build.
 */
class CoverageTest {

    @Test
    void everyRegisteredConverterHasAConformanceTest() throws Exception {
        Set<String> covered = new TreeSet<>();
        for (ConverterConformance c : conformanceTests()) {
            Method m = ConverterConformance.class.getDeclaredMethod("domains");
            m.setAccessible(true);
            @SuppressWarnings("unchecked")
            List<OpDomain> ds = (List<OpDomain>) m.invoke(c);
            ds.forEach(d -> covered.add(d.name()));
        }
        List<String> missing = new ArrayList<>();
        ConverterRegistry r = ConverterRegistry.standard();
        for (String op : r.ops()) {
            for (OpConverter c : r.forOp(op)) {
                if (c.getClass().getName().startsWith("dev.kiln.") && !covered.contains(op)) {
                    missing.add(op + " (" + c.getClass().getName() + ")");
                }
            }
        }
        assertThat(missing).as("converters without a conformance test in dev.kiln.tck.builtin").isEmpty();
        assertThat(conformanceTests()).hasSizeGreaterThanOrEqualTo(6);
    }

    /** The *ConformanceTest classes of this package, found on disk next to this class. */
    static List<ConverterConformance> conformanceTests() throws Exception {
        URL here = CoverageTest.class.getResource("CoverageTest.class");
        Path dir = Path.of(here.toURI()).getParent();
        List<ConverterConformance> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith("ConformanceTest.class") && !name.contains("$")) {
                    Class<?> c = Class.forName(CoverageTest.class.getPackageName() + "." + name.replace(".class", ""));
                    Constructor<?> k = c.getDeclaredConstructor();
                    k.setAccessible(true);
                    out.add((ConverterConformance) k.newInstance());
                }
            }
        }
        return out;
    }
}
