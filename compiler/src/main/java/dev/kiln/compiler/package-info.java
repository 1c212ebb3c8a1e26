/**
 * The compile pipeline (Kiln.compile), CompiledModule, save/load and the hybrid runtime. Models
 * enter through {@link dev.kiln.compiler.Models#load}, which picks the frontend from the file's
 * contents ({@link dev.kiln.compiler.ModelFormat}).
 */
package dev.kiln.compiler;
