package dev.kiln.ir.npy;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.ElementCodec;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NpyTest {
    private static final String DIR = "/dev/kiln/ir/npy/";

    @TempDir
    Path tmp;

    static Map<String, ConstantTensor> resourceNpz(String name) {
        try (InputStream in = NpyTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return Npz.read(in, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path resourceFile(String name) {
        try (InputStream in = NpyTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            Path p = tmp.resolve(name.substring(name.lastIndexOf('/') + 1));
            Files.copy(in, p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void readsTheFixtureInputsAndOutputsWrittenByNumpy() {
        Map<String, ConstantTensor> cnn = resourceNpz("/fixtures/cnn.npz");
        assertThat(cnn.keySet()).containsExactly("x0", "y0");
        assertThat(cnn.get("x0").dtype()).isEqualTo(DType.FLOAT32);
        assertThat(cnn.get("x0").sizes()).containsExactly(2, 3, 16, 16);
        assertThat(cnn.get("y0").sizes()).containsExactly(2, 10);
        assertThat(cnn.get("x0").data().isDirect()).isTrue();
        for (String m : List.of("mlp", "encoder", "dynbatch")) {
            Map<String, ConstantTensor> io = resourceNpz("/fixtures/" + m + ".npz");
            assertThat(io.keySet()).as(m).containsExactly("x0", "y0");
            // the same archive read by path (ZipFile) and by stream (ZipInputStream) agrees
            Map<String, ConstantTensor> byPath = Npz.read(resourceFile("/fixtures/" + m + ".npz"));
            assertThat(byPath.get("y0").contentEquals(io.get("y0"))).isTrue();
        }
    }

    @Test
    void splitsArchivesIntoInputsAndOutputs() {
        Map<String, ConstantTensor> enc = resourceNpz("/fixtures/encoder.npz");
        List<ConstantTensor> xs = Npz.series(enc, "x", "encoder.npz");
        List<ConstantTensor> ys = Npz.series(enc, "y", "encoder.npz");
        assertThat(xs).hasSize(1);
        assertThat(ys).hasSize(1);
        Map<String, ConstantTensor> io = Npz.io(List.of(xs.get(0), xs.get(0)), ys);
        assertThat(io.keySet()).containsExactly("x0", "x1", "y0");
        Map<String, ConstantTensor> gap = new LinkedHashMap<>(io);
        gap.put("x3", xs.get(0));
        assertThatThrownBy(() -> Npz.series(gap, "x", "io.npz")).isInstanceOf(KilnException.class)
                .hasMessageContaining("io.npz: array 'x3' has no 'x2' before it");
        assertThat(Npz.series(gap, "z", "io.npz")).isEmpty();
    }

    @Test
    void readsEveryNumpyDtypeStoredAndCompressed() {
        for (String file : List.of("all_dtypes.npz", "all_dtypes_compressed.npz")) {
            Map<String, ConstantTensor> a = resourceNpz(DIR + file);
            assertThat(a.keySet()).containsExactly("bool", "u8", "i8", "i16", "u16", "i32", "u32", "i64", "u64",
                    "f16", "f32", "f64", "c64", "c128", "scalar", "empty");
            checkAllDtypes(a);
            assertThat(Npz.read(resourceFile(DIR + file)).keySet()).isEqualTo(a.keySet());
        }
    }

    static void checkAllDtypes(Map<String, ConstantTensor> a) {
        assertThat(a.get("bool").dtype()).isEqualTo(DType.BOOL);
        assertThat(a.get("bool").sizes()).containsExactly(2, 3);
        assertThat(doubles(a.get("bool"))).containsExactly(1, 0, 1, 0, 0, 1);
        assertThat(doubles(a.get("u8"))).containsExactly(0, 1, 255);
        assertThat(doubles(a.get("i8"))).containsExactly(-128, 0, 127);
        assertThat(doubles(a.get("i16"))).containsExactly(-32768, 7, 32767);
        assertThat(doubles(a.get("u16"))).containsExactly(0, 7, 65535);
        assertThat(doubles(a.get("i32"))).containsExactly(Integer.MIN_VALUE, 7, Integer.MAX_VALUE);
        assertThat(doubles(a.get("u32"))).containsExactly(0, 7, 4294967295.0);
        ConstantTensor i64 = a.get("i64");
        assertThat(i64.dtype()).isEqualTo(DType.INT64);
        assertThat(new long[] {i64.getLong(0), i64.getLong(1), i64.getLong(2)}).containsExactly(Long.MIN_VALUE, 7, Long.MAX_VALUE);
        assertThat(a.get("u64").dtype()).isEqualTo(DType.UINT64);
        assertThat(a.get("u64").data().getLong(16)).isEqualTo(-1L);
        assertThat(doubles(a.get("f16"))).containsExactly(0.5, -2.0, 65504.0, Double.POSITIVE_INFINITY);
        ConstantTensor f32 = a.get("f32");
        assertThat(f32.sizes()).containsExactly(2, 3, 4);
        for (int i = 0; i < 24; i++) {
            assertThat(f32.getDouble(i)).isEqualTo(i / 4.0);
        }
        ConstantTensor f64 = a.get("f64");
        assertThat(f64.getDouble(0)).isEqualTo(1e-300);
        assertThat(Double.doubleToRawLongBits(f64.getDouble(1))).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(f64.getDouble(2)).isEqualTo(Math.PI);
        ByteBuffer c64 = a.get("c64").data();
        assertThat(new float[] {c64.getFloat(0), c64.getFloat(4), c64.getFloat(8), c64.getFloat(12)})
                .containsExactly(1f, 2f, -0f, -3.5f);
        ConstantTensor c128 = a.get("c128");
        assertThat(c128.sizes()).containsExactly(2, 1);
        assertThat(c128.data().getDouble(24)).isEqualTo(-3.5);
        assertThat(a.get("scalar").sizes()).isEmpty();
        assertThat(a.get("scalar").getDouble(0)).isEqualTo(3.25);
        assertThat(a.get("empty").sizes()).containsExactly(0, 3);
        assertThat(a.get("empty").byteSize()).isZero();
    }

    static double[] doubles(ConstantTensor t) {
        double[] out = new double[(int) t.numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.getDouble(i);
        }
        return out;
    }

    @Test
    void transposesFortranOrderToCOrder() {
        ConstantTensor f = Npy.read(resourceFile(DIR + "fortran_f32.npy"));
        assertThat(f.sizes()).containsExactly(2, 3, 4);
        for (int i = 0; i < 24; i++) {
            assertThat(f.getDouble(i)).isEqualTo(i / 4.0);
        }
        assertThat(doubles(Npy.read(resourceFile(DIR + "fortran_i16.npy")))).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void convertsBigEndian() {
        ConstantTensor f = Npy.read(resourceFile(DIR + "big_f32.npy"));
        for (int i = 0; i < 24; i++) {
            assertThat(f.getDouble(i)).isEqualTo(i / 4.0);
        }
        ConstantTensor l = Npy.read(resourceFile(DIR + "big_i64.npy"));
        assertThat(new long[] {l.getLong(0), l.getLong(1), l.getLong(2)}).containsExactly(Long.MIN_VALUE, 7, Long.MAX_VALUE);
        ByteBuffer c = Npy.read(resourceFile(DIR + "big_c64.npy")).data();
        assertThat(new float[] {c.getFloat(0), c.getFloat(4), c.getFloat(8), c.getFloat(12)}).containsExactly(1f, 2f, -0f, -3.5f);
    }

    @Test
    void readsHeaderVersions2And3() {
        for (String v : List.of("v2_f64.npy", "v3_f64.npy")) {
            ConstantTensor t = Npy.read(resourceFile(DIR + v));
            assertThat(t.dtype()).isEqualTo(DType.FLOAT64);
            assertThat(t.getDouble(2)).isEqualTo(Math.PI);
        }
    }

    @Test
    void roundTripsEveryNumpyDtype() throws IOException {
        Map<String, ConstantTensor> original = resourceNpz(DIR + "all_dtypes.npz");
        Path p = tmp.resolve("out.npz");
        Npz.write(p, original);
        Map<String, ConstantTensor> back = Npz.read(p);
        assertThat(back.keySet()).containsExactlyElementsOf(original.keySet());
        for (String k : original.keySet()) {
            assertThat(back.get(k).contentEquals(original.get(k))).as(k).isTrue();
        }
        checkAllDtypes(back);
        // equal contents give equal files (fixed timestamps, stored entries)
        Path p2 = tmp.resolve("out2.npz");
        Npz.write(p2, back);
        assertThat(Files.readAllBytes(p2)).isEqualTo(Files.readAllBytes(p));
        // single arrays: the data starts 64-byte aligned and reads back
        for (Map.Entry<String, ConstantTensor> e : original.entrySet()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            Npy.write(bytes, e.getValue(), e.getKey());
            byte[] b = bytes.toByteArray();
            assertThat((b.length - e.getValue().byteSize()) % 64).isZero();
            ConstantTensor t = Npy.read(new ByteArrayInputStream(b), e.getKey());
            assertThat(t.contentEquals(e.getValue())).as(e.getKey()).isTrue();
        }
    }

    @Test
    void refusesTypesNumpyLacksWithAHintToCast() {
        ByteBuffer b = ConstantTensor.allocate(DType.BFLOAT16, 2);
        ElementCodec.put(DType.BFLOAT16, b, 0, 1.5);
        Map<String, ConstantTensor> m = new LinkedHashMap<>();
        m.put("x0", new ConstantTensor(DType.BFLOAT16, new long[] {2}, b));
        assertThatThrownBy(() -> Npz.write(tmp.resolve("bf.npz"), m))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("bf.npz: entry 'x0.npy'")
                .hasMessageContaining("NumPy has no bf16")
                .hasMessageContaining("cast");
        assertThat(tmp.resolve("bf.npz")).doesNotExist();
        ConstantTensor fp8 = new ConstantTensor(DType.FLOAT8_E4M3FN, new long[] {1}, ConstantTensor.allocate(DType.FLOAT8_E4M3FN, 1));
        assertThatThrownBy(() -> Npy.write(tmp.resolve("f8.npy"), fp8)).isInstanceOf(KilnException.class)
                .hasMessageContaining("f8.npy").hasMessageContaining("f8e4m3fn");
        Path v = resourceFile(DIR + "void2.npy");
        assertThatThrownBy(() -> Npy.read(v)).isInstanceOf(KilnException.class)
                .hasMessageContaining("void2.npy").hasMessageContaining("'|V2'").hasMessageContaining("cast");
    }

    @Test
    void namesTheFileAndEntryInErrors() throws IOException {
        Path notNpy = tmp.resolve("junk.npy");
        Files.writeString(notNpy, "hello, this is not numpy");
        assertThatThrownBy(() -> Npy.read(notNpy)).isInstanceOf(KilnException.class)
                .hasMessageContaining("junk.npy").hasMessageContaining("not a .npy");
        // a truncated array inside an archive
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Npy.write(bytes, ConstantTensor.ofFloats(new long[] {4}, 1, 2, 3, 4), "t");
        byte[] cut = java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() - 3);
        assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(cut), "io.npz: entry 'y0.npy'"))
                .isInstanceOf(KilnException.class).hasMessageContaining("io.npz: entry 'y0.npy'").hasMessageContaining("ends early");
        // a header promising more than a buffer can hold
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }\n";
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) dict.length(), 0});
        h.write(dict.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        byte[] huge = h.toByteArray();
        assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(huge), "big.npy")).isInstanceOf(KilnException.class)
                .hasMessageContaining("big.npy: cannot hold the f64[100000, 100000] array");
        Path notZip = tmp.resolve("junk.npz");
        Files.writeString(notZip, "not a zip");
        assertThatThrownBy(() -> Npz.read(notZip)).isInstanceOf(KilnException.class).hasMessageContaining("junk.npz");
    }
}
