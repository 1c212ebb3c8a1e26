package dev.kiln.frontend.fx.pickle;

import dev.kiln.ir.DType;

import java.util.List;
import java.util.Map;

/**
 * The values a {@link RestrictedUnpickler} builds: Python's plain data (None, bools, ints, floats,
 * strings, bytes, tuples, lists, dicts) plus the few torch objects a {@code torch.save} of tensors
 * holds. Nothing else can be built, so no arbitrary class is ever instantiated.
 *
 * <pre>{@code PickleValue v = new RestrictedUnpickler(bytes, "model.pt", resolver).load();}</pre>
 */
public sealed interface PickleValue {

    /** Python {@code None}. */
    record None() implements PickleValue {
    }

    record Bool(boolean value) implements PickleValue {
    }

    /** A Python int that fits 64 bits. */
    record Int(long value) implements PickleValue {
    }

    record Float(double value) implements PickleValue {
    }

    record Str(String value) implements PickleValue {
    }

    record Bytes(byte[] value) implements PickleValue {
    }

    record Tuple(List<PickleValue> items) implements PickleValue {
        public Tuple {
            items = List.copyOf(items);
        }
    }

    /** A list or dict under construction is mutable while the pickle program runs. */
    record PyList(List<PickleValue> items) implements PickleValue {
    }

    /** A dict (or {@code collections.OrderedDict}); insertion order kept. */
    record Dict(Map<PickleValue, PickleValue> entries) implements PickleValue {
    }

    /** One of the allowed globals ({@code torch._utils._rebuild_tensor_v2}, {@code torch FloatStorage}, ...). */
    record Global(String module, String name) implements PickleValue {
        public String qualified() {
            return module + "." + name;
        }
    }

    /** A storage named by a persistent id: the file {@code data/<key>} holding {@code numel} elements. */
    record Storage(String key, DType dtype, long numel, String location) implements PickleValue {
    }

    /** A tensor view of a storage ({@code _rebuild_tensor_v2}); parameters are tensors too. */
    record Tensor(Storage storage, long offset, long[] sizes, long[] strides, boolean parameter) implements PickleValue {
    }
}
