package dev.kiln.ir.schema;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Random well-formed schemas print to text that parses back to an equal schema. */
class SchemaRoundTripPropertyTest {
    private static final List<String> BASE_TYPES = List.of("Tensor", "int", "SymInt", "float", "bool", "str", "Scalar", "ScalarType",
            "MemoryFormat", "Layout", "Device", "Generator", "Any", "t", "t1", "Storage", "__torch__.torch.classes.quantized.LinearPackedParamsBase");
    private static final List<String> ALIASES = List.of("a", "a!", "b!", "*", "a -> *", "a|b", "a! -> *|a|b", "t");
    private static final List<String> NAMES = List.of("self", "other", "x", "out", "dim", "weight", "_0", "keepdim", "alpha", "values");

    @Property(tries = 500)
    void printThenParseIsIdentity(@ForAll("schemas") OpSchema schema) {
        String printed = schema.toString();
        assertThat(SchemaParser.parse(printed)).as(printed).isEqualTo(schema);
        assertThat(SchemaParser.parse(printed).toString()).isEqualTo(printed);
    }

    @Property(tries = 300)
    void floatsRoundTrip(@ForAll double any) {
        double value = Double.isNaN(any) ? Double.NaN : any;
        String printed = SchemaPrinter.formatDouble(value);
        OpSchema s = SchemaParser.parse("test::f(float x=" + printed + ", Scalar y=" + printed + ") -> ()");
        assertThat(s.arguments().get(0).defaultValue()).contains(Arg.of(value));
        assertThat(s.arguments().get(1).defaultValue()).contains(Arg.of(value));
    }

    @Property(tries = 200)
    void stringsRoundTrip(@ForAll String value) {
        OpSchema s = SchemaParser.parse("test::f(str x=" + SchemaPrinter.quote(value) + ") -> ()");
        assertThat(s.arguments().get(0).defaultValue()).contains(Arg.of(value));
    }

    @Provide
    Arbitrary<OpSchema> schemas() {
        return Arbitraries.randomValue(SchemaRoundTripPropertyTest::schema);
    }

    private static OpSchema schema(Random r) {
        String ns = pick(r, List.of("aten", "prim", "mylib", "_c10d_functional"));
        String op = pick(r, List.of("add", "conv2d", "__getitem__", "_foreach_add_", "max", "op9"));
        String overload = r.nextInt(3) == 0 ? "" : pick(r, List.of("Tensor", "out", "dim_IntList", "Dict_str", "t", "x2"));
        int nArgs = r.nextInt(6);
        int firstKw = r.nextInt(nArgs + 2);
        List<SchemaArgument> args = new ArrayList<>();
        for (int i = 0; i < nArgs; i++) {
            args.add(argument(r, NAMES.get(i) + (r.nextBoolean() ? "" : "_" + i), i >= firstKw, true));
        }
        int nRets = r.nextInt(4);
        List<SchemaArgument> rets = new ArrayList<>();
        boolean named = r.nextBoolean();
        for (int i = 0; i < nRets; i++) {
            rets.add(argument(r, named ? "r" + i : "", false, false));
        }
        return new OpSchema(ns + "::" + op, overload, args, rets, r.nextInt(5) == 0, r.nextInt(5) == 0);
    }

    private static SchemaArgument argument(Random r, String name, boolean kwOnly, boolean isArgument) {
        SchemaType type = type(r, 0);
        Optional<String> alias = r.nextInt(4) == 0 ? Optional.of(pick(r, ALIASES)) : Optional.empty();
        Optional<String> listAlias = Optional.empty();
        if (unwrap(type) instanceof SchemaType.ListOf && r.nextInt(3) == 0) {
            listAlias = Optional.of(pick(r, ALIASES));
        }
        Optional<Arg> def = isArgument && r.nextBoolean() ? defaultFor(r, type) : Optional.empty();
        return new SchemaArgument(name, type, def, kwOnly, alias, listAlias);
    }

    private static SchemaType type(Random r, int depth) {
        int k = depth > 2 ? 0 : r.nextInt(10);
        switch (k) {
            case 5:
                return new SchemaType.ListOf(type(r, depth + 1), r.nextBoolean() ? OptionalInt.empty() : OptionalInt.of(1 + r.nextInt(4)));
            case 6: {
                SchemaType e = type(r, depth + 1);
                // the parser reads T?? as T?
                return e instanceof SchemaType.OptionalOf ? e : new SchemaType.OptionalOf(e);
            }
            case 7: {
                List<SchemaType> elems = new ArrayList<>();
                int n = r.nextInt(3);
                for (int i = 0; i < n; i++) {
                    elems.add(type(r, depth + 1));
                }
                return new SchemaType.TupleOf(elems);
            }
            case 8:
                return new SchemaType.DictOf(SchemaType.named(pick(r, List.of("str", "int", "Tensor"))), type(r, depth + 1));
            case 9:
                return new SchemaType.Generic(pick(r, List.of("Future", "Await", "RRef")), type(r, depth + 1));
            default:
                return SchemaType.named(pick(r, BASE_TYPES));
        }
    }

    /** A default of the kind the parser produces for this type; empty where the type has none. */
    private static Optional<Arg> defaultFor(Random r, SchemaType type) {
        if (type instanceof SchemaType.OptionalOf o) {
            return r.nextBoolean() ? Optional.of(Arg.NONE) : defaultFor(r, o.element());
        }
        if (type instanceof SchemaType.ListOf l) {
            int n = l.size().isPresent() && r.nextBoolean() ? l.size().getAsInt() : r.nextInt(4);
            List<Arg> elems = new ArrayList<>();
            Optional<Arg> same = defaultFor(r, l.element());
            for (int i = 0; i < n; i++) {
                Optional<Arg> e = r.nextBoolean() ? same : defaultFor(r, l.element());
                if (e.isEmpty()) {
                    return Optional.empty();
                }
                elems.add(e.get());
            }
            return Optional.of(Arg.list(elems));
        }
        if (!(type instanceof SchemaType.Named named)) {
            return Optional.empty();
        }
        switch (named.name()) {
            case "int":
            case "SymInt":
                return Optional.of(Arg.of((long) (r.nextInt(7) - 3) * (r.nextBoolean() ? 1 : Long.MAX_VALUE / 4)));
            case "float":
                return Optional.of(Arg.of(someDouble(r)));
            case "bool":
                return Optional.of(Arg.of(r.nextBoolean()));
            case "str": {
                StringBuilder sb = new StringBuilder();
                String alphabet = "ab \"'\\\n\t\u0007\u0001é{}";
                for (int i = r.nextInt(5); i > 0; i--) {
                    sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
                }
                return Optional.of(Arg.of(sb.toString()));
            }
            case "Scalar":
                return Optional.of(r.nextBoolean() ? Arg.of((long) r.nextInt(100) - 50) : Arg.of(someDouble(r)));
            case "ScalarType":
                return Optional.of(Arg.of(DType.values()[r.nextInt(DType.values().length)]));
            case "MemoryFormat":
                return Optional.of(new Arg.MemoryFormatLit(pick(r, SchemaParser.MEMORY_FORMATS)));
            case "Layout":
                return Optional.of(new Arg.LayoutLit(pick(r, SchemaParser.LAYOUTS)));
            case "Device":
                return Optional.of(new Arg.DeviceLit(pick(r, List.of("cpu", "cuda:0", "cuda"))));
            default:
                return Optional.empty();
        }
    }

    private static double someDouble(Random r) {
        switch (r.nextInt(6)) {
            case 0:
                return pick(r, List.of(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, -0.0, 0.0, 1e10, 1e-5, Double.MIN_VALUE));
            case 1:
                return r.nextInt(2000) - 1000;
            case 2: {
                // any bit pattern, but NaN only as the canonical NaN that "nan" parses to
                double d = Double.longBitsToDouble(r.nextLong());
                return Double.isNaN(d) ? Double.NaN : d;
            }
            default:
                return r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
        }
    }

    private static SchemaType unwrap(SchemaType t) {
        return t instanceof SchemaType.OptionalOf o ? unwrap(o.element()) : t;
    }

    private static <T> T pick(Random r, List<T> from) {
        return from.get(r.nextInt(from.size()));
    }
}
