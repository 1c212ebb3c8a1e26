package dev.kiln.frontend.fx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.verify.Verifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Variants of the 2.9+ archive the fixtures do not cover: tensor constants, strided storages, compressed entries. */
class ArchiveVariantsTest {
    @TempDir
    Path dir;

    private static JsonNode read(byte[] b) {
        try {
            return Archives.JSON.readTree(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] write(JsonNode j) {
        try {
            return Archives.JSON.writeValueAsBytes(j);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void tensorConstantsComeFromTheConstantsConfig() {
        Map<String, byte[]> e = Archives.entries(Fixtures.path("mlp.pt2"));
        // turn parameter fc2.bias into the lifted tensor constant c_bias stored under data/constants
        JsonNode program = read(e.get("mlp/models/model.json"));
        ArrayNode specs = (ArrayNode) program.get("graph_module").get("signature").get("input_specs");
        ObjectNode spec = (ObjectNode) specs.get(3);
        spec.remove("parameter");
        spec.putObject("tensor_constant").put("tensor_constant_name", "c_bias").putObject("arg").put("name", "p_fc2_bias");
        e.put("mlp/models/model.json", write(program));
        ObjectNode weights = (ObjectNode) read(e.get("mlp/data/weights/model_weights_config.json"));
        JsonNode meta = ((ObjectNode) weights.get("config")).remove("fc2.bias");
        e.put("mlp/data/weights/model_weights_config.json", write(weights));
        ObjectNode constants = (ObjectNode) read(e.get("mlp/data/constants/model_constants_config.json"));
        ((ObjectNode) constants.get("config")).set("c_bias", ((ObjectNode) meta).put("path_name", "tensor_0"));
        e.put("mlp/data/constants/model_constants_config.json", write(constants));
        e.put("mlp/data/constants/tensor_0", e.remove("mlp/data/weights/weight_3"));
        Graph g = Pt2Loader.load(Archives.write(dir.resolve("c.pt2"), Archives.zip(e, false)));
        Verifier.verify(g);
        assertThat(g.value("c_bias").orElseThrow().constant().orElseThrow().sizes()).containsExactly(8);
    }

    @Test
    void stridedStoragesAreGathered() {
        Map<String, byte[]> e = Archives.entries(Fixtures.path("mlp.pt2"));
        // read the 32x16 storage of fc1.weight as the transpose of a 16x32 matrix: strides (1, 32)
        ObjectNode cfg = (ObjectNode) read(e.get("mlp/data/weights/model_weights_config.json"));
        ArrayNode strides = (ArrayNode) cfg.get("config").get("fc1.weight").get("tensor_meta").get("strides");
        ((ObjectNode) strides.get(0)).put("as_int", 1);
        ((ObjectNode) strides.get(1)).put("as_int", 32);
        e.put("mlp/data/weights/model_weights_config.json", write(cfg));
        Graph g = Pt2Loader.load(Archives.write(dir.resolve("s.pt2"), Archives.zip(e, false)));
        ConstantTensor w = g.value("fc1.weight").orElseThrow().constant().orElseThrow();
        ByteBuffer raw = ByteBuffer.wrap(e.get("mlp/data/weights/weight_0")).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 32; i++) {
            for (int j = 0; j < 16; j++) {
                assertThat(w.getDouble(i * 16L + j)).isEqualTo(raw.getFloat((i + j * 32) * 4));
            }
        }
    }

    @Test
    void deflatedArchivesOfEveryLayoutLoad() {
        for (String f : new String[] {"mlp.pt2", "mlp.v27.pt2", "mlp.v28.pt2"}) {
            Map<String, byte[]> e = Archives.entries(Fixtures.path(f));
            e.replaceAll((k, v) -> k.endsWith(".pt") ? Archives.zip(Archives.entries(
                    Archives.write(dir.resolve("inner.zip"), v)), true) : v);
            Graph g = Pt2Loader.load(Archives.write(dir.resolve("d.pt2"), Archives.zip(e, true)));
            assertThat(g.value("fc2.bias").orElseThrow().constant().orElseThrow().data().isDirect()).isTrue();
            assertThat(g.opHistogram()).containsEntry("aten::linear", 2);
        }
    }
}
