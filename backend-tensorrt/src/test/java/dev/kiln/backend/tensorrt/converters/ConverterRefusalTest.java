package dev.kiln.backend.tensorrt.converters;

import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaBinder;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.kiln.backend.tensorrt.converters.ConverterCases.l;
import static dev.kiln.backend.tensorrt.converters.ConverterCases.s;
import static dev.kiln.backend.tensorrt.converters.OneNode.in;
import static dev.kiln.backend.tensorrt.converters.OneNode.kw;
import static dev.kiln.backend.tensorrt.converters.OneNode.map;
import static dev.kiln.backend.tensorrt.converters.OneNode.positive;
import static dev.kiln.backend.tensorrt.converters.OneNode.scaled;
import static dev.kiln.backend.tensorrt.converters.OneNode.values;
import static dev.kiln.backend.tensorrt.converters.OneNode.of;
import static dev.kiln.backend.tensorrt.converters.OneNode.random;
import static dev.kiln.backend.tensorrt.converters.OneNode.randn;
import static dev.kiln.backend.tensorrt.converters.OneNode.weight;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Representative nodes the converters must refuse, each with a reason that names the node and says
 * what is wrong (and, where there is one, what to do). Refusals are deterministic.
 */
class ConverterRefusalTest {

    static Support lookup(Node n) {
        ConverterRegistry.Lookup l = ConverterRegistry.standard().lookup(n, ConverterSettings.defaults());
        ConverterRegistry.Lookup again = ConverterRegistry.standard().lookup(n, ConverterSettings.defaults());
        assertThat(l.reason()).isEqualTo(again.reason());
        return l.supported() ? Support.yes() : Support.no(l.reason());
    }

    static void refused(Node n, String... fragments) {
        Support s = lookup(n);
        assertThat(s.isSupported()).as(n.describe()).isFalse();
        assertThat(s.reason()).startsWith(n.describe());
        for (String f : fragments) {
            assertThat(s.reason()).contains(f);
        }
    }

    /** A node whose libtorch evaluation would fail, built by hand with the given output type. */
    static Node manual(String op, List<Object> positional, Map<String, Arg> keywords, Type out, Graph g) {
        List<Arg> pos = positional.stream().map(o -> o instanceof Arg a ? a : Arg.of((Long) o)).toList();
        return g.append(OneNode.schema(op), SchemaBinder.bind(OneNode.schema(op), pos, keywords), List.of(out));
    }

    static TensorType f32(long... s) {
        return new TensorType(DType.FLOAT32, Shape.of(s));
    }

    @Test
    void convolutionNeedsAConstantKernelAndStaticChannels() {
        refused(of("aten::conv2d", in(randn(1, 3, 8, 8)), in(randn(4, 3, 3, 3))).node, "weight is not a constant");
        refused(of("aten::conv2d", in(randn(1, 3, 8, 8), 1), weight(randn(4, 3, 3, 3))).node, "channel dimension is symbolic");
    }

    @Test
    void int8MarkersMustBeSymmetric() {
        refused(of("aten::fake_quantize_per_tensor_affine", in(randn(2, 3)), 0.1, 3L, 0L, 255L).node,
                "symmetric over [-128, 127]", "[0, 255]", "runs in libtorch");
        refused(of("aten::fake_quantize_per_tensor_affine", in(randn(2, 3)), 0.1, 3L, -128L, 127L).node, "zero point 3");
        refused(of("aten::fake_quantize_per_channel_affine", in(randn(2, 3)), weight(scaled(positive(3), 0.1)),
                weight(values(DType.INT32, s(3), 0, 1, 0)), 1L, -128L, 127L).node, "channel 1 has zero point 1.0");
        refused(of("aten::fake_quantize_per_channel_affine", in(randn(2, 3)), in(scaled(positive(3), 0.1)),
                weight(values(DType.INT32, s(3))), 1L, -128L, 127L).node, "must be constants");
    }

    @Test
    void aConvolutionTakesAnInt8MarkedConstantAsItsKernel() {
        // the quantize-int8 pass's pattern: the kernel is a constant behind a per-channel marker
        OneNode c = of("aten::fake_quantize_per_channel_affine", weight(randn(4, 3, 3, 3)), weight(scaled(positive(4), 0.01)),
                weight(values(DType.INT32, s(4))), 0L, -128L, 127L);
        Graph g = c.graph;
        Value x = g.addInput("x", new TensorType(DType.FLOAT32, Shape.of(1, 3, 8, 8)));
        Value marked = c.node.output();
        Node conv = manual("aten::convolution", List.of(x, marked, new Arg.NoneLit(), Arg.ints(1, 1), Arg.ints(1, 1), Arg.ints(1, 1),
                Arg.of(false), Arg.ints(0, 0), 1L), Map.of(), new TensorType(DType.FLOAT32, Shape.of(1, 4, 8, 8)), g);
        assertThat(lookup(conv).isSupported()).as(lookup(conv).reason()).isTrue();
        assertThat(QuantizeConverters.quantizedWeight(marked)).isPresent();
        // a transposed convolution keeps its float path: a marked kernel is refused, named
        Node deconv = manual("aten::convolution", List.of(x, marked, new Arg.NoneLit(), Arg.ints(1, 1), Arg.ints(1, 1), Arg.ints(1, 1),
                Arg.of(true), Arg.ints(0, 0), 1L), Map.of(), new TensorType(DType.FLOAT32, Shape.of(1, 3, 10, 10)), g);
        refused(deconv, "int8-quantized kernel is converted for plain convolutions");
    }

    @Test
    void transposedConvolutionWithOutputPaddingBeyondItsPaddingIsConverted() {
        // the output grows past the full transposed convolution; those positions hold the bias alone
        assertThat(lookup(of("aten::conv_transpose2d.input", in(randn(1, 4, 5, 5)), weight(randn(4, 2, 3, 3)), weight(randn(2)), s(3, 3),
                s(0, 0), s(2, 2)).node).isSupported()).isTrue();
    }

    @Test
    void halfPrecisionGroupedDilatedConvolutionWithSymbolicSizeIsRefused() {
        OneNode c = of("aten::conv2d", in(randn(1, 4, 8, 8), 0, 2, 3), weight(randn(6, 2, 3, 3)), null, s(1), s(2), s(2), 2L);
        assertThat(lookup(c.node).isSupported()).as("fp32").isTrue();
        dev.kiln.passes.PassManager.builder().build().run(c.graph, "precision",
                dev.kiln.passes.PassContext.builder().precision(dev.kiln.passes.Precision.FP16).build());
        Node half = c.graph.nodes().stream().filter(n -> n.op().equals("aten::conv2d")).findFirst().orElseThrow();
        refused(half, "no f16 kernel for a grouped, dilated convolution");
        OneNode fixed = of("aten::conv2d", in(randn(1, 4, 8, 8)), weight(randn(6, 2, 3, 3)), null, s(1), s(2), s(2), 2L);
        dev.kiln.passes.PassManager.builder().build().run(fixed.graph, "precision",
                dev.kiln.passes.PassContext.builder().precision(dev.kiln.passes.Precision.FP16).build());
        Node staticHalf = fixed.graph.nodes().stream().filter(n -> n.op().equals("aten::conv2d")).findFirst().orElseThrow();
        assertThat(lookup(staticHalf).isSupported()).as("static fp16").isTrue();
    }

    @Test
    void bfloat16TransposedConvolutionIsRefused() {
        OneNode t = of("aten::conv_transpose2d.input", in(randn(1, 4, 5, 5)), weight(randn(4, 2, 3, 3)));
        assertThat(lookup(t.node).isSupported()).as("fp32").isTrue();
        dev.kiln.passes.PassManager.builder().build().run(t.graph, "precision",
                dev.kiln.passes.PassContext.builder().precision(dev.kiln.passes.Precision.BF16).build());
        Node bf16 = t.graph.nodes().stream().filter(n -> n.op().equals("aten::conv_transpose2d.input")).findFirst().orElseThrow();
        refused(bf16, "no bf16 transposed convolution kernel");
    }

    @Test
    void unsupportedArgumentValuesAreNamed() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", f32(2, 3));
        refused(manual("aten::gelu", List.of(x), Map.of("approximate", Arg.of("sigmoid")), f32(2, 3), g), "approximate='sigmoid'");
        refused(manual("aten::div.Tensor_mode", List.of(x, x), Map.of("rounding_mode", Arg.of("round")), f32(2, 3), g), "rounding_mode=round");
        refused(manual("aten::permute", List.of(x, Arg.ints(0, 0)), Map.of(), f32(2, 3), g), "is not a permutation");
        refused(of("aten::softplus", in(randn(2, 3)), -1.0, 20.0).node, "beta <= 0");
        refused(of("aten::max_pool2d", in(randn(1, 2, 9, 9)), s(3), s(1), s(0), s(2)).node, "dilation");
        refused(of("aten::adaptive_avg_pool2d", in(randn(1, 2, 4, 4)), s(3, 3)).node, "not a multiple of output size 3");
        refused(of("aten::avg_pool2d", in(randn(1, 2, 4, 4)), s(2), s(2), s(0), false, true, 3L).node, "divisor_override");
    }

    @Test
    void trainingModeOpsAreRefusedWithTheFix() {
        refused(of("aten::dropout", in(randn(2, 3)), 0.5, true).node, "eval()");
        refused(of("aten::batch_norm", in(randn(2, 3, 4)), null, null, weight(randn(3)), weight(OneNode.positive(3)), true, 0.1, 1e-5, true)
                .node, "training mode", "eval()");
        refused(of("aten::scaled_dot_product_attention", in(randn(1, 2, 4, 8)), in(randn(1, 2, 4, 8)), in(randn(1, 2, 4, 8)), null, 0.1).node,
                "dropout_p=0.1", "eval()");
    }

    @Test
    void unusedOnlyOutputsAreChecked() {
        // the indices of max_pool2d_with_indices are a graph output here, so they are used
        refused(OneNode.of("aten::max_pool2d_with_indices", l(in(randn(1, 3, 8, 8)), s(2, 2)), Map.of(), null).node, "indices output is used");
        refused(OneNode.of("aten::_native_batch_norm_legit_no_training", Arrays.asList(in(randn(2, 3, 4)), null, null, weight(randn(3)),
                weight(OneNode.positive(3)), 0.1, 1e-5), Map.of(), null).node, "saved statistics");
    }

    @Test
    void dtypesAndDynamicShapesAreChecked() {
        refused(of("aten::relu", in(random(DType.INT64, 5, 2, 3))).node, "'self' is i64", "supported: f16, bf16, f32");
        refused(of("aten::split.Tensor", in(randn(6, 4), 0), 2L).node, "symbolic size", "number of pieces");
        refused(of("aten::bitwise_not", in(random(DType.INT64, 5, 4))).node, "'self' is i64");
        refused(of("aten::empty_like", in(randn(2, 3))).node, "uninitialized", "libtorch");
        // is_causal builds its mask at engine build time: sequence lengths must be static
        Graph g = new Graph("g");
        Symbol sq = g.declare(new Symbol("s0", 1, 64));
        TensorType t = new TensorType(DType.FLOAT32, Shape.of(SymExpr.of(1), SymExpr.of(2), SymExpr.of(sq), SymExpr.of(8)));
        Value q = g.addInput("q", t);
        refused(manual("aten::scaled_dot_product_attention", List.of(q, q, q, Arg.NONE, Arg.of(0.0), Arg.of(true)), Map.of(), t, g),
                "symbolic sequence lengths");
        refused(kw("aten::pow.Tensor_Tensor", l(in(random(DType.INT64, 4, 3)), in(random(DType.INT64, 3, 3))), map()).node, "float-only");
    }

    @Test
    void listUnpackOnlyForSplits() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", new dev.kiln.ir.ListType(TensorType.unknown()));
        Node n = g.append(OneNode.schema("prim::ListUnpack"), List.of(x), List.of(f32(2), f32(2)));
        refused(n, "only lists made by split");
    }

    @Test
    void ceilModeAveragePoolingNeedsStaticSpatialSizes() {
        // PyTorch's ceil-mode divisors near the end are computed from static sizes; max pooling crops TensorRT's
        // round-up result to PyTorch's size at run time instead
        assertThat(lookup(of("aten::max_pool1d", in(randn(2, 3, 9), 2), s(1), s(2), s(0), s(1), true).node).isSupported()).isTrue();
        refused(of("aten::avg_pool2d", in(randn(1, 2, 6, 6), 0, 3), s(3), s(2), s(1), true, true, null).node, "ceil_mode=True",
                "symbolic spatial size");
    }

    @Test
    void resizeScalesThatDisagreeWithTheOutputSizeAreRefused() {
        // PyTorch sizes the output by output_size and maps coordinates by the scales; TensorRT takes one or the other
        refused(of("aten::upsample_nearest2d", in(randn(1, 2, 4, 4)), s(9, 8), 2.0, 2.0).node, "output_size [9, 8]",
                "floor(input size * scale)", "scales [2.0, 2.0]");
        refused(of("aten::upsample_bilinear2d", in(randn(1, 2, 4, 4)), s(8, 7), false, 2.0, 2.0).node, "output_size [8, 7]");
        assertThat(lookup(of("aten::upsample_bilinear2d", in(randn(1, 2, 4, 4)), s(8, 6), false, 2.0, 1.5).node).isSupported()).isTrue();
    }

    @Test
    void squeezeOfASymbolicSizeThatMayBeOneIsRefused() {
        // the kit's dyn[0] cases: s0 in [1, 4] may be 1, and libtorch then drops the dim the engine keeps
        Graph g = new Graph("g");
        Symbol maybeOne = g.declare(new Symbol("s0", 1, 4));
        Value x = g.addInput("x", new TensorType(DType.BOOL, Shape.of(SymExpr.of(maybeOne), SymExpr.of(8))));
        TensorType kept = new TensorType(DType.BOOL, Shape.of(SymExpr.of(2), SymExpr.of(8)));
        refused(manual("aten::squeeze", List.of(x), Map.of(), kept, g), "dimension 0", "s0 in [1, 4]", "may be 1", "output rank");
        refused(manual("aten::squeeze.dim", List.of(x, 0L), Map.of(), kept, g), "may be 1");
        refused(manual("aten::squeeze.dims", List.of(x, Arg.list(List.of(Arg.of(-2L)))), Map.of(), kept, g), "may be 1");
        // an unbounded symbol from 0 (a .pt2 symbol without a range constraint) may be 1 too
        Value y = g.addInput("y", new TensorType(DType.FLOAT32, Shape.of(SymExpr.of(g.declare(new Symbol("s1", 0, Symbol.UNBOUNDED))))));
        refused(manual("aten::squeeze.dim", List.of(y, -1L), Map.of(), f32(2), g), "s1 in [0, inf]");
        // squeezing only static dims of that tensor is fine
        assertThat(lookup(manual("aten::squeeze.dim", List.of(x, 1L), Map.of(), kept, g)).isSupported()).isTrue();
    }

    @Test
    void squeezeOfASymbolicSizeThatCannotBeOneIsAccepted() {
        // torch.export's dynamic dims start at 2: squeezing them keeps them, as the shape rule says
        Graph g = new Graph("g");
        Symbol batch = g.declare(new Symbol("s0", 2, 64));
        TensorType t = new TensorType(DType.FLOAT32, Shape.of(SymExpr.of(batch), SymExpr.of(1), SymExpr.of(8)));
        Value x = g.addInput("x", t);
        TensorType out = new TensorType(DType.FLOAT32, Shape.of(SymExpr.of(batch), SymExpr.of(8)));
        assertThat(lookup(manual("aten::squeeze", List.of(x), Map.of(), out, g)).isSupported()).isTrue();
        assertThat(lookup(manual("aten::squeeze.dims", List.of(x, Arg.list(List.of(Arg.of(0L), Arg.of(1L)))), Map.of(), out, g))
                .isSupported()).isTrue();
        // a symbol pinned to [1, 1] is always 1: it is dropped, as the shape rule drops it
        Symbol one = g.declare(new Symbol("s1", 1, 1));
        Value y = g.addInput("y", new TensorType(DType.FLOAT32, Shape.of(SymExpr.of(one), SymExpr.of(8))));
        assertThat(lookup(manual("aten::squeeze.dim", List.of(y, 0L), Map.of(), f32(8), g)).isSupported()).isTrue();
        assertThat(ShapeConverters.SqueezeBase.isOne(SymExpr.of(one))).isTrue();
        assertThat(ShapeConverters.SqueezeBase.mayBeOne(SymExpr.of(batch))).isFalse();
    }

    @Test
    void catOfOnlyEmptyInputsIsAccepted() {
        // cat([f32[0]], 0) and cat([bool[0], bool[0]], -1): every input is skipped, the output is [0]
        Graph g = new Graph("g");
        Value a = g.addInput("a", f32(0));
        Value b = g.addInput("b", new TensorType(DType.BOOL, Shape.of(0)));
        assertThat(lookup(manual("aten::cat", List.of(Arg.list(List.of(a)), 0L), Map.of(), f32(0), g)).isSupported()).isTrue();
        assertThat(lookup(manual("aten::cat", List.of(Arg.list(List.of(b, b)), -1L), Map.of(),
                new TensorType(DType.BOOL, Shape.of(0)), g)).isSupported()).isTrue();
    }

    @Test
    void groupNormWithASymbolicGroupSizeThatMayBeOneIsConverted() {
        // C / groups = 1 and a spatial size in [1, 8]: the statistics come from reductions (TensorRT's normalization
        // layer does not build for one-element groups); a static group of one from element-wise layers
        assertThat(lookup(of("aten::group_norm", in(randn(2, 3, 4), 2), 3L).node).isSupported()).isTrue();
        assertThat(lookup(of("aten::native_group_norm", in(randn(2, 2, 3), 2), null, null, 2L, 2L, 3L, 2L, 1e-5).node).isSupported()).isTrue();
        assertThat(lookup(of("aten::group_norm", in(randn(2, 3, 1)), 3L).node).isSupported()).isTrue();
        assertThat(lookup(of("aten::group_norm", in(randn(2, 3), 0), 3L).node).isSupported()).isTrue();
        assertThat(lookup(of("aten::group_norm", in(randn(2, 6, 4), 2), 3L).node).isSupported()).isTrue();
        assertThat(NormalizationConverters.mayHoldOne(NormalizationConverters.groupSize(
                (TensorType) of("aten::group_norm", in(randn(2, 3, 4), 2), 3L).node.inputs().get(0).type(), 3))).isTrue();
    }
}
