package dev.kiln.cli;

import dev.kiln.backend.tensorrt.ConversionContext;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BuildCommandsTest {
    static final class Relu implements OpConverter {
        @Override
        public String op() {
            return "aten::relu";
        }

        @Override
        public Set<DType> supportedDTypes() {
            return Set.of(DType.FLOAT16, DType.FLOAT32);
        }

        @Override
        public String limits() {
            return "none";
        }

        @Override
        public void convert(ConversionContext ctx, Node node) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void parsesByteSizes() {
        assertThat(CompileCommand.parseBytes("1000")).isEqualTo(1000);
        assertThat(CompileCommand.parseBytes("4G")).isEqualTo(4L << 30);
        assertThat(CompileCommand.parseBytes("512MiB")).isEqualTo(512L << 20);
        assertThat(CompileCommand.parseBytes("64kb")).isEqualTo(64L << 10);
        assertThatThrownBy(() -> CompileCommand.parseBytes("lots")).isInstanceOf(KilnException.class)
                .hasMessageContaining("K, M, G or T");
    }

    @Test
    void convertersJsonListsEveryConverterInOrder() {
        ConverterRegistry r = ConverterRegistry.builder().add(new Relu()).build();
        List<Map<String, Object>> j = ConvertersCommand.json(r);
        assertThat(j).hasSize(1);
        assertThat(j.get(0)).containsEntry("op", "aten::relu").containsEntry("priority", 0)
                .containsEntry("dynamicShapes", true).containsEntry("dtypes", List.of("f16", "f32"))
                .containsEntry("class", Relu.class.getName()).containsEntry("limits", "none");
    }

    @Test
    void convertersCommandPrintsTheRegistryInBothFormats() {
        for (String format : new String[] {"text", "json"}) {
            StringWriter sw = new StringWriter();
            CommandLine cl = KilnCli.commandLine();
            cl.setOut(new PrintWriter(sw));
            assertThat(cl.execute("converters", "--format", format)).isZero();
            int n = ConverterRegistry.standard().size();
            if (format.equals("text")) {
                assertThat(sw.toString()).contains(n + " converters for ");
            } else {
                assertThat(sw.toString().strip()).startsWith("[").endsWith("]");
            }
        }
        StringWriter err = new StringWriter();
        CommandLine cl = KilnCli.commandLine();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("converters", "--format", "xml")).isEqualTo(1);
        assertThat(err.toString()).contains("kiln: unknown format 'xml'");
    }

    @Test
    void compileReportsBadArgumentsAsOneLine() {
        StringWriter err = new StringWriter();
        CommandLine cl = KilnCli.commandLine();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("compile", "does-not-exist.pt2", "-o", "x.engine")).isEqualTo(1);
        assertThat(err.toString()).contains("kiln: does-not-exist.pt2: no such model file");
        assertThat(KilnCli.commandLine().execute("compile", "m.pt2")).isEqualTo(2); // -o missing: usage error
    }
}
