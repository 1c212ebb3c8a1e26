package dev.kiln.compiler.hybrid;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code .kiln} format and every way a file can be refused. The checks run before any engine is
 * deserialized, so the engine here is fake bytes: nothing in this class runs an engine.
 */
class KilnArchiveTest {
    static final Platform H200 = new Platform("10.6.0", "12.6", "NVIDIA H200", "9.0");

    @TempDir
    Path dir;

    /** Slot 0 = x (input), 1 = engine output, 2 = torch output, 3 = a constant output. */
    static Program program() {
        Graph g = IrParser.parse("""
                graph @seg1(%a: tensor<f32, [2, 2]>) {
                  const %w : tensor<f32, [2, 2]> = dense<"0x0000803F000000400000404000008040">
                  %y : tensor<f32, [2, 2]> = aten::add.Tensor(%a, %w, 1)
                  return %y
                }
                """, "seg1", SchemaRegistry.standard());
        ByteBuffer plan = ByteBuffer.wrap("fake engine bytes".getBytes(StandardCharsets.US_ASCII));
        return new Program("m", List.of(new Program.Slot("x", "tensor<f32, [2, 2]>"), new Program.Slot("a", "tensor<f32, [2, 2]>"),
                new Program.Slot("y", "tensor<f32, [2, 2]>"), new Program.Slot("c", "tensor<f32, [1]>")),
                List.of(0), List.of(2, 3, 1), Map.of(3, ConstantTensor.ofFloats(new long[] {1}, 7f)),
                List.of(new Program.EngineStage("seg0", List.of(0), List.of(1), plan, 3, "abc"),
                        new Program.TorchStage("seg1", List.of(1), List.of(2), g)),
                Map.of("s0", new Program.SymbolRange(2, 64), "s1", new Program.SymbolRange(0, dev.kiln.ir.Symbol.UNBOUNDED)));
    }

    Path write(Program p) {
        Path f = dir.resolve("m.kiln");
        KilnArchive.write(f, new KilnArchive.Contents(p, Optional.of(H200), "fp32", List.of("x0=2x2"), "graph @m() {}\n", "0.1.0"));
        return f;
    }

    @Test
    void roundTripsTheProgram() throws IOException {
        Path f = write(program());
        KilnArchive.Contents c = KilnArchive.read(f, () -> H200);
        Program p = c.program();
        assertThat(p.slots()).isEqualTo(program().slots());
        assertThat(p.outputs()).containsExactly(2, 3, 1);
        assertThat(p.constants().get(3).contentEquals(ConstantTensor.ofFloats(new long[] {1}, 7f))).isTrue();
        Program.EngineStage e = (Program.EngineStage) p.stages().get(0);
        assertThat(StandardCharsets.US_ASCII.decode(e.plan()).toString()).isEqualTo("fake engine bytes");
        assertThat(e.cacheKey()).isEqualTo("abc");
        assertThat(p.symbols()).isEqualTo(program().symbols());
        Program.TorchStage t = (Program.TorchStage) p.stages().get(1);
        assertThat(IrPrinter.print(t.graph())).isEqualTo(IrPrinter.print(((Program.TorchStage) program().stages().get(1)).graph()));
        assertThat(c.platform()).contains(H200);
        assertThat(c.inputSpecs()).containsExactly("x0=2x2");
        assertThat(c.precision()).isEqualTo("fp32");
        try (ZipFile z = new ZipFile(f.toFile())) {
            assertThat(z.entries().nextElement().getName()).isEqualTo("manifest.json");
            String m = new String(z.getInputStream(z.getEntry("manifest.json")).readAllBytes(), StandardCharsets.UTF_8);
            assertThat(m).contains("\"format\" : \"kiln-archive\"").contains("\"compute_capability\" : \"9.0\"")
                    .contains("\"tensorrt_version\" : \"10.6.0\"").contains("engines/seg0.plan").contains("sha256");
        }
        // deterministic: the same contents give the same bytes
        byte[] first = Files.readAllBytes(f);
        assertThat(Files.readAllBytes(write(program()))).isEqualTo(first);
    }

    static final String BRANCHING_STAGE = """
            graph @seg1(%a: tensor<f32, [2, 2]>) {
              const %w : tensor<f32, [2, 2]> = dense<"0x0000803F000000400000404000008040">
              %s : tensor<f32, []> = aten::sum(%a, none)
              %p : tensor<bool, []> = aten::gt.Scalar(%s, 0.0)
              %b : bool = aten::Bool.Tensor(%p)
              %y : tensor<f32, [2, 2]> = kiln::cond(%b, [%a, %w]) {
                graph @then(%x: tensor<f32, [2, 2]>, %c: tensor<f32, [2, 2]>) {
                  %r : tensor<f32, [2, 2]> = aten::mul.Tensor(%x, %c)
                  return %r
                }
                graph @else(%x: tensor<f32, [2, 2]>, %c: tensor<f32, [2, 2]>) {
                  return %c
                }
              }
              return %y
            }
            """;

    @Test
    void aTorchStageWithARunTimeBranchRoundTrips() {
        Program base = program();
        Graph g = IrParser.parse(BRANCHING_STAGE, "seg1", SchemaRegistry.standard());
        Program p = new Program("m", base.slots(), base.inputs(), base.outputs(), base.constants(),
                List.of(base.stages().get(0), new Program.TorchStage("seg1", List.of(1), List.of(2), g)), base.symbols());
        Path f = write(p);
        Graph back = ((Program.TorchStage) KilnArchive.read(f, () -> H200).program().stages().get(1)).graph();
        assertThat(IrPrinter.print(back)).isEqualTo(IrPrinter.print(g));
        for (float sign : new float[] {1f, -1f}) {
            ConstantTensor a = ConstantTensor.ofFloats(new long[] {2, 2}, sign, 2 * sign, 0.5f * sign, sign);
            ConstantTensor want = dev.kiln.passes.eval.GraphEvaluator.run(g, List.of(a)).get(0);
            assertThat(dev.kiln.passes.eval.GraphEvaluator.run(back, List.of(a)).get(0).contentEquals(want)).isTrue();
        }
        // a constant inside a nested graph has no place in the archive: refused by name, nothing written
        Graph nested = IrParser.parse(BRANCHING_STAGE.replace("""
                    return %c
                    """, """
                    const %k : tensor<f32, [2, 2]> = dense<"0x0000803F000000400000404000008040">
                    return %k
                    """), "seg1", SchemaRegistry.standard());
        Program bad = new Program("m", base.slots(), base.inputs(), base.outputs(), base.constants(),
                List.of(base.stages().get(0), new Program.TorchStage("seg1", List.of(1), List.of(2), nested)), base.symbols());
        Path target = dir.resolve("bad.kiln");
        assertThatThrownBy(() -> KilnArchive.write(target, new KilnArchive.Contents(bad, Optional.of(H200), "fp32", List.of(),
                "graph @m() {}\n", "0.1.0")))
                .isInstanceOf(KilnException.class).hasMessageContaining("constant %k inside its nested graph @else");
        assertThat(target).doesNotExist();
    }

    @Test
    void entriesLargerThanOneChunkRoundTripByteForByte() throws IOException {
        // entries are written and read a 1 MiB chunk at a time, straight between native memory and the zip
        byte[] planBytes = new byte[3 * (1 << 20) + 5];
        new java.util.Random(7).nextBytes(planBytes);
        ByteBuffer plan = ByteBuffer.allocateDirect(planBytes.length).put(planBytes).flip();
        int n = 400_001; // 1.6 MB of floats, not a multiple of the chunk
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = i * 0.5f - 3;
        }
        ConstantTensor big = ConstantTensor.ofFloats(new long[] {n}, w);
        Program p = program();
        Program large = new Program("big", p.slots(), p.inputs(), p.outputs(), Map.of(3, big),
                List.of(new Program.EngineStage("seg0", List.of(0), List.of(1), plan, 3, "abc"), p.stages().get(1)), p.symbols());
        Path f = write(large);
        Program back = KilnArchive.read(f, () -> H200).program();
        ByteBuffer got = ((Program.EngineStage) back.stages().get(0)).plan();
        byte[] gotBytes = new byte[got.remaining()];
        got.duplicate().get(gotBytes);
        assertThat(gotBytes).isEqualTo(planBytes);
        assertThat(back.constants().get(3).contentEquals(big)).isTrue();
        // the writer took nothing from the buffers it was given
        assertThat(plan.position()).isZero();
        assertThat(plan.remaining()).isEqualTo(planBytes.length);

        // a byte changed past the first chunk of the plan is caught by its checksum
        Path bad = dir.resolve("bad.kiln");
        try (ZipFile z = new ZipFile(f.toFile()); OutputStream out = Files.newOutputStream(bad);
             ZipOutputStream zo = new ZipOutputStream(out)) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                byte[] b = z.getInputStream(e).readAllBytes();
                if (e.getName().equals("engines/seg0.plan")) {
                    b[(1 << 20) + 17] ^= 1;
                }
                zo.putNextEntry(new ZipEntry(e.getName()));
                zo.write(b);
                zo.closeEntry();
            }
        }
        assertThatThrownBy(() -> KilnArchive.read(bad, () -> H200)).isInstanceOf(KilnException.class)
                .hasMessageContaining("engines/seg0.plan fails its SHA-256 check");
    }

    @Test
    void aTorchOnlyProgramNeedsNoPlatform() {
        Program p = program();
        Program torchOnly = new Program("t", p.slots().subList(1, 3), List.of(0), List.of(1), Map.of(),
                List.of(new Program.TorchStage("seg1", List.of(0), List.of(1), ((Program.TorchStage) p.stages().get(1)).graph())));
        Path f = dir.resolve("t.kiln");
        KilnArchive.write(f, new KilnArchive.Contents(torchOnly, Optional.empty(), "fp32", List.of(), "", "0.1.0"));
        KilnArchive.Contents c = KilnArchive.read(f, () -> {
            throw new AssertionError("a program without engines must not ask for the GPU");
        });
        assertThat(c.program().needsGpu()).isFalse();
    }

    @Test
    void refusesAFileThatIsNotAZip() throws IOException {
        Path f = Files.writeString(dir.resolve("x.kiln"), "hello");
        assertThatThrownBy(() -> KilnArchive.read(f, () -> H200)).isInstanceOf(KilnException.class)
                .hasMessageContaining("x.kiln").hasMessageContaining("not a Kiln archive (not a zip file)");
        assertThatThrownBy(() -> KilnArchive.read(dir.resolve("none.kiln"), () -> H200)).isInstanceOf(KilnException.class)
                .hasMessageContaining("no such Kiln archive");
    }

    @Test
    void refusesAZipWithoutAKilnManifest() throws IOException {
        Path f = FixtureFiles.copy("mlp.pt2", dir.resolve("model.kiln"));
        assertThatThrownBy(() -> KilnArchive.read(f, () -> H200)).isInstanceOf(KilnException.class)
                .hasMessageContaining("model.kiln").hasMessageContaining("not a Kiln archive").hasMessageContaining("manifest.json");
        Path other = rewrite(write(program()), "manifest.json", m -> m.replace("kiln-archive", "something-else"));
        assertThatThrownBy(() -> KilnArchive.read(other, () -> H200)).isInstanceOf(KilnException.class)
                .hasMessageContaining("not a Kiln archive");
    }

    @Test
    void refusesATruncatedFile() throws IOException {
        Path f = write(program());
        byte[] b = Files.readAllBytes(f);
        Path cut = Files.write(dir.resolve("cut.kiln"), Arrays.copyOf(b, b.length / 2));
        assertThatThrownBy(() -> KilnArchive.read(cut, () -> H200)).isInstanceOf(KilnException.class)
                .hasMessageContaining("cut.kiln").hasMessageContaining("truncated or damaged");
    }

    @Test
    void refusesAnEntryWhoseChecksumFails() throws IOException {
        Path f = write(program());
        byte[] b = Files.readAllBytes(f);
        // entries are stored: flip a byte of the engine's bytes in place (the zip's own CRC is fixed up too,
        // as a careless copy tool or a bad disk block would not be: both ways must be refused)
        int at = indexOf(b, "fake engine bytes".getBytes(StandardCharsets.US_ASCII));
        b[at] ^= 1;
        Path bad = Files.write(dir.resolve("bad.kiln"), b);
        assertThatThrownBy(() -> KilnArchive.read(bad, () -> H200)).isInstanceOf(KilnException.class)
                .hasMessageContaining("bad.kiln").hasMessageContaining("engines/seg0.plan");
        Path recrc = rewrite(f, "engines/seg0.plan", s -> s.replace("fake", "FAKE"));
        assertThatThrownBy(() -> KilnArchive.read(recrc, () -> H200)).isInstanceOf(KilnException.class)
                .hasMessageContaining("entry engines/seg0.plan fails its SHA-256 check");
        Path weights = rewriteBytes(f, "torch/seg1/w0.bin", w -> {
            w[0] ^= 1;
            return w;
        });
        assertThatThrownBy(() -> KilnArchive.read(weights, () -> H200)).isInstanceOf(KilnException.class)
                .hasMessageContaining("entry torch/seg1/w0.bin fails its SHA-256 check");
    }

    @Test
    void refusesANewerFormat() throws IOException {
        Path f = rewrite(write(program()), "manifest.json", m -> m.replace("\"format_version\" : 1", "\"format_version\" : 7"));
        assertThatThrownBy(() -> KilnArchive.read(f, () -> H200)).isInstanceOf(KilnException.class)
                .hasMessageContaining("newer Kiln").hasMessageContaining("format 7");
    }

    @Test
    void refusesEnginesFromAnotherTensorRtOrGpu() {
        Path f = write(program());
        assertThatThrownBy(() -> KilnArchive.read(f, () -> new Platform("10.7.0", "12.6", "NVIDIA H200", "9.0")))
                .isInstanceOf(KilnException.class).hasMessageContaining("m.kiln")
                .hasMessageContaining("TensorRT 10.6.0 built its engines but this machine has TensorRT 10.7.0")
                .hasMessageContaining("recompile with `kiln compile MODEL -o m.kiln` on this machine");
        assertThatThrownBy(() -> KilnArchive.read(f, () -> new Platform("10.6.0", "12.6", "NVIDIA A100", "8.0")))
                .isInstanceOf(KilnException.class).hasMessageContaining("compute capability 9.0 (NVIDIA H200)")
                .hasMessageContaining("this GPU is 8.0 (NVIDIA A100)").hasMessageContaining("recompile");
        // another GPU model of the same compute capability (and another CUDA minor) is accepted
        KilnArchive.read(f, () -> new Platform("10.6.0", "12.8", "NVIDIA H100", "9.0"));
    }

    @Test
    void aFailedWriteLeavesTheTargetAloneAndNoLitter() throws IOException {
        Path target = dir.resolve("busy.kiln");
        Files.createDirectories(target.resolve("inside"));
        Files.writeString(target.resolve("inside").resolve("keep"), "keep");
        assertThatThrownBy(() -> KilnArchive.write(target, new KilnArchive.Contents(program(), Optional.of(H200), "fp32",
                List.of(), "", "0.1.0"))).isInstanceOf(KilnException.class).hasMessageContaining("busy.kiln");
        assertThat(target.resolve("inside").resolve("keep")).hasContent("keep");
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("busy.kiln");
        }
        assertThatThrownBy(() -> new KilnArchive.Contents(program(), Optional.empty(), "fp32", List.of(), "", "0"))
                .isInstanceOf(KilnException.class).hasMessageContaining("platform");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    private Path rewrite(Path f, String entry, java.util.function.UnaryOperator<String> change) throws IOException {
        return rewriteBytes(f, entry, b -> change.apply(new String(b, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of {@code f} with one entry's bytes changed (and valid zip CRCs). */
    private Path rewriteBytes(Path f, String entry, java.util.function.UnaryOperator<byte[]> change) throws IOException {
        Path out = dir.resolve("changed-" + entry.replace('/', '_') + ".kiln");
        try (ZipFile z = new ZipFile(f.toFile()); OutputStream os = Files.newOutputStream(out);
             ZipOutputStream zo = new ZipOutputStream(os)) {
            for (var it = z.entries().asIterator(); it.hasNext(); ) {
                ZipEntry e = it.next();
                byte[] b = z.getInputStream(e).readAllBytes();
                if (e.getName().equals(entry)) {
                    b = change.apply(b);
                }
                zo.putNextEntry(new ZipEntry(e.getName()));
                zo.write(b);
                zo.closeEntry();
            }
        }
        return out;
    }
}
