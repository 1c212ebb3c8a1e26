package dev.kiln.backend.tensorrt.runtime;

import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * TensorRT's logger, feeding SLF4J (logger {@code dev.kiln.tensorrt}): internal errors and errors at
 * ERROR, warnings at WARN, info at DEBUG, verbose at TRACE. It also keeps the error messages of the
 * current build so a failed build can quote them, and tells an optional listener about every message
 * (the engine builder counts them to show that a long build is alive).
 *
 * <pre>{@code TrtLogger log = new TrtLogger(); IBuilder b = createInferBuilder(log); ... log.errors()}</pre>
 */
public final class TrtLogger extends ILogger {
    private static final Logger LOG = LoggerFactory.getLogger("dev.kiln.tensorrt");

    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private volatile Consumer<String> listener = m -> { };

    public TrtLogger() {
        super();
    }

    @Override
    public void log(Severity severity, String msg) {
        // never let a Java exception unwind through TensorRT's C++ frames
        try {
            Severity s = severity.intern();
            switch (s) {
                case kINTERNAL_ERROR:
                case kERROR:
                    synchronized (errors) {
                        errors.add(msg);
                    }
                    LOG.error("TensorRT: {}", msg);
                    break;
                case kWARNING:
                    synchronized (warnings) {
                        warnings.add(msg);
                    }
                    LOG.warn("TensorRT: {}", msg);
                    break;
                case kINFO:
                    LOG.debug("TensorRT: {}", msg);
                    break;
                default:
                    LOG.trace("TensorRT: {}", msg);
                    break;
            }
            listener.accept(msg);
        } catch (Throwable t) {
            // swallow: an exception here would cross into native code
        }
    }

    /** Whether TRACE is on (then TensorRT's verbose messages are worth asking for). */
    public static boolean verbose() {
        return LOG.isTraceEnabled();
    }

    /** Called with every message TensorRT logs (from TensorRT's threads). */
    public void setListener(Consumer<String> l) {
        this.listener = l == null ? m -> { } : l;
    }

    /** Error messages since the last {@link #clear()}. */
    public List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    public List<String> warnings() {
        synchronized (warnings) {
            return List.copyOf(warnings);
        }
    }

    public void clear() {
        synchronized (errors) {
            errors.clear();
        }
        synchronized (warnings) {
            warnings.clear();
        }
    }
}
