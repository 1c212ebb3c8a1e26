package dev.kiln.backend.torch;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.passes.eval.TorchEval;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.PointerConsumer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Zero-copy bridges between Kiln's tensors and libtorch: a {@link ConstantTensor} (NPY/NPZ data,
 * weights) or a CUDA device pointer becomes a libtorch tensor over the same memory ({@code from_blob}
 * with the right device), and the owner of that memory stays reachable until libtorch frees the
 * tensor's storage (one shared deleter keyed by address, so no per-tensor native callback).
 *
 * <pre>{@code try (TorchTensor t = TorchTensors.fromConstant(Npz.read(in).get("x0"))) { ... }}</pre>
 */
public final class TorchTensors {
    /** Owners kept alive per data address (several tensors may wrap the same memory). */
    private static final Map<Long, ArrayDeque<Object>> OWNERS = new HashMap<>();
    private static final Deleter DELETER = new Deleter();

    private TorchTensors() {
    }

    /** A CPU tensor over the constant's off-heap bytes (no copy); the constant must not be written. */
    public static TorchTensor fromConstant(ConstantTensor c) {
        ByteBuffer data = c.data();
        if (!data.isDirect()) {
            throw new KilnException("constant of " + c.dtype().text() + " is on the heap; Kiln tensors must be off-heap");
        }
        if (data.capacity() == 0) {
            // from_blob over no memory: an empty tensor owns its own (empty) storage instead
            try (PointerScope s = new PointerScope()) {
                Tensor t = TorchEval.toTorch(c).clone();
                return new TorchTensor(t.retainReference());
            }
        }
        return wrap(new Pointer(data), c.dtype(), c.sizes(), TorchDevice.cpu(), data);
    }

    /** The constant on {@code device}: zero-copy on the CPU, one host-to-device copy for CUDA. */
    public static TorchTensor fromConstant(ConstantTensor c, TorchDevice device) {
        if (!device.isCuda()) {
            return fromConstant(c);
        }
        try (TorchTensor host = fromConstant(c)) {
            return host.to(device);
        }
    }

    /**
     * A tensor over {@code address} (C-contiguous {@code dtype} elements of {@code sizes}) on
     * {@code device}, without a copy. {@code owner} (a device buffer, a byte buffer, ...) is kept
     * reachable until libtorch releases the storage; the caller must keep the memory valid as long as
     * the owner is reachable.
     */
    public static TorchTensor fromAddress(long address, DType dtype, long[] sizes, TorchDevice device, Object owner) {
        if (address == 0) {
            throw new KilnException("cannot wrap a null " + device + " address as a tensor");
        }
        device.requireAvailable();
        return wrap(at(address), dtype, sizes, device, owner);
    }

    /**
     * A JavaCPP pointer to a raw address. The parameter must not be called {@code address}: inside the
     * anonymous subclass that name is Pointer's own (zero) field, which an earlier version assigned to
     * itself, so libtorch got a null data pointer (and on CUDA, "host memory not registered").
     */
    static Pointer at(long raw) {
        return new Pointer() {
            {
                this.address = raw;
            }
        };
    }

    /** How many owners are kept alive by tensors libtorch has not freed yet (for leak tests). */
    public static int liveOwners() {
        synchronized (OWNERS) {
            int n = 0;
            for (ArrayDeque<Object> q : OWNERS.values()) {
                n += q.size();
            }
            return n;
        }
    }

    private static TorchTensor wrap(Pointer p, DType dtype, long[] sizes, TorchDevice device, Object owner) {
        long address = p.address();
        synchronized (OWNERS) {
            OWNERS.computeIfAbsent(address, a -> new ArrayDeque<>()).push(owner);
        }
        boolean made = false;
        try (PointerScope s = new PointerScope()) {
            // the device is given, not inferred from the pointer (for CUDA, one cudaPointerGetAttributes call less)
            DeviceOptional on = new DeviceOptional(device.toTorch());
            TensorOptions opts = new TensorOptions(TorchEval.scalarType(dtype)).device(on);
            Tensor t = org.bytedeco.pytorch.global.torch.from_blob(p, sizes, DELETER, opts, on);
            made = true;
            return new TorchTensor(t.retainReference());
        } catch (RuntimeException e) {
            throw new KilnException("libtorch could not wrap " + dtype.text() + java.util.Arrays.toString(sizes)
                    + " memory at 0x" + Long.toHexString(address) + " on " + device + ": " + e.getMessage());
        } finally {
            if (!made) {
                release(address);
            }
        }
    }

    private static void release(long address) {
        synchronized (OWNERS) {
            ArrayDeque<Object> q = OWNERS.get(address);
            if (q != null) {
                q.pop();
                if (q.isEmpty()) {
                    OWNERS.remove(address);
                }
            }
        }
    }

    /** libtorch's storage deleter: forget one owner of the freed address. */
    private static final class Deleter extends PointerConsumer {
        Deleter() {
            super();
            // one native callback for the whole process: never deallocated
            retainReference();
        }

        @Override
        public void call(Pointer data) {
            release(data == null ? 0 : data.address());
        }
    }
}
