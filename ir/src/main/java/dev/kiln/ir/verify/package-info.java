/**
 * The IR verifier: {@link dev.kiln.ir.verify.Verifier} checks that a graph is well formed (order,
 * names, schemas, types, symbols) and reports every problem at once, each naming its node.
 */
package dev.kiln.ir.verify;
