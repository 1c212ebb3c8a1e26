/**
 * The mapping from a serialized torch.export program to the IR: signature, nodes with their exact
 * ATen schemas and bound arguments, symbolic sizes and source locations.
 */
package dev.kiln.frontend.fx.importer;
