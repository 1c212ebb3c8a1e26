package dev.kiln.ir.schema;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaRegistryTest {

    /**
     * libtorch prints enum defaults as codes ({@code dtype=4}), Kiln as their names ({@code dtype=long});
     * libtorch prints alias sets in hash order ({@code b|a}), Kiln sorted.
     */
    private static final Pattern ENUM_CODE_DEFAULT = Pattern.compile("(ScalarType|MemoryFormat|Layout)\\?? \\w+=\\d");

    @Test
    void everyStandardSchemaParsesAndRoundTrips() {
        List<String> lines = SchemaRegistry.readStandardResource();
        Map<String, Integer> perNamespace = new TreeMap<>();
        int identical = 0;
        List<String> failures = new ArrayList<>();
        for (String line : lines) {
            OpSchema s = SchemaParser.parse(line);
            String printed = s.toString();
            if (!SchemaParser.parse(printed).equals(s)) {
                failures.add(line + "\n    printed " + printed);
            }
            if (printed.equals(line)) {
                identical++;
            } else if (!ENUM_CODE_DEFAULT.matcher(line).find() && !line.contains("|")) {
                failures.add(line + "\n    printed differently: " + printed);
            }
            perNamespace.merge(s.namespace(), 1, Integer::sum);
        }
        System.out.println("standard schemas: " + lines.size() + " (aten " + perNamespace.get("aten") + ", prim " + perNamespace.get("prim")
                + "), printed identically to libtorch: " + identical + ", by namespace: " + perNamespace);
        assertThat(failures).isEmpty();
        assertThat(perNamespace.get("aten")).isGreaterThan(3000);
        assertThat(perNamespace.get("prim")).isGreaterThan(100);
        // all but the few with enum codes or unsorted alias sets print exactly as libtorch does
        assertThat(lines.size() - identical).isLessThan(30);
        // libtorch's schemas and Kiln's own (kiln::cond, prim::ListUnpack)
        assertThat(SchemaRegistry.standard().size()).isEqualTo(lines.size() + SchemaRegistry.KILN_SCHEMAS.size());
        for (String own : SchemaRegistry.KILN_SCHEMAS) {
            assertThat(SchemaRegistry.standard().get(SchemaParser.parse(own).qualifiedName()).toString()).isEqualTo(own);
        }
    }

    @Test
    void resourceIsSortedAndUnique() {
        List<String> lines = SchemaRegistry.readStandardResource();
        for (int i = 1; i < lines.size(); i++) {
            assertThat(lines.get(i - 1).compareTo(lines.get(i))).as(lines.get(i)).isLessThan(0);
        }
    }

    @Test
    void standardIsOneInstance() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<SchemaRegistry>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                fs.add(pool.submit(SchemaRegistry::standard));
            }
            for (Future<SchemaRegistry> f : fs) {
                assertThat(f.get()).isSameAs(SchemaRegistry.standard());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void getByQualifiedName() {
        SchemaRegistry r = SchemaRegistry.standard();
        OpSchema add = r.get("aten::add.Tensor");
        assertThat(add.toString()).isEqualTo("aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor");
        OpSchema relu = r.get("aten::relu");
        assertThat(relu.overload()).isEmpty();
        assertThat(relu.toString()).isEqualTo("aten::relu(Tensor self) -> Tensor");
        assertThat(r.get("aten::relu.default")).isSameAs(relu);
        assertThat(r.get("prim::TupleUnpack").varReturns()).isTrue();
        OpSchema conv = r.get("aten::conv2d");
        assertThat(conv.arguments().get(3).defaultValue()).contains(Arg.ints(1, 1));
        assertThat(r.get("aten::randperm").arguments().get(1).defaultValue()).contains(Arg.of(DType.INT64));
    }

    @Test
    void findAndOverloads() {
        SchemaRegistry r = SchemaRegistry.standard();
        assertThat(r.find("aten::add", "Tensor")).isPresent();
        assertThat(r.find("aten::relu", "")).isPresent();
        assertThat(r.find("aten::relu", "default")).isPresent();
        assertThat(r.find("aten::add", "nope")).isEmpty();
        assertThat(r.find("aten::nope", "")).isEmpty();
        List<OpSchema> adds = r.overloads("aten::add");
        assertThat(adds).extracting(OpSchema::qualifiedName).contains("aten::add.Tensor", "aten::add.Scalar", "aten::add.out", "aten::add.t");
        assertThat(adds).allMatch(s -> s.name().equals("aten::add"));
        assertThat(adds).extracting(OpSchema::overload).isSorted();
        assertThat(r.overloads("aten::nope")).isEmpty();
        assertThat(r.names()).contains("aten::add", "prim::TupleUnpack").isSorted();
        assertThat(r.all()).hasSize(r.size()).extracting(OpSchema::qualifiedName).isSorted();
    }

    @Test
    void unknownOverloadListsTheKnownOnes() {
        assertThatThrownBy(() -> SchemaRegistry.standard().get("aten::add.Tensorr"))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("aten::add.Tensorr")
                .hasMessageContaining("aten::add.Tensor,")
                .hasMessageContaining("aten::add.Scalar");
        assertThatThrownBy(() -> SchemaRegistry.standard().get("aten::_add_relu"))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("has no default overload")
                .hasMessageContaining("aten::_add_relu.Tensor");
    }

    @Test
    void unknownOpSuggestsCloseNames() {
        assertThatThrownBy(() -> SchemaRegistry.standard().get("aten::reluu"))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("aten::reluu")
                .hasMessageContaining("did you mean")
                .hasMessageContaining("aten::relu");
        assertThatThrownBy(() -> SchemaRegistry.standard().get("relu"))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("not a qualified operator name");
    }

    @Test
    void registerThirdPartyOps() {
        SchemaRegistry r = new SchemaRegistry();
        assertThat(r.size()).isZero();
        OpSchema s = r.register("mylib::fused_gelu(Tensor x, *, str approximate=\"none\") -> Tensor");
        assertThat(r.get("mylib::fused_gelu")).isEqualTo(s);
        assertThat(r.size()).isEqualTo(1);
        // the same schema again is fine
        r.register(SchemaParser.parse("mylib::fused_gelu(Tensor x, *, str approximate='none') -> Tensor"));
        assertThat(r.size()).isEqualTo(1);
        assertThatThrownBy(() -> r.register("mylib::fused_gelu(Tensor x) -> Tensor"))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("mylib::fused_gelu")
                .hasMessageContaining("already registered with a different schema");
        r.register("mylib::fused_gelu.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)");
        assertThat(r.overloads("mylib::fused_gelu")).hasSize(2);
    }

    @Test
    void standardRefusesToRedefineAten() {
        assertThatThrownBy(() -> SchemaRegistry.standard().register("aten::relu(Tensor self, int extra) -> Tensor"))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("aten::relu");
        SchemaRegistry.standard().register(SchemaRegistry.standard().get("aten::relu"));
    }

    @Test
    void concurrentRegistration() throws Exception {
        SchemaRegistry r = new SchemaRegistry();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        // every thread registers the same 200 schemas: duplicates must be idempotent, never lost or doubled
                        r.register("test::op" + i + "(Tensor x) -> Tensor");
                        r.find("test::op" + i, "");
                        r.size();
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(r.size()).isEqualTo(200);
        assertThat(r.names()).hasSize(200);
    }
}
