package dev.kiln.backend.tensorrt.runtime;

import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gives TensorRT objects an owner that deletes them. JavaCPP wraps the pointers TensorRT's factories
 * return ({@code createInferBuilder}, {@code deserializeCudaEngine}, ...) without a deallocator, so
 * {@code close()} alone would leak them (TensorRT 10 has no {@code destroy()}: objects are freed with
 * C++ {@code delete}). JavaCPP does generate a {@code delete} for every class it can allocate; this
 * borrows that function from a throw-away instance of the same class and attaches it to the returned
 * object, so {@link Pointer#close()} runs the object's virtual destructor. If that is not possible
 * (a class without a public constructor) the object is left to the process, with one warning.
 *
 * <pre>{@code IBuilder b = NativeObjects.own(createInferBuilder(logger)); ... b.close();}</pre>
 */
public final class NativeObjects {
    private static final Logger LOG = LoggerFactory.getLogger(NativeObjects.class);
    private static final Map<Class<?>, Long> DELETERS = new ConcurrentHashMap<>();
    private static final Map<Class<?>, Boolean> WARNED = new ConcurrentHashMap<>();

    private NativeObjects() {
    }

    /** Attaches a {@code delete} to {@code p} (returns {@code p}; null and null pointers pass through). */
    public static <P extends Pointer> P own(P p) {
        if (p == null || p.isNull()) {
            return p;
        }
        try {
            long deleter = DELETERS.computeIfAbsent(p.getClass(), NativeObjects::deleterOf);
            Class<?> nd = Class.forName("org.bytedeco.javacpp.Pointer$NativeDeallocator");
            Constructor<?> c = nd.getDeclaredConstructor(Pointer.class, long.class, long.class);
            c.setAccessible(true);
            Object dealloc = c.newInstance(p, p.address(), deleter);
            Method set = Pointer.class.getDeclaredMethod("deallocator", Class.forName("org.bytedeco.javacpp.Pointer$Deallocator"));
            set.setAccessible(true);
            set.invoke(p, dealloc);
        } catch (ReflectiveOperationException | RuntimeException e) {
            if (WARNED.putIfAbsent(p.getClass(), Boolean.TRUE) == null) {
                LOG.warn("cannot attach a native delete to {} ({}); such objects are freed only at exit",
                        p.getClass().getSimpleName(), e.toString());
            }
        }
        return p;
    }

    /** Closes {@code p} if it is not null (deletes it when {@link #own} attached a deleter). */
    public static void close(Pointer p) {
        if (p != null && !p.isNull()) {
            p.close();
        }
    }

    private static long deleterOf(Class<?> type) {
        try {
            // a throw-away instance allocated by JavaCPP carries the generated delete function
            Pointer probe = (Pointer) type.getConstructor().newInstance();
            try {
                Method get = Pointer.class.getDeclaredMethod("deallocator");
                get.setAccessible(true);
                Object d = get.invoke(probe);
                if (d == null) {
                    throw new IllegalStateException("no deallocator on a new " + type.getSimpleName());
                }
                Method addr = d.getClass().getMethod("deallocatorAddress");
                long a = (long) addr.invoke(d);
                if (a == 0) {
                    throw new IllegalStateException("null deallocator for " + type.getSimpleName());
                }
                return a;
            } finally {
                probe.close();
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
