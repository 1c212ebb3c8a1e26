package dev.kiln.passes.decompose;

/**
 * A decomposition whose op is given when it is made: the common part of the families of this package that decompose
 * several overloads or ops alike ({@code var}/{@code std}, the scaled logarithms, the padding modes, ...).
 */
abstract class OpDecomposition implements Decomposition {
    private final String op;

    OpDecomposition(String op) {
        this.op = op;
    }

    @Override
    public final String op() {
        return op;
    }
}
