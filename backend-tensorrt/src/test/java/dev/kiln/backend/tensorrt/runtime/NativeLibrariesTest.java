package dev.kiln.backend.tensorrt.runtime;

import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NativeLibrariesTest {
    @Test
    void remembersTheFirstFailureWhichNamesTheLibrary() {
        AtomicInteger calls = new AtomicInteger();
        NativeLibraries libs = NativeLibraries.withLoader(c -> {
            if (calls.incrementAndGet() == 1) {
                throw new UnsatisfiedLinkError("/root/.javacpp/cache/libjninvinfer.so: libnvinfer.so.10: cannot open shared"
                        + " object file: No such file or directory");
            }
            // what the JVM says on every later attempt: the library is no longer named
            throw new NoClassDefFoundError("Could not initialize class org.bytedeco.tensorrt.global.nvinfer");
        });
        assertThatThrownBy(() -> libs.require("nvinfer")).isInstanceOf(KilnException.class)
                .hasMessageContaining("cannot load TensorRT (missing library: libnvinfer.so.10)")
                .hasMessageContaining("tensorrt:10.6-1.5.11:linux-x86_64-redist")
                .hasMessageContaining("LD_LIBRARY_PATH");
        assertThatThrownBy(() -> libs.require("nvinfer")).isInstanceOf(KilnException.class)
                .hasMessageContaining("missing library: libnvinfer.so.10");
        assertThat(calls).hasValue(1);
        assertThat(libs.firstFailure("nvinfer")).isPresent();
        assertThat(libs.firstFailure("cudart")).isEmpty();
    }

    @Test
    void loadsOnlyOnceWhenPresent() {
        AtomicInteger calls = new AtomicInteger();
        NativeLibraries libs = NativeLibraries.withLoader(c -> {
            calls.incrementAndGet();
            return Object.class;
        });
        libs.require("cudart");
        libs.require("cudart");
        assertThat(calls).hasValue(1);
    }

    @Test
    void findsTheDependencyNotJavaCppsWrapper() {
        assertThat(NativeLibraries.missingLibrary(new UnsatisfiedLinkError(
                "no jnicudart in java.library.path: /x/libjnicudart.so: libcudart.so.12: cannot open shared object file")))
                .contains("libcudart.so.12");
        assertThat(NativeLibraries.missingLibrary(new UnsatisfiedLinkError("/x/libjninvinfer.so: bad ELF")))
                .contains("libjninvinfer.so");
        assertThat(NativeLibraries.missingLibrary(new UnsatisfiedLinkError("nothing here"))).isEmpty();
    }

    @Test
    void theRealLoaderGivesTheSameClearErrorEveryTime() {
        // on a machine without TensorRT (CI) both calls fail with the first, library-naming message;
        // on the GPU machine TensorRT loads and there is nothing to check
        if (NativeLibraries.tensorRtAvailable()) {
            return;
        }
        String first = null;
        for (int i = 0; i < 2; i++) {
            try {
                NativeLibraries.requireTensorRt();
            } catch (KilnException e) {
                assertThat(e.getMessage()).startsWith("cannot load").contains(NativeLibraries.INSTALL_HINT);
                if (first == null) {
                    first = e.getMessage();
                } else {
                    assertThat(e.getMessage()).isEqualTo(first);
                }
            }
        }
        assertThat(first).isNotNull();
        System.out.println("native load on this machine: " + first);
    }
}
