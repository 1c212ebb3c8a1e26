package dev.kiln.backend.torch;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import dev.kiln.passes.eval.TorchEval;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * One owned libtorch tensor (on the CPU or a CUDA device). Closing it drops Kiln's reference; the
 * memory goes when libtorch holds no other (a tensor made by {@link TorchTensors#fromConstant} keeps
 * its {@link ConstantTensor} reachable until then). Not thread-safe to close while in use.
 *
 * <pre>{@code try (TorchTensor t = TorchTensors.fromConstant(x)) { ConstantTensor y = t.toConstant(); }}</pre>
 */
public final class TorchTensor implements AutoCloseable {
    private Tensor tensor;

    /** Takes ownership of one reference to {@code tensor} (the caller must not close it). */
    TorchTensor(Tensor tensor) {
        this.tensor = tensor;
    }

    /** Takes ownership of {@code tensor}: it must have been retained past any {@link PointerScope}. */
    public static TorchTensor adopt(Tensor tensor) {
        if (tensor == null || tensor.isNull()) {
            throw new KilnException("cannot adopt a null libtorch tensor");
        }
        return new TorchTensor(tensor);
    }

    /** The libtorch tensor, borrowed: valid until {@link #close()}. */
    public Tensor tensor() {
        if (tensor == null) {
            throw new KilnException("the tensor was already closed");
        }
        return tensor;
    }

    public DType dtype() {
        return DType.fromC10(tensor().scalar_type().intern().value)
                .orElseThrow(() -> new KilnException("libtorch tensor of unsupported type " + tensor().scalar_type()));
    }

    public long[] sizes() {
        Tensor t = tensor();
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    public TorchDevice device() {
        Tensor t = tensor();
        if (!t.is_cuda()) {
            return TorchDevice.cpu();
        }
        try (PointerScope s = new PointerScope()) {
            return TorchDevice.cuda(t.device().index());
        }
    }

    /** The address of the first element (a device address for CUDA tensors). */
    public long dataAddress() {
        try (PointerScope s = new PointerScope()) {
            return tensor().data_ptr().address();
        }
    }

    /** A new tensor with the same data on {@code device} (a shared reference when already there). */
    public TorchTensor to(TorchDevice device) {
        device.requireAvailable();
        try (PointerScope s = new PointerScope()) {
            Tensor moved = tensor().to(device.toTorch(), tensor().scalar_type());
            return new TorchTensor(moved.retainReference());
        } catch (RuntimeException e) {
            throw new KilnException("libtorch could not move a tensor to " + device + ": " + e.getMessage());
        }
    }

    /** A host copy of the data (contiguous, from any device). */
    public ConstantTensor toConstant() {
        try (PointerScope s = new PointerScope()) {
            Tensor t = tensor();
            return TorchEval.toConstant(t.is_cuda() ? t.cpu() : t);
        }
    }

    @Override
    public void close() {
        Tensor t = tensor;
        tensor = null;
        if (t != null) {
            t.releaseReference();
        }
    }
}
