/**
 * Clean-up passes every pipeline uses: dead-code elimination ({@code dce}), common-subexpression
 * elimination ({@code cse}) and canonicalization ({@code canonicalize}).
 */
package dev.kiln.passes.core;
