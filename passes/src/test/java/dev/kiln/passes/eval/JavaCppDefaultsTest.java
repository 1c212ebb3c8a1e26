package dev.kiln.passes.eval;

import dev.kiln.ir.JavaCppDefaults;
import dev.kiln.ir.JavaCppDefaults;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JavaCppDefaultsTest {
    @Test
    void javaCppRunsWithoutThePhysicalMemoryCheck() {
        TorchEval.toConstant(TorchEval.toTorch(dev.kiln.ir.ConstantTensor.scalar(dev.kiln.ir.DType.FLOAT32, 1))); // JavaCPP in use
        assertThat(org.bytedeco.javacpp.Pointer.maxPhysicalBytes()).isZero();
        assertThat(System.getProperty(JavaCppDefaults.MAX_PHYSICAL_BYTES)).isEqualTo("0");
    }

    @Test
    void anApplicationsOwnSettingIsKept() {
        String before = System.getProperty(JavaCppDefaults.MAX_PHYSICAL_BYTES);
        try {
            System.setProperty(JavaCppDefaults.MAX_PHYSICAL_BYTES, "8g");
            JavaCppDefaults.apply();
            assertThat(System.getProperty(JavaCppDefaults.MAX_PHYSICAL_BYTES)).isEqualTo("8g");
            System.clearProperty(JavaCppDefaults.MAX_PHYSICAL_BYTES);
            JavaCppDefaults.apply();
            assertThat(System.getProperty(JavaCppDefaults.MAX_PHYSICAL_BYTES)).isEqualTo("0");
        } finally {
            if (before == null) {
                System.clearProperty(JavaCppDefaults.MAX_PHYSICAL_BYTES);
            } else {
                System.setProperty(JavaCppDefaults.MAX_PHYSICAL_BYTES, before);
            }
        }
    }
}
