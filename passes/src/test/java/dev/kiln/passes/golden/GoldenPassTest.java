package dev.kiln.passes.golden;

import dev.kiln.passes.PassContext;
import dev.kiln.passes.Precision;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

/** The golden tests of every standard pass: {@code src/test/resources/dev/kiln/passes/<pass>/}. */
class GoldenPassTest {
    @TestFactory
    Stream<DynamicTest> dce() {
        return GoldenHarness.tests("dev/kiln/passes/dce");
    }

    @TestFactory
    Stream<DynamicTest> cse() {
        return GoldenHarness.tests("dev/kiln/passes/cse");
    }

    @TestFactory
    Stream<DynamicTest> canonicalize() {
        return GoldenHarness.tests("dev/kiln/passes/canonicalize");
    }

    @TestFactory
    Stream<DynamicTest> foldConstants() {
        return GoldenHarness.tests("dev/kiln/passes/fold-constants");
    }

    @TestFactory
    Stream<DynamicTest> foldBatchNorm() {
        return GoldenHarness.tests("dev/kiln/passes/fold-batch-norm");
    }

    @TestFactory
    Stream<DynamicTest> decompose() {
        return GoldenHarness.tests("dev/kiln/passes/decompose");
    }

    @TestFactory
    Stream<DynamicTest> precision() {
        return GoldenHarness.tests("dev/kiln/passes/precision");
    }

    @TestFactory
    Stream<DynamicTest> precisionKeepFp32() {
        // the user keeps aten::relu and node %m in FP32
        return GoldenHarness.tests("dev/kiln/passes/precision-keep",
                () -> PassContext.builder().precision(Precision.BF16).keepFp32("aten::relu").keepFp32("m").build());
    }
}
