/**
 * The compile pipeline (Kiln.compile), CompiledModule, save/load and the hybrid runtime.
 */
package dev.kiln.compiler;
