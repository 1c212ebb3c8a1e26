package dev.kiln.ir.schema;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaBinderTest {
    private final SchemaRegistry registry = SchemaRegistry.standard();
    private Value x;
    private Value w;
    private Value n;

    @BeforeEach
    void values() {
        Graph g = new Graph("g");
        x = g.addInput("x", TensorType.unknown());
        w = g.addInput("w", TensorType.unknown());
        n = g.addInput("n", PrimitiveType.INT);
    }

    @Test
    void fillsDefaultsInSchemaOrder() {
        OpSchema add = registry.get("aten::add.Tensor");
        assertThat(SchemaBinder.bind(add, List.of(x, w), Map.of())).containsExactly(x, w, Arg.of(1));
        assertThat(SchemaBinder.bind(add, List.of(x), Map.of("alpha", Arg.of(2.5), "other", w))).containsExactly(x, w, Arg.of(2.5));
        assertThat(SchemaBinder.bind(add, List.of(), Map.of("self", x, "other", w))).containsExactly(x, w, Arg.of(1));
    }

    @Test
    void conv2dDefaults() {
        OpSchema conv = registry.get("aten::conv2d");
        assertThat(SchemaBinder.bind(conv, List.of(x, w)))
                .containsExactly(x, w, Arg.NONE, Arg.ints(1, 1), Arg.ints(0, 0), Arg.ints(1, 1), Arg.of(1));
    }

    @Test
    void bareIntBroadcastsToFixedSizeLists() {
        OpSchema conv = registry.get("aten::conv2d");
        assertThat(SchemaBinder.bind(conv, List.of(x, w, Arg.NONE, Arg.of(2), Arg.of(1))))
                .containsExactly(x, w, Arg.NONE, Arg.ints(2, 2), Arg.ints(1, 1), Arg.ints(1, 1), Arg.of(1));
        // an int value is repeated too, as ATen's IntArrayRef does with a traced int
        assertThat(SchemaBinder.bind(conv, List.of(x, w), Map.of("stride", n)).get(3)).isEqualTo(Arg.list(List.of(n, n)));
        // a full list or a list with values is kept as given
        assertThat(SchemaBinder.bind(conv, List.of(x, w), Map.of("padding", Arg.ints(1, 2))).get(4)).isEqualTo(Arg.ints(1, 2));
        // int[2] padding=0 in the schema is [0, 0]
        OpSchema pool = registry.get("aten::avg_pool2d");
        List<Arg> bound = SchemaBinder.bind(pool, List.of(x, Arg.of(3)));
        assertThat(bound.get(1)).isEqualTo(Arg.ints(3, 3));
        assertThat(bound.get(2)).isEqualTo(Arg.ints());
        assertThat(bound.get(3)).isEqualTo(Arg.ints(0, 0));
        // int[1]? dim: sum(x, 1) means dim=[1]
        OpSchema sum = registry.get("aten::sum.dim_IntList");
        assertThat(SchemaBinder.bind(sum, List.of(x, Arg.of(1))).get(1)).isEqualTo(Arg.ints(1));
        assertThat(SchemaBinder.bind(sum, List.of(x, Arg.NONE)).get(1)).isEqualTo(Arg.NONE);
        // no broadcast for unsized lists, tensors or non-int lists
        OpSchema view = registry.get("aten::view");
        assertThat(SchemaBinder.bind(view, List.of(x, Arg.of(4))).get(1)).isEqualTo(Arg.of(4));
        assertThat(SchemaBinder.bind(conv, List.of(x, w), Map.of("stride", x)).get(3)).isEqualTo(x);
    }

    @Test
    void enumDefaultsAreTypedLiterals() {
        OpSchema arange = SchemaParser.parse("aten::f(Tensor self, *, ScalarType dtype=long, MemoryFormat? memory_format=contiguous_format, "
                + "int reduction=Mean, float eps=1e-05) -> Tensor");
        assertThat(SchemaBinder.bind(arange, List.of(x)))
                .containsExactly(x, Arg.of(DType.INT64), new Arg.MemoryFormatLit("contiguous_format"), Arg.of(1), Arg.of(1e-05));
    }

    @Test
    void tooManyPositionals() {
        OpSchema add = registry.get("aten::add.Tensor");
        assertThatThrownBy(() -> SchemaBinder.bind(add, List.of(x, w, Arg.of(1))))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("aten::add.Tensor")
                .hasMessageContaining("at most 2 positional arguments but 3 were given")
                .hasMessageContaining("'alpha'");
        OpSchema relu = registry.get("aten::relu");
        assertThatThrownBy(() -> SchemaBinder.bind(relu, List.of(x, w)))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("aten::relu takes at most 1 positional argument but 2 were given")
                .hasMessageContaining("%w");
    }

    @Test
    void unknownKeyword() {
        OpSchema add = registry.get("aten::add.Tensor");
        assertThatThrownBy(() -> SchemaBinder.bind(add, List.of(x, w), Map.of("beta", Arg.of(1))))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("aten::add.Tensor")
                .hasMessageContaining("no argument named 'beta'")
                .hasMessageContaining("self, other, alpha");
    }

    @Test
    void missingRequired() {
        OpSchema add = registry.get("aten::add.Tensor");
        assertThatThrownBy(() -> SchemaBinder.bind(add, List.of(x), Map.of("alpha", Arg.of(1))))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("aten::add.Tensor")
                .hasMessageContaining("missing required argument 'other'");
        // an optional type without a default is still required
        OpSchema conv = registry.get("aten::_convolution");
        assertThatThrownBy(() -> SchemaBinder.bind(conv, List.of(x, w)))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("missing required argument 'bias'");
    }

    @Test
    void duplicate() {
        OpSchema add = registry.get("aten::add.Tensor");
        Map<String, Arg> kw = new LinkedHashMap<>();
        kw.put("other", w);
        assertThatThrownBy(() -> SchemaBinder.bind(add, List.of(x, w), kw))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("aten::add.Tensor")
                .hasMessageContaining("argument 'other' twice");
    }

    @Test
    void varargsKeepExtraPositionals() {
        OpSchema format = registry.get("aten::format");
        assertThat(SchemaBinder.bind(format, List.of(Arg.of("{} {}"), Arg.of(1), x))).containsExactly(Arg.of("{} {}"), Arg.of(1), x);
    }

    @Test
    void everyStandardSchemaBindsItsRequiredArguments() {
        // a positional per required argument, keywords for kw-only ones: every default must be filled
        for (OpSchema s : registry.all()) {
            List<SchemaArgument> params = s.arguments();
            java.util.ArrayList<Arg> pos = new java.util.ArrayList<>();
            Map<String, Arg> kw = new LinkedHashMap<>();
            for (SchemaArgument p : params) {
                if (p.hasDefault()) {
                    continue;
                }
                if (p.kwargOnly()) {
                    kw.put(p.name(), x);
                } else if (pos.size() == s.indexOf(p.name()).getAsInt()) {
                    pos.add(x);
                } else {
                    kw.put(p.name(), x);
                }
            }
            if (params.stream().map(SchemaArgument::name).distinct().count() != params.size()) {
                continue; // libtorch registers one schema with a repeated argument name
            }
            List<Arg> bound = SchemaBinder.bind(s, pos, kw);
            assertThat(bound).as(s.toString()).hasSize(params.size()).doesNotContainNull();
        }
    }
}
