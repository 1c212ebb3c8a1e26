package dev.kiln.frontend.fx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.frontend.fx.archive.ZipArchive;
import dev.kiln.frontend.fx.archive.ZipLimits;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each kind of broken file from the issue gives a KilnException naming the file, the entry and the problem. */
class BadInputTest {
    @TempDir
    Path dir;

    @AfterEach
    void nothingLeftOpen() {
        assertThat(ZipArchive.openFiles()).isZero();
    }

    private Path file(Map<String, byte[]> entries) {
        return Archives.write(dir.resolve("bad.pt2"), Archives.zip(entries, false));
    }

    private static ObjectNode graph(JsonNode program) {
        return (ObjectNode) program.get("graph_module").get("graph");
    }

    @Test
    void truncatedZip() {
        byte[] good = Fixtures.bytes("mlp.pt2");
        Path p = Archives.write(dir.resolve("bad.pt2"), Arrays.copyOf(good, good.length - 100));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("bad.pt2").hasMessageContaining("truncated or corrupt");
    }

    @Test
    void notAZipAtAll() {
        Path p = Archives.write(dir.resolve("bad.pt2"), "hello, this is not a model".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("bad.pt2").hasMessageContaining("no end-of-central-directory");
    }

    @Test
    void corruptJsonBytesFailTheCrc() {
        byte[] b = Fixtures.bytes("mlp.pt2");
        String s = new String(b, StandardCharsets.ISO_8859_1);
        int at = s.indexOf("\"graph_module\"");
        b[at + 2] ^= 0x20;
        Path p = Archives.write(dir.resolve("bad.pt2"), b);
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("entry 'mlp/models/model.json'").hasMessageContaining("CRC-32");
    }

    @Test
    void zipBombIsRefusedByRatio() {
        Map<String, byte[]> e = Archives.entries(Fixtures.path("mlp.pt2"));
        e.put("mlp/models/model.json", new byte[16 << 20]); // 16 MiB of zeros deflate ~1000:1
        Path p = Archives.write(dir.resolve("bad.pt2"), Archives.zip(e, true));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("entry 'mlp/models/model.json'").hasMessageContaining("zip bomb");
    }

    @Test
    void zipBombIsRefusedByTotal() {
        Map<String, byte[]> e = Archives.entries(Fixtures.path("mlp.pt2"));
        Path p = Archives.write(dir.resolve("bad.pt2"), Archives.zip(e, true));
        assertThat(Pt2Loader.load(p).nodes()).hasSize(3); // deflated archives load
        ZipLimits tight = new ZipLimits(1000, 4096, 200, 1 << 20);
        assertThatThrownBy(() -> Pt2Loader.load(p, tight)).isInstanceOf(KilnException.class)
                .hasMessageContaining("inflated total");
    }

    @Test
    void duplicateEntriesAreRefused() {
        byte[] b = Archives.zip(Archives.entries(Fixtures.path("mlp.pt2")), false);
        // rename the weight_1 entry to weight_0 in both headers (same length, so the zip stays valid)
        String s = new String(b, StandardCharsets.ISO_8859_1).replace("weights/weight_1", "weights/weight_0");
        Path p = Archives.write(dir.resolve("bad.pt2"), s.getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("entry 'mlp/data/weights/weight_0' appears twice");
    }

    @Test
    void jsonOfTheWrongShape() {
        Path p = file(Archives.editJson("mlp.pt2", "models/model.json", j -> {
            graph(j).put("nodes", "not a list");
            return j;
        }));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("bad.pt2: entry 'mlp/models/model.json'")
                .hasMessageContaining("at $.graph_module.graph.nodes: expected a list but found the string");
    }

    @Test
    void unknownDtype() {
        Path p = file(Archives.editJson("mlp.pt2", "models/model.json", j -> {
            ((ObjectNode) graph(j).get("tensor_values").get("x")).put("dtype", 99);
            return j;
        }));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("entry 'mlp/models/model.json'")
                .hasMessageContaining("tensor_values.x.dtype: unknown dtype code 99");
    }

    @Test
    void storageShorterThanTheTensor() {
        Map<String, byte[]> e = Archives.entries(Fixtures.path("mlp.pt2"));
        e.put("mlp/data/weights/weight_0", new byte[100]);
        assertThatThrownBy(() -> Pt2Loader.load(file(e))).isInstanceOf(KilnException.class)
                .hasMessageContaining("entry 'mlp/data/weights/weight_0' (tensor 'fc1.weight')")
                .hasMessageContaining("needs 2048 bytes of storage").hasMessageContaining("has only 100");
    }

    @Test
    void storageOffsetOutOfRange() {
        Path p = file(Archives.editJson("mlp.pt2", "model_weights_config.json", j -> {
            ObjectNode meta = (ObjectNode) j.get("config").get("fc1.bias").get("tensor_meta");
            meta.putObject("storage_offset").put("as_int", 1 << 20);
            return j;
        }));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("tensor 'fc1.bias'").hasMessageContaining("offset 1048576");
    }

    @Test
    void unknownOp() {
        Path p = file(Archives.editJson("mlp.pt2", "models/model.json", j -> {
            ((ObjectNode) graph(j).get("nodes").get(1)).put("target", "torch.ops.aten.no_such_op.default");
            return j;
        }));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("entry 'mlp/models/model.json'")
                .hasMessageContaining("node relu (torch.ops.aten.no_such_op.default) at ")
                .hasMessageContaining("export_fixtures.py:41")
                .hasMessageContaining("unknown op aten::no_such_op");
    }

    @Test
    void higherOrderOpsAreRefusedByName() {
        Path p = file(Archives.editJson("mlp.pt2", "models/model.json", j -> {
            ((ObjectNode) graph(j).get("nodes").get(1)).put("target", "torch.ops.higher_order.map_impl");
            return j;
        }));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("higher-order op torch.ops.higher_order.map_impl")
                .hasMessageContaining("Kiln imports torch.cond and torch.while_loop");
    }

    /** The cond fixture with one operand fewer than its branches take: refused naming the node and the branch. */
    @Test
    void aTorchCondWhoseBranchesTakeOtherOperandsIsRefused() {
        Path p = withNodeEdited("cond.pt2", "torch.ops.higher_order.cond",
                n -> ((ArrayNode) n.get("inputs").get(3).get("arg").get("as_tensors")).remove(1));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("(torch.ops.higher_order.cond)")
                .hasMessageContaining("takes 2 inputs but is given 1");
    }

    /** The whileloop fixture whose body gives back one value fewer than the loop carries: refused naming the node. */
    @Test
    void aWhileLoopWhoseBodyReturnsTooFewValuesIsRefused() {
        Path p = withNodeEdited("whileloop.pt2", "torch.ops.higher_order.while_loop",
                n -> ((ArrayNode) n.get("inputs").get(1).get("arg").get("as_graph").get("graph").get("outputs")).remove(1));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("(torch.ops.higher_order.while_loop)")
                .hasMessageContaining("body_fn returns 1 value but the loop carries 2");
    }

    /** {@code fixture} with {@code edit} applied to its program's nodes of {@code target}. */
    private Path withNodeEdited(String fixture, String target, java.util.function.Consumer<JsonNode> edit) {
        return file(Archives.editJson(fixture, "models/model.json", j -> {
            for (JsonNode n : graph(j).get("nodes")) {
                if (n.get("target").asText().equals(target)) {
                    edit.accept(n);
                }
            }
            return j;
        }));
    }

    @Test
    void duplicateNames() {
        Path p = file(Archives.editJson("mlp.pt2", "models/model.json", j -> {
            ObjectNode relu = (ObjectNode) graph(j).get("nodes").get(1);
            ((ObjectNode) relu.get("outputs").get(0).get("as_tensor")).put("name", "linear");
            return j;
        }));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("'linear' is defined twice");
    }

    @Test
    void anotherSchemaMajorIsRefusedNamingBoth() {
        Path p = file(Archives.editJson("mlp.pt2", "models/model.json", j -> {
            ((ObjectNode) j.get("schema_version")).put("major", 9).put("minor", 1);
            return j;
        }));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("version 9.1").hasMessageContaining("version 8.x");
    }

    @Test
    void olderMinorWithoutNamesAndKindsLoads() {
        Path p = file(Archives.editJson("mlp.pt2", "models/model.json", j -> {
            ((ObjectNode) j.get("schema_version")).put("minor", 3);
            for (JsonNode n : graph(j).get("nodes")) {
                ((ObjectNode) n).remove("name");
                ((ObjectNode) n).remove("is_hop_single_tensor_return");
                for (JsonNode in : n.get("inputs")) {
                    ((ObjectNode) in).remove("kind");
                }
            }
            return j;
        }));
        assertThat(Pt2Loader.load(p).opHistogram()).containsEntry("aten::linear", 2);
    }

    @Test
    void bufferMutationIsRefused() {
        Path p = file(Archives.editJson("mlp.pt2", "models/model.json", j -> {
            ArrayNode outs = (ArrayNode) j.get("graph_module").get("signature").get("output_specs");
            ObjectNode m = outs.insertObject(0).putObject("buffer_mutation");
            m.putObject("arg").put("name", "relu");
            m.put("buffer_name", "bn.running_mean");
            graph(j).withArray("outputs").insertObject(0).putObject("as_tensor").put("name", "relu");
            return j;
        }));
        assertThatThrownBy(() -> Pt2Loader.load(p)).isInstanceOf(KilnException.class)
                .hasMessageContaining("'bn.running_mean'").hasMessageContaining("inference programs must not mutate state");
    }

    @Test
    void bigEndianArchivesAreRefused() {
        Map<String, byte[]> e = Archives.entries(Fixtures.path("mlp.pt2"));
        e.put("mlp/byteorder", "big".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Pt2Loader.load(file(e))).isInstanceOf(KilnException.class)
                .hasMessageContaining("entry 'mlp/byteorder'").hasMessageContaining("'big'");
    }

    @Test
    void aPickleNamingAnotherGlobalIsRefusedByName() {
        Map<String, byte[]> outer = Archives.entries(Fixtures.path("mlp.v27.pt2"));
        Map<String, byte[]> inner = Archives.entries(Fixtures.path("mlp.v27.pt2").resolveSibling("x")
                .getFileSystem().getPath(extract(outer.get("serialized_state_dict.pt"))));
        byte[] pkl = "\u0080\u0002cos\nsystem\nX\u0002\u0000\u0000\u0000ls\u0085R.".getBytes(StandardCharsets.ISO_8859_1);
        inner.put("archive/data.pkl", pkl);
        outer.put("serialized_state_dict.pt", Archives.zip(inner, false));
        assertThatThrownBy(() -> Pt2Loader.load(file(outer))).isInstanceOf(KilnException.class)
                .hasMessageContaining("bad.pt2 > serialized_state_dict.pt: entry 'archive/data.pkl'")
                .hasMessageContaining("the global 'os.system'");
    }

    private String extract(byte[] zip) {
        return Archives.write(dir.resolve("inner.zip"), zip).toString();
    }

    @Test
    void missingWeightsEntry() {
        Map<String, byte[]> e = new LinkedHashMap<>(Archives.entries(Fixtures.path("mlp.pt2")));
        e.remove("mlp/data/weights/weight_2");
        assertThatThrownBy(() -> Pt2Loader.load(file(e))).isInstanceOf(KilnException.class)
                .hasMessageContaining("entry 'mlp/data/weights/weight_2' is missing").hasMessageContaining("fc2.weight");
    }
}
