/**
 * Shape and dtype propagation: {@link dev.kiln.passes.shapes.ShapeInference} types every node from
 * its inputs with one {@link dev.kiln.passes.shapes.ShapeRule} per ATen overload (every op of the
 * converter set, PyTorch's type promotion, symbolic sizes as {@link dev.kiln.ir.SymExpr}s), and
 * {@link dev.kiln.passes.shapes.PropagateShapes} is the {@code propagate-shapes} pass around it.
 */
package dev.kiln.passes.shapes;
