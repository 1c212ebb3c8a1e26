package dev.kiln.backend.tensorrt.runtime;

import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * TensorRT's logger, feeding SLF4J (logger {@code dev.kiln.tensorrt}): internal errors and errors at
 * ERROR, warnings at WARN, info at DEBUG, verbose at TRACE. There is ONE instance per process
 * ({@link #get()}), never freed: TensorRT keeps the logger of the first builder or runtime for its
 * global messages, so a logger freed with its builder would be used after free. Code that needs
 * TensorRT's messages (a failed build quotes them) opens a {@link Capture} for the duration of the
 * work; every open capture sees every message (TensorRT logs from its own threads, so concurrent
 * builds see each other's messages).
 *
 * <pre>{@code try (TrtLogger.Capture c = TrtLogger.get().capture()) { ...; if (failed) throw new KilnException(String.join("; ", c.errors())); }}</pre>
 */
public final class TrtLogger extends ILogger {
    private static final Logger LOG = LoggerFactory.getLogger("dev.kiln.tensorrt");
    private static volatile TrtLogger instance;

    private final List<Capture> captures = new CopyOnWriteArrayList<>();

    private TrtLogger() {
        super();
    }

    /** The process-wide logger (loads TensorRT first; a {@code KilnException} naming the library if it cannot). */
    public static TrtLogger get() {
        TrtLogger l = instance;
        if (l == null) {
            synchronized (TrtLogger.class) {
                l = instance;
                if (l == null) {
                    NativeLibraries.requireTensorRt();
                    l = new TrtLogger();
                    instance = l;
                }
            }
        }
        return l;
    }

    /** Starts collecting messages; close the capture to stop. */
    public Capture capture() {
        Capture c = new Capture(this);
        captures.add(c);
        return c;
    }

    @Override
    public void log(Severity severity, String msg) {
        // never let a Java exception unwind through TensorRT's C++ frames
        try {
            Severity s = severity.intern();
            boolean error = s == Severity.kINTERNAL_ERROR || s == Severity.kERROR;
            boolean warning = s == Severity.kWARNING;
            if (error) {
                LOG.error("TensorRT: {}", msg);
            } else if (warning) {
                LOG.warn("TensorRT: {}", msg);
            } else if (s == Severity.kINFO) {
                LOG.debug("TensorRT: {}", msg);
            } else {
                LOG.trace("TensorRT: {}", msg);
            }
            for (Capture c : captures) {
                c.accept(error, warning, msg);
            }
        } catch (Throwable t) {
            // swallow: an exception here would cross into native code
        }
    }

    /** TensorRT's messages while it is open (the last {@value #KEEP} errors and warnings). */
    public static final class Capture implements AutoCloseable {
        /** How many errors and warnings a capture keeps. */
        public static final int KEEP = 200;

        private final TrtLogger owner;
        private final Deque<String> errors = new ArrayDeque<>();
        private final Deque<String> warnings = new ArrayDeque<>();
        private volatile Consumer<String> listener = m -> { };

        private Capture(TrtLogger owner) {
            this.owner = owner;
        }

        void accept(boolean error, boolean warning, String msg) {
            if (error || warning) {
                synchronized (this) {
                    Deque<String> d = error ? errors : warnings;
                    if (d.size() == KEEP) {
                        d.removeFirst();
                    }
                    d.addLast(msg);
                }
            }
            listener.accept(msg);
        }

        /** Called with every message TensorRT logs (from TensorRT's threads); null removes it. */
        public void setListener(Consumer<String> l) {
            this.listener = l == null ? m -> { } : l;
        }

        /** Error messages since the capture opened or was last cleared. */
        public synchronized List<String> errors() {
            return List.copyOf(errors);
        }

        public synchronized List<String> warnings() {
            return List.copyOf(warnings);
        }

        public synchronized void clear() {
            errors.clear();
            warnings.clear();
        }

        @Override
        public void close() {
            owner.captures.remove(this);
        }
    }
}
