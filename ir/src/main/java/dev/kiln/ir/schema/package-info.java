/**
 * Operator schemas: the model of an ATen/prim signature ({@link dev.kiln.ir.schema.OpSchema}), the
 * parser for the standard schema syntax, and the registry of every schema of the bundled libtorch.
 */
package dev.kiln.ir.schema;
