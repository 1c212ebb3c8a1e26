/**
 * Operator schemas: the model of an ATen/prim signature ({@link dev.kiln.ir.schema.OpSchema}), the
 * parser and printer of the standard schema syntax ({@link dev.kiln.ir.schema.SchemaParser}), the
 * registry of every schema of the bundled libtorch 2.5.1 plus registered third-party ops
 * ({@link dev.kiln.ir.schema.SchemaRegistry}), and the binding of a call's positional and keyword
 * arguments to a full, default-filled argument list ({@link dev.kiln.ir.schema.SchemaBinder}).
 *
 * <p>The registry's resource {@code libtorch-2.5.1.schemas} is generated from libtorch itself by
 * {@code LibtorchSchemaGenerator} in the ir tests, and a test checks that it is current.
 */
package dev.kiln.ir.schema;
