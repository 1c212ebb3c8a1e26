package dev.kiln.ir;

import dev.kiln.ir.schema.SchemaArgument;

import java.util.List;
import java.util.Optional;

/**
 * Which value's memory a value uses, read from the op schemas' alias annotations ({@code Tensor(a)} a view or
 * {@code contiguous}, {@code Tensor(a!)} an in-place result): what the TorchScript frontend's sharing checks and the
 * passes' copy rules both ask.
 *
 * <pre>{@code Value root = Aliases.memoryRoot(v);   // x for x[0].view(...) and for x.add_(1)}</pre>
 */
public final class Aliases {
    private Aliases() {
    }

    /** Back through every op whose result aliases an argument (views and in-place results): the value owning {@code v}'s memory. */
    public static Value memoryRoot(Value v) {
        return root(v, false);
    }

    /** Back through in-place ops only ({@code relu_(x)} is x, {@code x[0]} is not): the tensor {@code v} is. */
    public static Value tensorRoot(Value v) {
        return root(v, true);
    }

    private static Value root(Value v, boolean writesOnly) {
        Value cur = v;
        while (cur.producer().isPresent()) {
            Node p = cur.producer().get();
            int k = p.outputs().indexOf(cur);
            List<SchemaArgument> rets = p.schema().returns();
            Optional<String> alias = k < rets.size() ? rets.get(k).alias() : Optional.empty();
            if (alias.isEmpty() || writesOnly && !alias.get().contains("!")) {
                return cur;
            }
            String set = alias.get().replace("!", "");
            Value next = null;
            List<SchemaArgument> params = p.schema().arguments();
            for (int i = 0; i < params.size() && i < p.args().size() && next == null; i++) {
                if (params.get(i).alias().map(a -> a.replace("!", "").equals(set)).orElse(false) && p.arg(i) instanceof Value a) {
                    next = a;
                }
            }
            if (next == null) {
                return cur;
            }
            cur = next;
        }
        return cur;
    }
}
