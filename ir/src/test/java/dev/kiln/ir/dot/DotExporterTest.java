package dev.kiln.ir.dot;

import dev.kiln.ir.Graph;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DotExporterTest {
    @Test
    void drawsInputsNodesCollapsedConstantsEdgesAndTheReturn() {
        Graph g = IrParser.parse("""
                graph @"my \\"net\\""(%x: tensor<f32, [s0, 2]>) {
                  symbol s0 in [1, 8]
                  const %w : tensor<f32, [2, 2]> = dense<"0x0000803F000000000000000000000000">
                  %linear : tensor<f32, [s0, 2]> = aten::linear(%x, %w, none) loc("m.py":4)
                  %values : tensor<f32, [s0]>, %indices : tensor<i64, [s0]> = aten::max.dim(%linear, 1, false)
                  %add : tensor<f32, [s0, 2]> = aten::add.Tensor(%linear, %linear, 1)
                  return %indices, %add, %w
                }
                """, "g.kir", SchemaRegistry.standard());
        String dot = DotExporter.export(g);
        assertThat(dot).isEqualTo("""
                digraph "my \\"net\\"" {
                  rankdir=TB;
                  node [fontname="monospace", fontsize=10];
                  edge [fontname="monospace", fontsize=9];
                  i0 [shape=ellipse, label="%x\\ntensor<f32, [s0, 2]>"];
                  n0 [shape=box, label="aten::linear\\n%linear : tensor<f32, [s0, 2]>\\nconst %w : tensor<f32, [2, 2]>\\n@ m.py:4"];
                  i0 -> n0 [label="%x"];
                  n1 [shape=box, label="aten::max.dim\\n%values : tensor<f32, [s0]>\\n%indices : tensor<i64, [s0]>"];
                  n0 -> n1 [label="%linear"];
                  n2 [shape=box, label="aten::add.Tensor\\n%add : tensor<f32, [s0, 2]>"];
                  n0 -> n2 [label="%linear"];
                  out [shape=doubleoctagon, label="return"];
                  n1 -> out [label="0: %indices"];
                  n2 -> out [label="1: %add"];
                  c2 [shape=note, label="const %w\\ntensor<f32, [2, 2]>"];
                  c2 -> out [label="2: %w"];
                }
                """);
        assertThat(DotExporter.export(g)).isEqualTo(dot);
    }
}
