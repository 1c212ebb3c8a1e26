/**
 * Runs IR nodes and graphs with libtorch: the fallback runtime and the reference interpreter.
 */
package dev.kiln.backend.torch;
