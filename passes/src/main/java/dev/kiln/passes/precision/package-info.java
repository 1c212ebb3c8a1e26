/**
 * The precision pass: fp32/tf32 leave the graph alone; fp16/bf16 cast weights and activations to the
 * low type with explicit casts and keep FP32 islands where accuracy needs them.
 */
package dev.kiln.passes.precision;
