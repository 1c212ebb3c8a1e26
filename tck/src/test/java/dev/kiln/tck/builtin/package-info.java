/**
 * Kiln's own converters proven by the conformance kit, one subclass of
 * {@link dev.kiln.tck.ConverterConformance} per family; {@code CoverageTest} fails when a registered
 * converter is named by none of them.
 */
package dev.kiln.tck.builtin;
