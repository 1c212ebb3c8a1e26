package dev.kiln.passes;

import dev.kiln.ir.Aliases;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaArgument;
import dev.kiln.ir.schema.SchemaRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Building blocks for passes that create nodes: schema lookup by qualified name, argument lists
 * bound by position and keyword with every default filled (nodes always hold full argument lists),
 * node creation before an anchor, and 0-d constants.
 *
 * <pre>{@code Node m = Ops.insertBefore(anchor, "aten::mul.Tensor", List.of(x, y), Map.of(), x.type());}</pre>
 */
public final class Ops {
    /** Ops whose result is not a pure function of their arguments, or that act on the world. */
    private static final Set<String> IMPURE = Set.of("aten::dropout", "aten::native_dropout", "aten::feature_dropout",
            "aten::alpha_dropout", "aten::rand", "aten::rand_like", "aten::randn", "aten::randn_like", "aten::randint",
            "aten::randint_like", "aten::randperm", "aten::bernoulli", "aten::multinomial", "aten::normal",
            "aten::uniform", "aten::empty", "aten::empty_like", "aten::empty_strided", "aten::new_empty",
            "aten::new_empty_strided", "aten::_assert_async", "aten::_assert_scalar", "aten::_assert_tensor_metadata",
            "aten::sym_constrain_range", "aten::sym_constrain_range_for_size", "aten::_functional_assert_async",
            "aten::_functional_sym_constrain_range", "aten::_functional_assert_scalar", "aten::print", "prim::Print",
            "aten::warn", "aten::copy_");

    private Ops() {
    }

    /** The schema of {@code qualified} from {@link SchemaRegistry#standard()} (libtorch 2.5.1's). */
    public static OpSchema schema(String qualified) {
        return SchemaRegistry.standard().get(qualified);
    }

    /**
     * True for the quantize/dequantize markers int8 quantization puts on a layer's operands
     * ({@code aten::fake_quantize_per_tensor_affine}, {@code ..._per_channel_affine}): computable, but never folded
     * into their constant weights, since the backend needs the marker itself to pick an int8 kernel.
     */
    public static boolean isQuantizationMarker(Node n) {
        return n.op().startsWith("aten::fake_quantize_per_");
    }

    /**
     * Whether {@code g} still writes a tensor in place at its top level after canonicalization made every write it
     * could functional: what is left writes into a view or into a tensor with views, so values there are not values
     * (one tensor changes under several of them). Merging, folding and re-typing passes leave such a graph alone, and
     * the compile runs it wholly in libtorch, in order.
     */
    public static boolean writesInPlace(Graph g) {
        for (Node n : g.nodes()) {
            if (n.schema().mutates()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a node of {@code v}'s graph writes in place into the memory {@code v} uses (through {@code v}, what it is a
     * view of, or another view of that): then a copy of {@code v} ({@code clone}) is a copy the model needs.
     */
    public static boolean memoryWritten(Value v) {
        Value root = Aliases.memoryRoot(v);
        for (Node u : v.graph().nodes()) {
            if (u.schema().mutates() && u.inputs().stream().anyMatch(in -> Aliases.memoryRoot(in) == root)) {
                return true;
            }
        }
        return false;
    }

    /** True for ops a pass must neither duplicate, merge, fold nor drop when unused. */
    public static boolean isImpure(Node n) {
        return IMPURE.contains(n.schema().name()) || n.schema().mutates() || n.schema().name().startsWith("prim::");
    }

    /**
     * Binds {@code positional} (in schema order, keyword-only arguments included, as nodes hold them)
     * then {@code keywords}, filling every other argument with its default.
     */
    public static List<Arg> bind(OpSchema schema, List<? extends Arg> positional, Map<String, ? extends Arg> keywords) {
        List<SchemaArgument> params = schema.arguments();
        if (positional.size() > params.size()) {
            throw new KilnException(schema.qualifiedName() + " takes " + params.size() + " arguments, "
                    + positional.size() + " given");
        }
        List<Arg> out = new ArrayList<>(params.size());
        for (int i = 0; i < params.size(); i++) {
            SchemaArgument p = params.get(i);
            Arg a = i < positional.size() ? positional.get(i) : keywords.get(p.name());
            if (a == null) {
                a = p.defaultValue().orElseThrow(() -> new KilnException(schema.qualifiedName()
                        + ": argument '" + p.name() + "' has no default and was not given"));
            }
            out.add(a);
        }
        for (String k : keywords.keySet()) {
            if (schema.indexOf(k).isEmpty()) {
                throw new KilnException(schema.qualifiedName() + " has no argument '" + k + "'");
            }
        }
        return out;
    }

    /** Creates {@code op} right before {@code anchor} (inheriting its source location), with one output of {@code type}. */
    public static Node insertBefore(Node anchor, String op, List<? extends Arg> positional, Map<String, ? extends Arg> kw,
                                    Type type) {
        OpSchema s = schema(op);
        return anchor.graph().insertBefore(anchor, s, bind(s, positional, kw), List.of(type));
    }

    /** A fresh 0-d constant: f32 for a double, i64 for a long, bool for a boolean. */
    public static Value scalarConstant(Graph g, String hint, DType dtype, double value) {
        return g.addConstant(g.freshName(hint), ConstantTensor.scalar(dtype, value));
    }

    /** The argument's literal number, if it is one. */
    public static boolean isLiteral(Arg a, double value) {
        if (a instanceof Arg.IntLit i) {
            return i.value() == value;
        }
        if (a instanceof Arg.FloatLit f) {
            return f.value() == value;
        }
        return false;
    }

    /** Makes every use of {@code old}'s outputs use {@code replacements} and removes {@code old}. */
    public static void replace(Node old, List<Value> replacements) {
        for (int i = 0; i < replacements.size(); i++) {
            old.output(i).replaceAllUsesWith(replacements.get(i));
        }
        for (int i = replacements.size(); i < old.outputs().size(); i++) {
            if (old.output(i).isUsed()) {
                throw KilnException.at(old, "cannot replace the node: its output %" + old.output(i).name()
                        + " is still used");
            }
        }
        old.graph().remove(old);
    }

    /** {@link #replace(Node, List)} for one value; keeps the old output's name on the replacement when it is a fresh node output. */
    public static void replace(Node old, Value replacement) {
        replace(old, List.of(replacement));
    }

    /**
     * Renames {@code v} (to a fresh name derived from {@code name} when taken); the node it is the
     * first output of takes the same name, so printed IR needs no separate node name.
     */
    public static void rename(Value v, String name) {
        Optional<Node> p = v.producer();
        v.graph().rename(v, name);
        if (p.isPresent() && p.get().outputs().get(0) == v) {
            p.get().setName(v.name());
        }
    }
}
