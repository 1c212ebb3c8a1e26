package dev.kiln.frontend.torchscript;

import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.schema.SchemaType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.BooleanList;
import org.bytedeco.pytorch.DoubleVector;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TupleElements;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Converts libtorch values ({@link IValue}s of constants, schema defaults and folded results) into
 * IR literals, and tensors into off-heap {@link ConstantTensor}s. The schema type of the place a value
 * is used decides how an int reads: TorchScript stores dtypes, layouts and memory formats as ints.
 */
final class IValues {
    private static final String[] LAYOUTS = {"strided", "sparse_coo", "sparse_csr", "_mkldnn", "sparse_csc",
        "sparse_bsr", "sparse_bsc", "jagged"};
    private static final String[] MEMORY_FORMATS = {"contiguous_format", "preserve_format", "channels_last",
        "channels_last_3d"};

    private IValues() {
    }

    /** The schema base name a value is read as, looking through optionals and lists ("ScalarType", "int", ...). */
    static String baseName(SchemaType t) {
        if (t instanceof SchemaType.OptionalOf o) {
            return baseName(o.element());
        }
        if (t instanceof SchemaType.ListOf l) {
            return baseName(l.element());
        }
        if (t instanceof SchemaType.Named n) {
            return n.name();
        }
        return "";
    }

    /**
     * A non-tensor value as an IR literal. Tensors are not literals: callers turn them into graph
     * constants first (see {@link #isTensorLike}).
     *
     * @param expected the schema type where the value is used, or null when unknown
     * @param where    what to name in an error ("node linear_1 (aten::linear) at m.py:3, argument 'bias'")
     */
    static Arg literal(IValue v, SchemaType expected, String where) {
        String base = expected == null ? "" : baseName(expected);
        if (v.isNone()) {
            return Arg.NONE;
        }
        if (v.isBool()) {
            return Arg.of(v.toBool());
        }
        if (v.isInt()) {
            return intLiteral(v.toInt(), base, where);
        }
        if (v.isDouble()) {
            return Arg.of(v.toDouble());
        }
        if (v.isString()) {
            return Arg.of(v.toStringRef().getString());
        }
        if (v.isDevice()) {
            return new Arg.DeviceLit(v.toDevice().str().getString());
        }
        if (v.isIntList()) {
            LongVector l = v.toIntVector();
            List<Arg> out = new ArrayList<>();
            for (long i = 0; i < l.size(); i++) {
                out.add(intLiteral(l.get(i), base, where));
            }
            return new Arg.ListArg(out);
        }
        if (v.isDoubleList()) {
            DoubleVector l = v.toDoubleVector();
            List<Arg> out = new ArrayList<>();
            for (long i = 0; i < l.size(); i++) {
                out.add(Arg.of(l.get(i)));
            }
            return new Arg.ListArg(out);
        }
        if (v.isBoolList()) {
            BooleanList l = v.toBoolList();
            List<Arg> out = new ArrayList<>();
            for (long i = 0; i < l.size(); i++) {
                out.add(Arg.of(l.get(i)));
            }
            return new Arg.ListArg(out);
        }
        if (v.isList() && !v.isTensorList()) {
            GenericList l = v.toList();
            List<Arg> out = new ArrayList<>();
            for (long i = 0; i < l.size(); i++) {
                out.add(literal(l.get(i), expected, where));
            }
            return new Arg.ListArg(out);
        }
        if (v.isTuple()) {
            TupleElements e = v.toTupleRef().elements();
            List<Arg> out = new ArrayList<>();
            for (long i = 0; i < e.size(); i++) {
                out.add(literal(e.get(i), null, where));
            }
            return new Arg.ListArg(out);
        }
        throw new KilnException(where + ": constant of kind " + v.tagKind().getString()
                + " has no IR form; Kiln reads None, bool, int, float, str, device, lists, tuples and tensors");
    }

    private static Arg intLiteral(long value, String base, String where) {
        switch (base) {
            case "ScalarType":
                return new Arg.DTypeLit(DType.fromC10((int) value).orElseThrow(() ->
                        new KilnException(where + ": scalar type code " + value + " is not a dtype Kiln knows")));
            case "Layout":
                if (value < 0 || value >= LAYOUTS.length) {
                    throw new KilnException(where + ": layout code " + value + " is unknown");
                }
                return new Arg.LayoutLit(LAYOUTS[(int) value]);
            case "MemoryFormat":
                if (value < 0 || value >= MEMORY_FORMATS.length) {
                    throw new KilnException(where + ": memory format code " + value + " is unknown");
                }
                return new Arg.MemoryFormatLit(MEMORY_FORMATS[(int) value]);
            default:
                return Arg.of(value);
        }
    }

    /** True for tensors and containers holding tensors (these become graph constants, not literals). */
    static boolean isTensorLike(IValue v) {
        return v.isTensor() || v.isTensorList() || v.isTuple() && tupleHasTensor(v)
                || v.isList() && !v.isIntList() && !v.isDoubleList() && !v.isBoolList() && listHasTensor(v);
    }

    private static boolean tupleHasTensor(IValue v) {
        TupleElements e = v.toTupleRef().elements();
        for (long i = 0; i < e.size(); i++) {
            if (isTensorLike(e.get(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean listHasTensor(IValue v) {
        GenericList l = v.toList();
        for (long i = 0; i < l.size(); i++) {
            if (isTensorLike(l.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** Elements of a list or tuple value, in order. */
    static List<IValue> elements(IValue v) {
        List<IValue> out = new ArrayList<>();
        if (v.isTuple()) {
            TupleElements e = v.toTupleRef().elements();
            for (long i = 0; i < e.size(); i++) {
                out.add(e.get(i));
            }
        } else if (v.isTensorList()) {
            org.bytedeco.pytorch.TensorVector tv = v.toTensorVector();
            for (long i = 0; i < tv.size(); i++) {
                out.add(new IValue(tv.get(i)));
            }
        } else {
            GenericList l = v.toList();
            for (long i = 0; i < l.size(); i++) {
                out.add(l.get(i));
            }
        }
        return out;
    }

    /**
     * Copies a libtorch tensor's elements once into fresh native memory (C order, little-endian), so
     * the constant outlives the module that owned it. Non-CPU or non-contiguous tensors are made so first.
     */
    static ConstantTensor copyTensor(Tensor t, String where) {
        int code = t.scalar_type().intern().value;
        DType dtype = DType.fromC10(code).orElseThrow(() -> new KilnException(where + ": tensor constant of scalar type "
                + t.scalar_type() + " has no Kiln dtype"));
        if (t.is_quantized() || t.is_sparse() || t.is_mkldnn()) {
            throw new KilnException(where + ": tensor constant is quantized, sparse or MKLDNN; Kiln reads dense tensors only");
        }
        Tensor dense = t.cpu().contiguous();
        long[] sizes = dense.sizes().vec().get();
        ByteBuffer out = ConstantTensor.allocate(dtype, sizes);
        long n = dense.nbytes();
        if (n != out.capacity()) {
            throw new KilnException(where + ": tensor constant " + dtype + Arrays.toString(sizes) + " holds " + n
                    + " bytes, expected " + out.capacity());
        }
        if (n > 0) {
            ByteBuffer src = new BytePointer(dense.data_ptr()).capacity(n).limit(n).asByteBuffer();
            out.put(src);
            out.flip();
        }
        return new ConstantTensor(dtype, sizes, out);
    }

    /** An {@code int[]} value. */
    static IValue intList(long[] values) {
        GenericList l = new GenericList(new org.bytedeco.pytorch.Type.TypePtr(
                new org.bytedeco.pytorch.SingletonTypePtr(org.bytedeco.pytorch.IntType.getIntTypePtr().get())));
        for (long x : values) {
            l.push_back(new IValue(x));
        }
        return new IValue(l);
    }
}
