/**
 * The JSON side of torch.export's serialization (export schema major 8): typed cursors with
 * precise error positions ({@link dev.kiln.frontend.fx.serde.Json}), the program's top level, and
 * the sympy size expressions of dynamic shapes.
 */
package dev.kiln.frontend.fx.serde;
