package dev.kiln.ir.schema;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static dev.kiln.ir.schema.SchemaType.named;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaParserTest {

    private static SchemaType list(SchemaType e) {
        return new SchemaType.ListOf(e, OptionalInt.empty());
    }

    private static SchemaType list(SchemaType e, int n) {
        return new SchemaType.ListOf(e, OptionalInt.of(n));
    }

    private static SchemaType opt(SchemaType e) {
        return new SchemaType.OptionalOf(e);
    }

    /** The default of the only (or named) argument of a one-argument schema. */
    private static Arg defaultOf(String argument) {
        OpSchema s = SchemaParser.parse("test::f(" + argument + ") -> ()");
        return s.arguments().get(0).defaultValue().orElseThrow();
    }

    private static void assertRoundTrips(String schema) {
        OpSchema s = SchemaParser.parse(schema);
        assertThat(SchemaParser.parse(s.toString())).as(schema).isEqualTo(s);
    }

    @Test
    void addTensor() {
        OpSchema s = SchemaParser.parse("aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor");
        assertThat(s.name()).isEqualTo("aten::add");
        assertThat(s.overload()).isEqualTo("Tensor");
        assertThat(s.qualifiedName()).isEqualTo("aten::add.Tensor");
        assertThat(s.arguments()).containsExactly(
                new SchemaArgument("self", named("Tensor"), Optional.empty(), false, Optional.empty()),
                new SchemaArgument("other", named("Tensor"), Optional.empty(), false, Optional.empty()),
                new SchemaArgument("alpha", named("Scalar"), Optional.of(Arg.of(1)), true, Optional.empty()));
        assertThat(s.returns()).containsExactly(new SchemaArgument("", named("Tensor"), Optional.empty(), false, Optional.empty()));
        assertThat(s.varArgs()).isFalse();
        assertThat(s.varReturns()).isFalse();
        assertThat(s.toString()).isEqualTo("aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor");
    }

    @Test
    void defaultOverloadIsEmpty() {
        assertThat(SchemaParser.parse("aten::relu(Tensor self) -> Tensor").overload()).isEmpty();
        OpSchema d = SchemaParser.parse("aten::relu.default(Tensor self) -> Tensor");
        assertThat(d.overload()).isEmpty();
        assertThat(d.qualifiedName()).isEqualTo("aten::relu");
    }

    @Test
    void aliasAnnotations() {
        OpSchema s = SchemaParser.parse("aten::f(Tensor(a!) x, Tensor(a -> *) y, Tensor(a)[] z, Tensor(b!)? w, t[](a!) l, "
                + "Dict(str, t)(c!) d, Any(b|a) u, Tensor(a! -> a|b) v) -> t(*)");
        List<SchemaArgument> a = s.arguments();
        assertThat(a.get(0).alias()).contains("a!");
        assertThat(a.get(0).isMutated()).isTrue();
        assertThat(a.get(1).alias()).contains("a -> *");
        assertThat(a.get(1).isMutated()).isFalse();
        assertThat(a.get(2).type()).isEqualTo(list(named("Tensor")));
        assertThat(a.get(2).alias()).contains("a");
        assertThat(a.get(2).listAlias()).isEmpty();
        assertThat(a.get(3).type()).isEqualTo(opt(named("Tensor")));
        assertThat(a.get(3).alias()).contains("b!");
        assertThat(a.get(3).isMutated()).isTrue();
        assertThat(a.get(4).type()).isEqualTo(list(named("t")));
        assertThat(a.get(4).alias()).isEmpty();
        assertThat(a.get(4).listAlias()).contains("a!");
        assertThat(a.get(4).isMutated()).isTrue();
        assertThat(a.get(5).type()).isEqualTo(new SchemaType.DictOf(named("str"), named("t")));
        assertThat(a.get(5).alias()).contains("c!");
        // alias sets are sets: libtorch prints them in hash order, Kiln sorts them
        assertThat(a.get(6).alias()).contains("a|b");
        assertThat(a.get(7).alias()).contains("a! -> a|b");
        assertThat(a.get(7).isMutated()).isTrue();
        assertThat(s.returns().get(0).alias()).contains("*");
        assertThat(s.mutates()).isTrue();
        assertThat(s.toString()).isEqualTo("aten::f(Tensor(a!) x, Tensor(a -> *) y, Tensor(a)[] z, Tensor(b!)? w, t[](a!) l, "
                + "Dict(str, t)(c!) d, Any(a|b) u, Tensor(a! -> a|b) v) -> t(*)");
        assertThat(SchemaParser.parse("prim::IfThenElse(bool cond, Any(a) x, Any(b) y) -> Any(b|a)"))
                .isEqualTo(SchemaParser.parse("prim::IfThenElse(bool cond, Any(a) x, Any(b) y) -> Any(a|b)"));
    }

    @Test
    void aliasSpacingIsNormalized() {
        OpSchema s = SchemaParser.parse("aten::f( Tensor( a ! ->  * ) x ,Tensor(a | b) y )->Tensor");
        assertThat(s.arguments().get(0).alias()).contains("a! -> *");
        assertThat(s.arguments().get(1).alias()).contains("a|b");
        assertThat(s.toString()).isEqualTo("aten::f(Tensor(a! -> *) x, Tensor(a|b) y) -> Tensor");
    }

    @Test
    void compoundTypes() {
        OpSchema s = SchemaParser.parse("aten::f(int[2] k, SymInt[] s, Tensor?[] idx, float[]? f, (int, Tensor) tup, Dict(str, Tensor) d, "
                + "Future(t) fut, Await(t) aw, __torch__.torch.classes.quantized.LinearPackedParamsBase p, t1 tv, int[][] nested, () unit) -> Tensor");
        List<SchemaArgument> a = s.arguments();
        assertThat(a.get(0).type()).isEqualTo(list(named("int"), 2));
        assertThat(a.get(1).type()).isEqualTo(list(named("SymInt")));
        assertThat(a.get(2).type()).isEqualTo(list(opt(named("Tensor"))));
        assertThat(a.get(3).type()).isEqualTo(opt(list(named("float"))));
        assertThat(a.get(4).type()).isEqualTo(new SchemaType.TupleOf(List.of(named("int"), named("Tensor"))));
        assertThat(a.get(5).type()).isEqualTo(new SchemaType.DictOf(named("str"), named("Tensor")));
        assertThat(a.get(6).type()).isEqualTo(new SchemaType.Generic("Future", named("t")));
        assertThat(a.get(7).type()).isEqualTo(new SchemaType.Generic("Await", named("t")));
        assertThat(a.get(8).type()).isEqualTo(named("__torch__.torch.classes.quantized.LinearPackedParamsBase"));
        assertThat(a.get(9).type()).isEqualTo(named("t1"));
        assertThat(a.get(10).type()).isEqualTo(list(list(named("int"))));
        assertThat(a.get(11).type()).isEqualTo(new SchemaType.TupleOf(List.of()));
        assertRoundTrips(s.toString());
        assertThat(SchemaParser.parse("aten::f(Tensor?? x) -> ()").arguments().get(0).type()).isEqualTo(opt(named("Tensor")));
    }

    @Test
    void varargsAndVarReturns() {
        OpSchema a = SchemaParser.parse("aten::format(str self, ...) -> str");
        assertThat(a.varArgs()).isTrue();
        assertThat(a.arguments()).hasSize(1);
        assertThat(a.toString()).isEqualTo("aten::format(str self, ...) -> str");

        OpSchema b = SchemaParser.parse("prim::TupleUnpack(Any tup) -> ...");
        assertThat(b.varReturns()).isTrue();
        assertThat(b.returns()).isEmpty();
        assertThat(b.toString()).isEqualTo("prim::TupleUnpack(Any tup) -> ...");

        OpSchema c = SchemaParser.parse("prim::f(...) -> (Tensor, ...)");
        assertThat(c.arguments()).isEmpty();
        assertThat(c.varArgs()).isTrue();
        assertThat(c.returns()).hasSize(1);
        assertThat(c.varReturns()).isTrue();
        assertThat(c.toString()).isEqualTo("prim::f(...) -> (Tensor, ...)");
        assertThat(SchemaParser.parse("prim::f(...) -> (...)")).isEqualTo(SchemaParser.parse("prim::f(...) -> ..."));
    }

    @Test
    void returns() {
        OpSchema named = SchemaParser.parse("aten::max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)");
        assertThat(named.returns()).extracting(SchemaArgument::name).containsExactly("values", "indices");
        assertThat(named.toString()).endsWith("-> (Tensor values, Tensor indices)");

        OpSchema none = SchemaParser.parse("aten::_foreach_add_.Scalar(Tensor(a!)[] self, Scalar scalar) -> ()");
        assertThat(none.returns()).isEmpty();
        assertThat(none.toString()).endsWith("-> ()");

        OpSchema single = SchemaParser.parse("quantized::f(Tensor X) -> Tensor Y");
        assertThat(single.returns().get(0).name()).isEqualTo("Y");

        OpSchema tuple = SchemaParser.parse("aten::popitem.str(Dict(str, t)(a!) self) -> ((str, t))");
        assertThat(tuple.returns()).hasSize(1);
        assertThat(tuple.returns().get(0).type()).isEqualTo(new SchemaType.TupleOf(List.of(named("str"), named("t"))));
        assertThat(tuple.toString()).endsWith("-> ((str, t))");

        OpSchema listOfTuples = SchemaParser.parse("aten::items.str(Dict(str, t) self) -> ((str, t)[])");
        assertThat(listOfTuples.returns().get(0).type()).isEqualTo(list(new SchemaType.TupleOf(List.of(named("str"), named("t")))));
        assertThat(listOfTuples.toString()).endsWith("-> ((str, t)[])");

        OpSchema mutated = SchemaParser.parse("aten::f.out(Tensor self, *, Tensor(a!) out0, Tensor(b!) out1) -> (Tensor(a!), Tensor(b!))");
        assertThat(mutated.returns()).extracting(r -> r.alias().orElseThrow()).containsExactly("a!", "b!");
    }

    @Test
    void keywordOnly() {
        OpSchema s = SchemaParser.parse("aten::f(Tensor a, *, int b, int c=1) -> Tensor");
        assertThat(s.arguments()).extracting(SchemaArgument::kwargOnly).containsExactly(false, true, true);
        OpSchema all = SchemaParser.parse("aten::f(*, Tensor(a!) out) -> Tensor(a!)");
        assertThat(all.arguments().get(0).kwargOnly()).isTrue();
        assertThat(all.toString()).isEqualTo("aten::f(*, Tensor(a!) out) -> Tensor(a!)");
    }

    @Test
    void numericDefaults() {
        assertThat(defaultOf("int x=-3")).isEqualTo(Arg.of(-3));
        assertThat(defaultOf("Scalar x=1")).isEqualTo(Arg.of(1));
        assertThat(defaultOf("Scalar x=1.")).isEqualTo(Arg.of(1.0));
        assertThat(defaultOf("float x=1")).isEqualTo(Arg.of(1.0));
        assertThat(defaultOf("float eps=1e-05")).isEqualTo(Arg.of(1e-05));
        assertThat(defaultOf("float eps=1.0000000000000001e-05")).isEqualTo(Arg.of(1e-05));
        assertThat(defaultOf("float x=.5")).isEqualTo(Arg.of(0.5));
        assertThat(defaultOf("float x=inf")).isEqualTo(Arg.of(Double.POSITIVE_INFINITY));
        assertThat(defaultOf("float x=-inf")).isEqualTo(Arg.of(Double.NEGATIVE_INFINITY));
        assertThat(defaultOf("float x=nan")).isEqualTo(Arg.of(Double.NaN));
        assertThat(defaultOf("float x=-0.")).isEqualTo(Arg.of(-0.0));
        assertThat(defaultOf("float? x=0.5")).isEqualTo(Arg.of(0.5));
        assertThat(defaultOf("SymFloat x=2")).isEqualTo(Arg.of(2.0));
        assertThat(defaultOf("int x=9223372036854775807")).isEqualTo(Arg.of(Long.MAX_VALUE));
    }

    @Test
    void otherDefaults() {
        assertThat(defaultOf("bool x=True")).isEqualTo(Arg.of(true));
        assertThat(defaultOf("bool x=False")).isEqualTo(Arg.of(false));
        assertThat(defaultOf("Tensor? x=None")).isEqualTo(Arg.NONE);
        assertThat(defaultOf("int[]? x=None")).isEqualTo(Arg.NONE);
        assertThat(defaultOf("int[1]? dim=None")).isEqualTo(Arg.NONE);
        assertThat(defaultOf("str x=\"mean\"")).isEqualTo(Arg.of("mean"));
        assertThat(defaultOf("str x='mean'")).isEqualTo(Arg.of("mean"));
        assertThat(defaultOf("str x=\"\"")).isEqualTo(Arg.of(""));
        assertThat(defaultOf("str x=\" \\n\\t\\f\\v\"")).isEqualTo(Arg.of(" \n\t\f\u000b"));
        assertThat(defaultOf("str x=\"\\\"\\'\\\\\"")).isEqualTo(Arg.of("\"'\\"));
        assertThat(defaultOf("str x='it\\'s \"q\"'")).isEqualTo(Arg.of("it's \"q\""));
        assertThat(defaultOf("str x=\"\\101\\x42\"")).isEqualTo(Arg.of("AB"));
        assertThat(defaultOf("Device? device=\"cuda:0\"")).isEqualTo(new Arg.DeviceLit("cuda:0"));
        // libtorch prints device defaults unquoted
        assertThat(defaultOf("Device device=cuda:1")).isEqualTo(new Arg.DeviceLit("cuda:1"));
        assertThat(defaultOf("Device? device=cpu")).isEqualTo(new Arg.DeviceLit("cpu"));
        assertThat(defaultOf("Device? device=None")).isEqualTo(Arg.NONE);
    }

    @Test
    void listDefaults() {
        assertThat(defaultOf("int[2] x=[0, 0]")).isEqualTo(Arg.ints(0, 0));
        assertThat(defaultOf("int[] x=[]")).isEqualTo(Arg.ints());
        assertThat(defaultOf("int[2] stride=[]")).isEqualTo(Arg.ints());
        assertThat(defaultOf("int[2] stride=1")).isEqualTo(Arg.ints(1, 1));
        assertThat(defaultOf("SymInt[3] padding=0")).isEqualTo(Arg.ints(0, 0, 0));
        assertThat(defaultOf("int[1] dim=-1")).isEqualTo(Arg.ints(-1));
        assertThat(defaultOf("int[]? x=[-2, -1]")).isEqualTo(Arg.ints(-2, -1));
        assertThat(defaultOf("float[] x=[1, 2.5]")).isEqualTo(Arg.floats(1.0, 2.5));
        assertThat(defaultOf("bool[3] mask=[True, False, True]")).isEqualTo(Arg.list(List.of(Arg.of(true), Arg.of(false), Arg.of(true))));
    }

    @Test
    void enumDefaults() {
        assertThat(defaultOf("ScalarType dtype=long")).isEqualTo(Arg.of(DType.INT64));
        assertThat(defaultOf("ScalarType? dtype=float")).isEqualTo(Arg.of(DType.FLOAT32));
        assertThat(defaultOf("ScalarType? dtype=half")).isEqualTo(Arg.of(DType.FLOAT16));
        assertThat(defaultOf("ScalarType? dtype=Float")).isEqualTo(Arg.of(DType.FLOAT32));
        assertThat(defaultOf("ScalarType? dtype=complex")).isEqualTo(Arg.of(DType.COMPLEX64));
        assertThat(defaultOf("int dtype=long")).isEqualTo(Arg.of(DType.INT64));
        // libtorch prints enum defaults as their codes
        assertThat(defaultOf("ScalarType? dtype=4")).isEqualTo(Arg.of(DType.INT64));
        assertThat(defaultOf("ScalarType? dtype=6")).isEqualTo(Arg.of(DType.FLOAT32));
        assertThat(defaultOf("MemoryFormat memory_format=contiguous_format")).isEqualTo(new Arg.MemoryFormatLit("contiguous_format"));
        assertThat(defaultOf("MemoryFormat? memory_format=0")).isEqualTo(new Arg.MemoryFormatLit("contiguous_format"));
        assertThat(defaultOf("MemoryFormat? memory_format=preserve_format")).isEqualTo(new Arg.MemoryFormatLit("preserve_format"));
        assertThat(defaultOf("MemoryFormat? memory_format=channels_last")).isEqualTo(new Arg.MemoryFormatLit("channels_last"));
        assertThat(defaultOf("Layout layout=strided")).isEqualTo(new Arg.LayoutLit("strided"));
        assertThat(defaultOf("Layout? layout=0")).isEqualTo(new Arg.LayoutLit("strided"));
        assertThat(defaultOf("int reduction=Mean")).isEqualTo(Arg.of(1));
        assertThat(defaultOf("int reduction=Sum")).isEqualTo(Arg.of(2));
        assertThat(defaultOf("int reduction=None")).isEqualTo(Arg.of(0));
        assertThat(defaultOf("int? reduction=None")).isEqualTo(Arg.NONE);
    }

    @Test
    void enumDefaultsPrintAsNames() {
        OpSchema s = SchemaParser.parse("aten::randperm(SymInt n, *, ScalarType? dtype=4, MemoryFormat? memory_format=0, Layout? layout=0) -> Tensor");
        assertThat(s.toString()).isEqualTo(
                "aten::randperm(SymInt n, *, ScalarType? dtype=long, MemoryFormat? memory_format=contiguous_format, Layout? layout=strided) -> Tensor");
        assertThat(SchemaParser.parse(s.toString())).isEqualTo(s);
        for (DType d : DType.values()) {
            OpSchema withD = SchemaParser.parse("test::f(ScalarType dtype=" + SchemaPrinter.dtypeName(d) + ") -> ()");
            assertThat(withD.arguments().get(0).defaultValue()).as(d.name()).contains(Arg.of(d));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1.0|1.",
            "-0.0|-0.",
            "0.0|0.",
            "1e-05|1.0000000000000001e-05",
            "0.5|0.5",
            "0.3333333333333333|0.33333333333333331",
            "1e-08|1e-08",
            "9.9999999999999995e-07|9.9999999999999995e-07",
            "0.125|0.125",
            "1e10|10000000000.",
            "1.5e17|1.5e+17",
            "-2.5|-2.5",
            "123456.789|123456.789",
            "1e300|1.0000000000000001e+300",
            "4.9e-324|4.9406564584124654e-324",
    })
    void floatsPrintAsLibtorchDoes(double value, String printed) {
        assertThat(SchemaPrinter.formatDouble(value)).isEqualTo(printed);
        assertThat(defaultOf("float x=" + printed)).isEqualTo(Arg.of(value));
    }

    @Test
    void printerCollapsesEqualIntLists() {
        assertThat(SchemaParser.parse("aten::f(int[2] padding=[0, 0], int[2] stride=[1, 2], SymInt[2] d=[1, 1], int[1] e=[3]) -> Tensor").toString())
                .isEqualTo("aten::f(int[2] padding=0, int[2] stride=[1, 2], SymInt[2] d=[1, 1], int[1] e=[3]) -> Tensor");
    }

    @Test
    void stringsPrintWithEscapes() {
        String schema = "aten::_test_string_default(Tensor dummy, str a=\"\\\"\\'\\\\\", str b='x\\ty') -> Tensor";
        OpSchema s = SchemaParser.parse(schema);
        assertThat(s.toString()).isEqualTo("aten::_test_string_default(Tensor dummy, str a=\"\\\"\\'\\\\\", str b=\"x\\ty\") -> Tensor");
        assertRoundTrips(schema);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "aten::conv2d(Tensor input, Tensor weight, Tensor? bias=None, SymInt[2] stride=[1, 1], SymInt[2] padding=[0, 0], SymInt[2] dilation=[1, 1], SymInt groups=1) -> Tensor",
            "aten::avg_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor",
            "aten::layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1.0000000000000001e-05, bool cudnn_enable=True) -> Tensor",
            "aten::setdefault.bool(Dict(bool, t)(a!) self, bool(b -> *) key, t(c -> *) default_value) -> t(*)",
            "aten::wait(Future(t) self) -> t",
            "aten::_fused_adam.out(Tensor[] self, Tensor(b!)[] grads, *, float lr, Tensor? grad_scale=None, Tensor(a!)[] out) -> ()",
            "prim::IfThenElse(bool cond, Any(a) x, Any(b) y) -> Any(a|b)",
            "aten::Delete.t(t[](a!) self, int idx) -> ()",
            "aten::strip(str self, str chars=\" \\n\\t\\f\\v\") -> str",
            "c10d::reduce_scatter_(Tensor[] output_tensors, Tensor[][] input_tensors, __torch__.torch.classes.c10d.ProcessGroup process_group, int timeout) -> (Tensor[], __torch__.torch.classes.c10d.Work)",
            "aten::to.dtype(Tensor(a) self, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
    })
    void libtorchSchemasPrintBackIdentically(String schema) {
        assertThat(SchemaParser.parse(schema).toString()).isEqualTo(schema);
        assertRoundTrips(schema);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "add(Tensor self) -> Tensor|4|expected '::'",
            "aten::add(Tensor self -> Tensor|23|expected ')'",
            "aten::add(Tensor) -> Tensor|17|expected the argument's name",
            "aten::add(Tensor self)|23|expected '->'",
            "aten::add(Tensor self) -> |26|expected a type",
            "aten::add(Tensor self) -> Tensor extra more|40|unexpected text",
            "aten::add(Tensor self, int x=) -> Tensor|30|expected a default value",
            "aten::add(Tensor self, int x=foo) -> Tensor|30|unknown default value 'foo'",
            "aten::add(Tensor self, str x=\"abc) -> Tensor|30|unterminated string",
            "aten::add(Tensor(a self) -> Tensor|20|expected ')'",
            "aten::add(Tensor() self) -> Tensor|18|expected an alias set name",
            "aten::add(..., Tensor x) -> Tensor|16|'...' must be the last argument",
            "aten::add(*, *, Tensor x) -> Tensor|14|'*' appears twice",
            "aten::add(Tensor self) -> Tensor x=1|35|a return cannot have a default",
            "aten::add(Dict(str, Tensor(a)) d) -> Tensor|27|alias annotations inside compound types",
            "aten::add(int[] x=1) -> Tensor|19|must be written as a list",
            "aten::add(Union(int, str) x) -> Tensor|11|Union types are not supported",
            "aten::add(int x=1.5e) -> Tensor|20|exponent",
            "aten::add(str x=\"\\q\") -> Tensor|18|unknown escape",
            "aten::add(int x=99999999999999999999) -> Tensor|17|does not fit in 64 bits",
    })
    void malformedSchemasNameTheTextAndColumn(String schema, int column, String reason) {
        assertThatThrownBy(() -> SchemaParser.parse(schema))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining(schema)
                .hasMessageContaining("column " + column + " ")
                .hasMessageContaining(reason);
    }

    @Test
    void nullIsRefused() {
        assertThatThrownBy(() -> SchemaParser.parse(null)).isInstanceOf(KilnException.class);
    }
}
