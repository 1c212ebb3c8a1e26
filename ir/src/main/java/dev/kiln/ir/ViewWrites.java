package dev.kiln.ir;

import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes into slices and selects made functional, as functionalization does: the new contents of the innermost view,
 * scattered back into each tensor below it with {@code slice_scatter}/{@code select_scatter}. Shared by
 * {@code canonicalize} (the top-level graph) and the TorchScript frontend (branches and loop bodies), which differ in
 * where the scatters go and who reads them afterwards.
 *
 * <pre>{@code List<Value> written = ViewWrites.scatterBack(ViewWrites.sliceChain(view), result, insert);}</pre>
 */
public final class ViewWrites {
    /** The view ops a write into which can be scattered back: the op of the view -> the op that writes it back. */
    public static final Map<String, String> SCATTERS = Map.of("aten::slice.Tensor", "aten::slice_scatter",
            "aten::select.int", "aten::select_scatter");

    private ViewWrites() {
    }

    /**
     * The slices and selects {@code v} is taken through, innermost first, down to a tensor made otherwise
     * ({@code x[0:2, 1:3]} is two); empty when {@code v} is not made by one.
     */
    public static List<Node> sliceChain(Value v) {
        List<Node> chain = new ArrayList<>();
        Value cur = v;
        while (cur.producer().isPresent() && SCATTERS.containsKey(cur.producer().get().op())
                && cur.producer().get().arg(0) instanceof Value parent) {
            chain.add(cur.producer().get());
            cur = parent;
        }
        return chain;
    }

    /** Makes one scatter: its schema, arguments and result type, and the tensor it writes into (for naming). */
    public interface Insert {
        Value scatter(OpSchema schema, List<Arg> args, Type type, Value into);
    }

    /**
     * {@code written}, the new contents of the innermost view of {@code chain}, scattered back level by level, each
     * scatter made by {@code insert}; returns each level's tensor as written, in chain order (the last is the tensor
     * the chain starts from).
     */
    public static List<Value> scatterBack(List<Node> chain, Value written, Insert insert) {
        List<Value> out = new ArrayList<>();
        Value cur = written;
        for (Node v : chain) {
            Value parent = (Value) v.arg(0);
            List<Arg> args = new ArrayList<>();
            args.add(parent);
            args.add(cur);
            args.addAll(v.args().subList(1, v.args().size()));
            cur = insert.scatter(SchemaRegistry.standard().get(SCATTERS.get(v.op())), args, parent.type(), parent);
            out.add(cur);
        }
        return out;
    }
}
