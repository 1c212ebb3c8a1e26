package dev.kiln.partition;

import dev.kiln.ir.Node;

/**
 * Where one node runs and why.
 *
 * <pre>{@code Placement p = partition.placement(node); System.out.println(p.target() + ": " + p.reason());}</pre>
 *
 * @param node    the node
 * @param target  TensorRT or torch
 * @param why     the kind of reason
 * @param reason  the sentence (a converter's refusal, the cost decision, the override)
 * @param segment the index of the node's segment in {@link Partition#segments()}
 */
public record Placement(Node node, Target target, Why why, String reason, int segment) {
}
