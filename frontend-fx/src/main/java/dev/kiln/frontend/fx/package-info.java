/**
 * Reads torch.export programs (.pt2) into the IR in pure Java: no Python, no libtorch.
 */
package dev.kiln.frontend.fx;
