package dev.kiln.passes.shapes;

import dev.kiln.ir.Arg;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;

import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;

/**
 * Rules for ints computed from sizes: {@code sym_size.int}/{@code size.int}, {@code sym_numel},
 * and int arithmetic as torch.export ({@code _operator.add}, {@code torch.sym_max}) and
 * TorchScript ({@code aten::add.int}) spell it. Each output is typed {@code int} and its value is
 * recorded as a {@link SymExpr}, so later reshapes get symbolic shapes.
 */
final class SymIntRules {
    private SymIntRules() {
    }

    /** The Python-level namespaces the frontends may give to int arithmetic. */
    private static final List<String> PY_NAMESPACES = List.of("_operator", "operator", "sym", "prim");

    static void register(Map<String, ShapeRule> r) {
        ShapeRule size = ctx -> {
            TensorType x = ctx.tensor("self");
            int d = ctx.dim("dim", x.rank());
            return define(ctx, x.shape().dim(d));
        };
        r.put("aten::sym_size.int", size);
        r.put("aten::size.int", size);
        r.put("aten::sym_numel", ctx -> define(ctx, ctx.tensor("self").shape().numel()));
        r.put("aten::numel", ctx -> define(ctx, ctx.tensor("self").shape().numel()));

        Map<String, BinaryOperator<SymExpr>> binary = Map.of(
                "add", SymExpr::add, "sub", SymExpr::sub, "mul", SymExpr::mul, "floordiv", SymExpr::floorDiv,
                "mod", SymExpr::mod, "sym_max", SymExpr::max, "sym_min", SymExpr::min);
        for (Map.Entry<String, BinaryOperator<SymExpr>> e : new java.util.TreeMap<>(binary).entrySet()) {
            ShapeRule rule = ctx -> define(ctx, e.getValue().apply(operand(ctx, 0), operand(ctx, 1)));
            for (String ns : PY_NAMESPACES) {
                r.put(ns + "::" + e.getKey(), rule);
            }
            r.put("torch::" + e.getKey(), rule);
        }
        // a one-element tensor read as a Python number (TorchScript's bool(t), int(t), float(t): an if's condition)
        for (String ov : List.of(".Tensor", ".int", ".float")) {
            r.put("aten::Bool" + ov, ctx -> List.of(dev.kiln.ir.PrimitiveType.BOOL));
        }
        for (String ov : List.of(".Tensor", ".Scalar", ".float", ".bool")) {
            r.put("aten::Int" + ov, ctx -> List.of(dev.kiln.ir.PrimitiveType.INT));
        }
        for (String ov : List.of(".Tensor", ".Scalar", ".int", ".bool")) {
            r.put("aten::Float" + ov, ctx -> List.of(dev.kiln.ir.PrimitiveType.FLOAT));
        }
        // TorchScript's int overloads
        r.put("aten::add.int", ctx -> define(ctx, SymExpr.add(operand(ctx, 0), operand(ctx, 1))));
        r.put("aten::sub.int", ctx -> define(ctx, SymExpr.sub(operand(ctx, 0), operand(ctx, 1))));
        r.put("aten::mul.int", ctx -> define(ctx, SymExpr.mul(operand(ctx, 0), operand(ctx, 1))));
        r.put("aten::floordiv.int", ctx -> define(ctx, SymExpr.floorDiv(operand(ctx, 0), operand(ctx, 1))));
        r.put("aten::remainder.int", ctx -> define(ctx, SymExpr.mod(operand(ctx, 0), operand(ctx, 1))));
        r.put("prim::max.int", ctx -> define(ctx, SymExpr.max(operand(ctx, 0), operand(ctx, 1))));
        r.put("prim::min.int", ctx -> define(ctx, SymExpr.min(operand(ctx, 0), operand(ctx, 1))));
        ShapeRule neg = ctx -> define(ctx, SymExpr.mul(SymExpr.of(-1), operand(ctx, 0)));
        for (String ns : PY_NAMESPACES) {
            r.put(ns + "::neg", neg);
            r.put(ns + "::pos", ctx -> define(ctx, operand(ctx, 0)));
        }
        r.put("aten::neg.int", neg);

        // lists: FX's getitem on a returned tensor list becomes prim::ListUnpack (one output per element)
        r.put("prim::ListUnpack", ctx -> {
            List<Type> elems = ctx.listElements(ctx.node().arg(0), "list");
            if (elems.size() != ctx.node().outputs().size()) {
                throw ctx.error("unpacks " + ctx.node().outputs().size() + " values from a list of " + elems.size());
            }
            return elems;
        });
        r.put("aten::__getitem__.t", ctx -> {
            List<Type> elems = ctx.listElements(ctx.node().arg(0), "list");
            long i = ctx.intArg("idx");
            if (i < -elems.size() || i >= elems.size()) {
                throw ctx.error("index " + i + " is out of range for a list of " + elems.size());
            }
            return List.of(elems.get((int) (i < 0 ? i + elems.size() : i)));
        });
    }

    /** Positional operand {@code i}: int arithmetic schemas name their operands a, b (or self, other). */
    private static SymExpr operand(InferenceContext ctx, int i) {
        List<Arg> args = ctx.node().args();
        if (i >= args.size()) {
            throw ctx.error("expected at least " + (i + 1) + " operands");
        }
        Arg a = args.get(i);
        if (a instanceof dev.kiln.ir.Value v && v.type() instanceof TensorType) {
            throw ctx.unresolved("int arithmetic on a tensor operand " + v);
        }
        if (a instanceof Arg.FloatLit f && f.value() != Math.rint(f.value())) {
            throw ctx.unresolved("float operand " + f.value() + " in int arithmetic");
        }
        if (a instanceof dev.kiln.ir.Value v && v.type() == PrimitiveType.FLOAT) {
            throw ctx.unresolved("float operand " + v + " in int arithmetic");
        }
        return ctx.symIntOf(a, "operand " + i);
    }

    private static List<Type> define(InferenceContext ctx, SymExpr e) {
        ctx.defineInt(0, e);
        return List.of(PrimitiveType.INT);
    }
}
