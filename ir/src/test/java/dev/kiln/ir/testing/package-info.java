/**
 * Test support shared with other modules through the {@code kiln-ir} test-jar: random valid graphs
 * for property tests ({@link dev.kiln.ir.testing.RandomGraphs}).
 */
package dev.kiln.ir.testing;
