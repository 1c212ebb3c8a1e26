/**
 * The textual IR ({@code .kir}) the passes print and read: golden tests, {@code kiln opt}, IR dumps
 * and failure reproducers.
 */
package dev.kiln.passes.text;
