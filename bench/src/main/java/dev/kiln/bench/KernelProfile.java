package dev.kiln.bench;

import dev.kiln.ir.KilnException;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cupti.CUpti_Activity;
import org.bytedeco.cuda.cupti.CUpti_ActivityKernel9;
import org.bytedeco.cuda.cupti.CUpti_BuffersCallbackCompleteFunc;
import org.bytedeco.cuda.cupti.CUpti_BuffersCallbackRequestFunc;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cupti.CUPTI_ACTIVITY_FLAG_FLUSH_FORCED;
import static org.bytedeco.cuda.global.cupti.CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL;
import static org.bytedeco.cuda.global.cupti.CUPTI_ACTIVITY_KIND_KERNEL;
import static org.bytedeco.cuda.global.cupti.CUPTI_SUCCESS;
import static org.bytedeco.cuda.global.cupti.cuptiActivityDisable;
import static org.bytedeco.cuda.global.cupti.cuptiActivityEnable;
import static org.bytedeco.cuda.global.cupti.cuptiActivityFlushAll;
import static org.bytedeco.cuda.global.cupti.cuptiActivityGetNextRecord;
import static org.bytedeco.cuda.global.cupti.cuptiActivityRegisterCallbacks;
import static org.bytedeco.cuda.global.cupti.cuptiGetResultString;

/**
 * The GPU time of every kernel a stretch of work launches, by kernel name, from CUPTI's activity records (the
 * kernels' own start and end timestamps on the GPU): where an engine spends its time, which the engine inspector
 * (layers and tactics, no times) cannot say and TensorRT's {@code IProfiler} would, were it subclassable through
 * JavaCPP. Kernel names are the tactics' ({@code sm90_xmma_gemm_...}, Myelin's {@code __myl_...}), so two engines'
 * profiles line up kernel by kernel.
 *
 * <p>CUPTI is {@code libcupti.so.12}, in the CUDA redist jar but not in the GPU machine's staged runtime:
 * {@code tools/gpu/cupti.sh} extracts it into {@code .gpu/cupti/} to carry with a call, and {@code bench/run.sh}
 * puts that folder on the library path. Profiling runs in a JVM of its own ({@code Main kernels}), after the timed
 * runs: CUPTI's hooks must not touch the figures of the tables.
 *
 * <pre>{@code List<KernelProfile.Kernel> ks = KernelProfile.profile(() -> run.bareWallMicros(0, 50));}</pre>
 */
final class KernelProfile {
    /** One kernel name's launches within a profiled stretch: how many, and their summed GPU time. */
    record Kernel(String name, long launches, long totalNs) {
        double microsPerRun(int runs) {
            return totalNs / 1e3 / runs;
        }
    }

    /** Sums kernel records by name (fed by CUPTI's thread; pure otherwise). */
    static final class Collector {
        private final Map<String, long[]> byName = new LinkedHashMap<>();

        synchronized void add(String name, long nanos) {
            long[] c = byName.computeIfAbsent(name, k -> new long[2]);
            c[0]++;
            c[1] += Math.max(0, nanos);
        }

        /** Every kernel seen, most GPU time first. */
        synchronized List<Kernel> kernels() {
            List<Kernel> out = new ArrayList<>();
            byName.forEach((n, c) -> out.add(new Kernel(n, c[0], c[1])));
            out.sort(Comparator.comparingLong(Kernel::totalNs).reversed().thenComparing(Kernel::name));
            return out;
        }

        synchronized void clear() {
            byName.clear();
        }
    }

    /** CUPTI's buffers: 8 MiB each (CUPTI asks for more as they fill). */
    static final long BUFFER_BYTES = 8L << 20;

    private static final Collector COLLECTOR = new Collector();
    /** The buffers CUPTI holds, by address: alive until it hands them back (a collected BytePointer would free them). */
    private static final Map<Long, BytePointer> LIVE = new ConcurrentHashMap<>();
    private static volatile Throwable callbackError;
    private static Request request;
    private static Complete complete;

    private KernelProfile() {
    }

    /**
     * Runs {@code work} with CUPTI recording kernels and returns them by name; {@code work} should end with the GPU
     * idle (a stream sync), the profile waits for the device anyway. A {@link KilnException} when CUPTI cannot load.
     */
    static synchronized List<Kernel> profile(Runnable work) {
        init();
        COLLECTOR.clear();
        callbackError = null;
        check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL), "enabling kernel records");
        try {
            work.run();
            cudaDeviceSynchronize();
        } finally {
            // forced: incomplete buffers are handed back too, through the completion callback, before this returns
            check(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED), "flushing the records");
            check(cuptiActivityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL), "disabling kernel records");
        }
        if (callbackError != null) {
            throw new KilnException("CUPTI's records could not be read: " + callbackError, callbackError);
        }
        return COLLECTOR.kernels();
    }

    private static void init() {
        if (request != null) {
            return;
        }
        try {
            Loader.load(org.bytedeco.cuda.global.cupti.class);
        } catch (Throwable e) {
            throw new KilnException("CUPTI (libcupti.so.12) is not usable here: " + e
                    + "; on the GPU machine carry it with the call (tools/gpu/cupti.sh puts it in .gpu/cupti/, and bench/run.sh"
                    + " adds that folder to LD_LIBRARY_PATH)", e);
        }
        Request r = new Request();
        Complete c = new Complete();
        check(cuptiActivityRegisterCallbacks(r, c), "registering the buffer callbacks");
        // kept for the life of the process: CUPTI calls them from its own thread
        request = r;
        complete = c;
    }

    private static void check(int result, String what) {
        if (result != CUPTI_SUCCESS) {
            String text = "error " + result;
            try (PointerPointer<BytePointer> msg = new PointerPointer<>(1)) {
                msg.put(0, new Pointer());
                if (cuptiGetResultString(result, msg) == CUPTI_SUCCESS && !msg.get(0).isNull()) {
                    text = new BytePointer(msg.get(0)).getString() + " (" + result + ")";
                }
            }
            throw new KilnException("CUPTI failed " + what + ": " + text);
        }
    }

    /** Reads the kernel records of one buffer CUPTI filled. */
    static void read(BytePointer buffer, long validBytes, Collector into) {
        PointerPointer<CUpti_Activity> cursor = new PointerPointer<>(1);
        try {
            cursor.put(0, new Pointer());
            while (cuptiActivityGetNextRecord(buffer, validBytes, cursor) == CUPTI_SUCCESS) {
                Pointer rec = cursor.get(0);
                int kind = new CUpti_Activity(rec).kind();
                if (kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL || kind == CUPTI_ACTIVITY_KIND_KERNEL) {
                    CUpti_ActivityKernel9 k = new CUpti_ActivityKernel9(rec);
                    BytePointer name = k.name();
                    into.add(name == null || name.isNull() ? "?" : name.getString(), k.end() - k.start());
                }
            }
        } finally {
            cursor.close();
        }
    }

    private static final class Request extends CUpti_BuffersCallbackRequestFunc {
        @Override
        public void call(PointerPointer buffer, SizeTPointer size, SizeTPointer maxNumRecords) {
            try {
                BytePointer b = new BytePointer(BUFFER_BYTES);
                LIVE.put(b.address(), b);
                buffer.put(0, b);
                size.put(0, BUFFER_BYTES);
                maxNumRecords.put(0, 0);
            } catch (Throwable t) {
                // never unwind into CUPTI: it gets no buffer and drops records, which the profile then lacks
                callbackError = t;
                size.put(0, 0);
            }
        }
    }

    private static final class Complete extends CUpti_BuffersCallbackCompleteFunc {
        @Override
        public void call(CUctx_st context, int streamId, BytePointer buffer, long size, long validSize) {
            try {
                if (validSize > 0) {
                    read(buffer, validSize, COLLECTOR);
                }
            } catch (Throwable t) {
                callbackError = t;
            } finally {
                BytePointer b = buffer == null ? null : LIVE.remove(buffer.address());
                if (b != null) {
                    b.close();
                }
            }
        }
    }
}
