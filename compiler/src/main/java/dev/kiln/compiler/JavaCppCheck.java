package dev.kiln.compiler;

import dev.kiln.ir.JavaCppDefaults;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Warns once, the first time Kiln loads a model or a compiled module, when JavaCPP still reads the process's memory
 * at every native allocation although Kiln asked it not to ({@link JavaCppDefaults}): the application loaded JavaCPP
 * before Kiln, which JavaCPP reads the setting once for. Every libtorch and engine call then pays for it; the warning
 * says what it costs and how to avoid it. An application that set the limit itself is not warned.
 */
final class JavaCppCheck {
    private static final Logger LOG = LoggerFactory.getLogger(Kiln.class);
    private static final AtomicBoolean CHECKED = new AtomicBoolean();

    private JavaCppCheck() {
    }

    static void warnOnce() {
        if (CHECKED.compareAndSet(false, true)) {
            warning(JavaCppDefaults.setByKiln(), org.bytedeco.javacpp.Pointer.maxPhysicalBytes()).ifPresent(LOG::warn);
        }
    }

    /** The warning for JavaCPP's effective {@code maxPhysicalBytes}, when Kiln's own setting (0) came too late. */
    static Optional<String> warning(boolean setByKiln, long maxPhysicalBytes) {
        if (!setByKiln || maxPhysicalBytes <= 0) {
            return Optional.empty();
        }
        return Optional.of("JavaCPP checks the process's memory at every native allocation (maxPhysicalBytes="
                + maxPhysicalBytes + "): the application loaded JavaCPP before Kiln, so Kiln's setting of 0 came too late."
                + " Every libtorch and engine call pays for it (measured: a run-time loop in libtorch 5x slower on the CPU,"
                + " a few microseconds more per engine call on the GPU). Start the JVM with -D"
                + JavaCppDefaults.MAX_PHYSICAL_BYTES + "=0, or use dev.kiln.compiler.Kiln before anything else loads"
                + " JavaCPP.");
    }
}
