/**
 * Measuring a compiled model the way both {@code kiln bench} and the {@code bench} module report it: timing
 * statistics ({@link dev.kiln.compiler.measure.Stats}: median, nearest-rank p99, the host wall-time loop) and
 * accuracy against a reference ({@link dev.kiln.compiler.measure.Accuracy}: relative L2). Here, below both, so that
 * the command line and the bench compute every figure the same way without one depending on the other.
 */
package dev.kiln.compiler.measure;
