package dev.kiln.frontend.fx.pickle;

import dev.kiln.frontend.fx.archive.StridedTensors;
import dev.kiln.frontend.fx.archive.ZipArchive;
import dev.kiln.frontend.fx.archive.ZipEntry;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.KilnException;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a {@code torch.save} zip of a dict of tensors (a state dict): {@code <root>/data.pkl} run by
 * the {@link RestrictedUnpickler}, storages from {@code <root>/data/<key>} served from the
 * archive's mapping, each tensor rebuilt with {@link StridedTensors}.
 *
 * <pre>{@code Map<String, ConstantTensor> weights = TorchSave.readTensors(outer.nested(outer.require("m/data/weights/model.pt")));}</pre>
 */
public final class TorchSave {
    private TorchSave() {
    }

    /** The dict's tensors by key, in the pickle's order. Values other than tensors are refused by key. */
    public static Map<String, ConstantTensor> readTensors(ZipArchive zip) {
        ZipEntry pkl = null;
        for (ZipEntry e : zip.entries()) {
            String n = e.name();
            int slash = n.indexOf('/');
            if (slash > 0 && n.substring(slash + 1).equals("data.pkl")) {
                if (pkl != null) {
                    throw zip.problem(n, "is a second data.pkl; a torch.save archive has one");
                }
                pkl = e;
            }
        }
        if (pkl == null) {
            throw new KilnException(zip.label() + ": no <root>/data.pkl entry; this is not a torch.save archive");
        }
        String root = pkl.name().substring(0, pkl.name().indexOf('/') + 1);
        zip.entry(root + "byteorder").ifPresent(b -> {
            String order = zip.text(b).trim();
            if (!order.equals("little")) {
                throw zip.problem(b, "says the byte order is '" + order + "'; only little-endian archives are read");
            }
        });
        String where = zip.label() + ": entry '" + pkl.name() + "'";
        PickleValue top = new RestrictedUnpickler(zip.bytes(pkl), where).load();
        if (!(top instanceof PickleValue.Dict d)) {
            throw new KilnException(where + ": holds a " + top.getClass().getSimpleName()
                    + ", not a dict of tensors");
        }
        Map<String, ConstantTensor> out = new LinkedHashMap<>();
        for (Map.Entry<PickleValue, PickleValue> kv : d.entries().entrySet()) {
            if (!(kv.getKey() instanceof PickleValue.Str k)) {
                throw new KilnException(where + ": has a key that is not a string");
            }
            if (!(kv.getValue() instanceof PickleValue.Tensor t)) {
                throw new KilnException(where + ": '" + k.value() + "' is a "
                        + kv.getValue().getClass().getSimpleName() + ", not a tensor");
            }
            out.put(k.value(), tensor(zip, root, t, k.value()));
        }
        return out;
    }

    private static ConstantTensor tensor(ZipArchive zip, String root, PickleValue.Tensor t, String key) {
        PickleValue.Storage s = t.storage();
        ZipEntry e = zip.entry(root + "data/" + s.key()).orElseThrow(() -> zip.problem(root + "data/" + s.key(),
                "is missing: tensor '" + key + "' lives in that storage"));
        ByteBuffer bytes = zip.data(e);
        long declared;
        try {
            declared = Math.multiplyExact(s.numel(), (long) s.dtype().byteSize());
        } catch (ArithmeticException ex) {
            throw zip.problem(e, "is declared with an impossible size of " + s.numel() + " elements");
        }
        if (bytes.remaining() < declared) {
            throw zip.problem(e, "holds " + bytes.remaining() + " bytes but the pickle declares " + s.numel()
                    + " elements of " + s.dtype() + " (" + declared + " bytes)");
        }
        bytes = bytes.slice(0, (int) declared);
        return StridedTensors.rebuild(bytes, s.dtype(), t.sizes(), t.strides(), t.offset(),
                zip.label() + ": entry '" + e.name() + "' (tensor '" + key + "')");
    }
}
