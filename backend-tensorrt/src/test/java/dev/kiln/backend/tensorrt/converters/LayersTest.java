package dev.kiln.backend.tensorrt.converters;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.bytedeco.tensorrt.global.nvinfer.DataType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The network-independent logic of the converters: promotion, axes, slice bounds, piece sizes, padding. */
class LayersTest {

    @Test
    void promotionFollowsPyTorch() {
        assertThat(Layers.promote(DType.FLOAT16, DType.FLOAT32)).isEqualTo(DType.FLOAT32);
        assertThat(Layers.promote(DType.FLOAT16, DType.BFLOAT16)).isEqualTo(DType.FLOAT32);
        assertThat(Layers.promote(DType.INT64, DType.FLOAT16)).isEqualTo(DType.FLOAT16);
        assertThat(Layers.promote(DType.BOOL, DType.INT32)).isEqualTo(DType.INT32);
        assertThat(Layers.promote(DType.INT32, DType.INT64)).isEqualTo(DType.INT64);
        assertThat(Layers.promoteWithScalar(DType.INT64, true, false)).isEqualTo(DType.FLOAT32);
        assertThat(Layers.promoteWithScalar(DType.FLOAT16, true, false)).isEqualTo(DType.FLOAT16);
        assertThat(Layers.promoteWithScalar(DType.INT32, false, false)).isEqualTo(DType.INT32);
        assertThat(Layers.promoteWithScalar(DType.BOOL, false, false)).isEqualTo(DType.INT64);
    }

    @Test
    void dtypesMapToTensorRt() {
        assertThat(Layers.trt(DType.FLOAT32)).contains(DataType.kFLOAT);
        assertThat(Layers.trt(DType.BFLOAT16)).contains(DataType.kBF16);
        assertThat(Layers.trt(DType.INT64)).contains(DataType.kINT64);
        assertThat(Layers.trt(DType.FLOAT64)).isEmpty();
        assertThatThrownBy(() -> Layers.trtOrThrow(DType.COMPLEX64)).isInstanceOf(KilnException.class).hasMessageContaining("c64");
    }

    @Test
    void axesAndMasks() {
        Node n = node();
        assertThat(Layers.axis(n, -1, 4)).isEqualTo(3);
        assertThat(Layers.axesMask(n, new long[] {-1, 0}, 4)).isEqualTo(0b1001);
        assertThat(Layers.axesMask(n, new long[0], 3)).isEqualTo(0b111);
        assertThat(Layers.validAxis(-5, 4)).isFalse();
        assertThatThrownBy(() -> Layers.axis(n, 4, 4)).isInstanceOf(KilnException.class).hasMessageContaining(n.describe())
                .hasMessageContaining("dimension 4 is out of range");
    }

    /** Slice bounds clamp exactly as Python's slice.indices for a positive step. */
    @Property(tries = 200)
    void sliceBoundsMatchPython(@ForAll @IntRange(min = -20, max = 20) int bound, @ForAll @IntRange(min = 0, max = 12) int size) {
        long want = bound < 0 ? Math.max(0, bound + size) : Math.min(bound, size);
        assertThat(ShapeConverters.SliceTensor.clamp(bound, size)).isEqualTo(want);
        assertThat(ShapeConverters.SliceTensor.clamp(Long.MAX_VALUE, size)).isEqualTo(size);
    }

    @Test
    void splitPiecesMatchPyTorch() {
        Node n = node();
        // torch.chunk(7 rows, 3) -> 3, 3, 1; torch.chunk(6, 4) -> 2, 2, 2
        Node chunk = OneNode.of("aten::chunk", OneNode.in(OneNode.randn(7, 2)), 3L).node;
        assertThat(new ShapeConverters.Chunk().pieces(chunk, 7)).containsExactly(3, 3, 1);
        Node chunk4 = OneNode.of("aten::chunk", OneNode.in(OneNode.randn(6, 2)), 4L).node;
        assertThat(new ShapeConverters.Chunk().pieces(chunk4, 6)).containsExactly(2, 2, 2);
        Node split = OneNode.of("aten::split.Tensor", OneNode.in(OneNode.randn(5, 2)), 2L).node;
        assertThat(new ShapeConverters.SplitTensor().pieces(split, 5)).containsExactly(2, 2, 1);
        assertThat(n).isNotNull();
    }

    @Test
    void samePaddingPutsTheOddElementAtTheEnd() {
        Node n = OneNode.of("aten::conv2d.padding", OneNode.in(OneNode.randn(1, 3, 8, 8)), OneNode.weight(OneNode.randn(4, 3, 4, 3)), null,
                ConverterCases.s(1), "same", ConverterCases.s(2, 1)).node;
        ConvolutionConverters.Params p = new ConvolutionConverters.Conv2dPadding().params(n, 2, new long[] {4, 3});
        // dilation 2, kernel 4: total 6 -> 3 + 3; dilation 1, kernel 3: total 2 -> 1 + 1
        assertThat(p.padPre()).containsExactly(3, 1);
        assertThat(p.padPost()).containsExactly(3, 1);
        Node odd = OneNode.of("aten::conv1d.padding", OneNode.in(OneNode.randn(1, 3, 8)), OneNode.weight(OneNode.randn(4, 3, 4)), null,
                ConverterCases.s(1), "same").node;
        ConvolutionConverters.Params q = new ConvolutionConverters.Conv1dPadding().params(odd, 1, new long[] {4});
        assertThat(q.padPre()).containsExactly(1);
        assertThat(q.padPost()).containsExactly(2);
    }

    private static Node node() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", new TensorType(DType.FLOAT32, Shape.of(2, 3)));
        return g.append(OneNode.schema("aten::relu"), List.of(x), List.of(x.type()));
    }
}
