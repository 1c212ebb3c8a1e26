package dev.kiln.passes.shapes;

import dev.kiln.passes.golden.GoldenHarness;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

/** Golden IR tests of {@code propagate-shapes}: {@code src/test/resources/dev/kiln/passes/shapes/}. */
class GoldenShapesTest {
    @TestFactory
    Stream<DynamicTest> propagateShapes() {
        return GoldenHarness.tests("dev/kiln/passes/shapes");
    }
}
