package dev.kiln.backend.tensorrt.converters;

import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.backend.tensorrt.OpConverter;
import dev.kiln.backend.tensorrt.Support;
import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Base of Kiln's built-in converters: the op name, the dtype set, and a {@link #check} that first does
 * the checks every converter needs (its tensor arguments and outputs have known dtypes and ranks, the
 * dtypes are supported, shapes are static when the converter needs them) and then asks the subclass's
 * {@link #checkNode}. A {@link KilnException} thrown while checking (a non-literal argument where a
 * literal is required) becomes a refusal carrying its message.
 *
 * <pre>{@code
 * @AutoService(OpConverter.class)
 * public static final class Relu extends AtenConverter {
 *     public Relu() { super("aten::relu"); }
 *     public void convert(ConversionContext ctx, Node n) { ... }
 * }
 * }</pre>
 */
public abstract class AtenConverter implements OpConverter {
    /** f32, f16, bf16. */
    public static final Set<DType> FLOATS = Collections.unmodifiableSet(EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16));
    /** Floats plus i32 and i64. */
    public static final Set<DType> NUMERIC = Collections.unmodifiableSet(EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16,
            DType.INT32, DType.INT64));
    /** Every dtype a TensorRT tensor can hold that Kiln moves around. */
    public static final Set<DType> ANY = Collections.unmodifiableSet(EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16,
            DType.INT32, DType.INT64, DType.INT8, DType.UINT8, DType.BOOL));

    private final String op;

    protected AtenConverter(String op) {
        this.op = op;
    }

    @Override
    public final String op() {
        return op;
    }

    /** Names of the tensor arguments whose dtype and rank must be known and whose dtype must be supported. */
    protected List<String> tensorArgs() {
        return List.of("self");
    }

    /** Whether every output must be a tensor of known type (false for ops returning ints). */
    protected boolean tensorOutputs() {
        return true;
    }

    @Override
    public Set<DType> supportedDTypes() {
        return FLOATS;
    }

    @Override
    public final Support check(Node n, ConverterSettings settings) {
        try {
            for (String name : tensorArgs()) {
                Arg a = n.arg(name);
                if (a.isNone()) {
                    continue;
                }
                if (!(a instanceof Value v) || !(v.type() instanceof TensorType t) || !t.isComplete()) {
                    return Support.no(n.describe() + ": the dtype or rank of '" + name + "' is not known; run shape propagation before conversion");
                }
                if (!supportedDTypes().contains(t.elementType())) {
                    return Support.no(n.describe() + ": '" + name + "' is " + t.elementType() + ", which this converter does not handle (supported: "
                            + Layers.describeDTypes(supportedDTypes()) + ")");
                }
                if (!supportsDynamicShapes() && !t.shape().isStatic()) {
                    return Support.no(n.describe() + ": '" + name + "' has dynamic shape " + t.shape()
                            + "; this converter needs static shapes (give static input sizes)");
                }
            }
            if (tensorOutputs()) {
                for (int i = 0; i < n.outputs().size(); i++) {
                    if (Layers.outType(n, i).isEmpty()) {
                        return Support.no(n.describe() + ": the type of output " + i + " is not known; run shape propagation before conversion");
                    }
                }
            }
            Support s = checkNode(n, settings);
            if (!s.isSupported() && !s.reason().startsWith("node ")) {
                return Support.no(n.describe() + ": " + s.reason());
            }
            return s;
        } catch (KilnException e) {
            return Support.no(e.getMessage());
        }
    }

    /** Op-specific checks, after the common ones passed. */
    protected Support checkNode(Node n, ConverterSettings settings) {
        return Support.yes();
    }

    // --- small helpers for subclasses' checks

    /** The (known, complete) type of tensor argument {@code name}; call after the common checks. */
    protected static TensorType type(Node n, String name) {
        return Layers.tensorType(n, name).orElseThrow(() -> KilnException.at(n, "'" + name + "' is not a tensor of known type"));
    }

    /** Refusal unless argument {@code name} is an int literal or an int-literal list. */
    protected static Support requireIntLiterals(Node n, String name) {
        return Layers.isIntList(n.arg(name)) ? Support.yes()
                : Support.no("'" + name + "' must be constant ints but is " + dev.kiln.ir.Args.describe(n.arg(name)));
    }

    /** Refusal unless argument {@code name} is a number literal. */
    protected static Support requireNumber(Node n, String name) {
        return Layers.isLiteralNumber(n.arg(name)) ? Support.yes()
                : Support.no("'" + name + "' must be a constant number but is " + dev.kiln.ir.Args.describe(n.arg(name)));
    }

    /** The first refusal among {@code checks}, or yes. */
    protected static Support all(Support... checks) {
        for (Support s : checks) {
            if (!s.isSupported()) {
                return s;
            }
        }
        return Support.yes();
    }
}
