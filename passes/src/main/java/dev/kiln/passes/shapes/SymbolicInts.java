package dev.kiln.passes.shapes;

import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Value;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The int values of a graph whose value shape propagation knows as a size expression
 * ({@code %sym_size = aten::sym_size.int(%x, 0)} is {@code s0}), in graph order. Left in the
 * {@code PassContext} by {@link PropagateShapes}.
 *
 * <pre>{@code Optional<SymExpr> e = ctx.get(SymbolicInts.class).of(value);}</pre>
 */
public record SymbolicInts(Map<Value, SymExpr> values) {
    public SymbolicInts {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public Optional<SymExpr> of(Value v) {
        return Optional.ofNullable(values.get(v));
    }
}
