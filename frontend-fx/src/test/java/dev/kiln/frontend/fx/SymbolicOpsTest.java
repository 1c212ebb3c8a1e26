package dev.kiln.frontend.fx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.verify.Verifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Arithmetic on symbolic sizes ({@code _operator.*}, {@code torch.sym_max}) stays in the IR as scalar nodes. */
class SymbolicOpsTest {
    @TempDir
    Path dir;

    private static JsonNode node(String json) {
        try {
            return Archives.JSON.readTree(json.replace('\'', '"'));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void symIntArithmeticBecomesScalarNodes() {
        // dynbatch: reshape(relu, [sym_size_int_1, -1]) becomes reshape(relu, [max(sym_size_int_1 * 2 // 2, 1), -1])
        Path p = Archives.write(dir.resolve("sym.pt2"), Archives.zip(Archives.editJson("dynbatch.pt2", "models/model.json", j -> {
            ArrayNode nodes = (ArrayNode) j.get("graph_module").get("graph").get("nodes");
            int reshape = 0;
            while (!nodes.get(reshape).get("target").asText().contains("reshape")) {
                reshape++;
            }
            nodes.insert(reshape, node("{'target':'torch.sym_max','inputs':[{'name':'a','arg':{'as_sym_int':{'as_name':'half'}},'kind':1},"
                    + "{'name':'b','arg':{'as_sym_int':{'as_int':1}},'kind':1}],'outputs':[{'as_sym_int':{'as_name':'biggest'}}],'metadata':{},'name':'biggest'}"));
            nodes.insert(reshape, node("{'target':'_operator.floordiv','inputs':[{'name':'a','arg':{'as_sym_int':{'as_name':'twice'}},'kind':1},"
                    + "{'name':'b','arg':{'as_int':2},'kind':1}],'outputs':[{'as_sym_int':{'as_name':'half'}}],'metadata':{},'name':'half'}"));
            nodes.insert(reshape, node("{'target':'_operator.mul','inputs':[{'name':'a','arg':{'as_sym_int':{'as_name':'sym_size_int_1'}},'kind':1},"
                    + "{'name':'b','arg':{'as_int':2},'kind':1}],'outputs':[{'as_sym_int':{'as_name':'twice'}}],'metadata':{},'name':'twice'}"));
            ObjectNode shape = (ObjectNode) nodes.get(reshape + 3).get("inputs").get(1).get("arg");
            ((ObjectNode) shape.get("as_sym_ints").get(0)).put("as_name", "biggest");
            return j;
        }), false));
        Graph g = Pt2Loader.load(p);
        Verifier.verify(g);
        assertThat(g.opHistogram()).containsEntry("aten::mul.int", 1).containsEntry("aten::floordiv.int", 1)
                .containsEntry("prim::max.int", 1).containsEntry("aten::sym_size.int", 1);
        Node max = g.nodesOf("prim::max.int").get(0);
        assertThat(max.output().type()).isEqualTo(PrimitiveType.INT);
        Node reshape = g.nodesOf("aten::reshape").get(0);
        assertThat(reshape.inputs()).contains(max.output());
    }
}
