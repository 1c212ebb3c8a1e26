package dev.kiln.bench;

import dev.kiln.compiler.measure.Stats;
import dev.kiln.ir.KilnException;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cupti.CUpti_Activity;
import org.bytedeco.cuda.cupti.CUpti_ActivityKernel9;
import org.bytedeco.cuda.cupti.CUpti_ActivityMemcpy5;
import org.bytedeco.cuda.cupti.CUpti_ActivityMemset4;
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
import static org.bytedeco.cuda.global.cupti.CUPTI_ACTIVITY_KIND_MEMCPY;
import static org.bytedeco.cuda.global.cupti.CUPTI_ACTIVITY_KIND_MEMSET;
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
 * <p>{@link #timeline} profiles one run at a time, kernels, copies and memsets alike, for what the sums by name do
 * not show: how long the run's GPU work spans from its first activity's start to its last one's end, and how much
 * of that span no activity was running (the gaps between kernels, where the GPU waits on a launch or a dependency).
 *
 * <pre>{@code List<KernelProfile.Kernel> ks = KernelProfile.profile(() -> run.bareWallMicros(0, 50));
 * KernelProfile.Timeline t = KernelProfile.timeline(() -> run.bareWallMicros(0, 1), 20);}</pre>
 */
final class KernelProfile {
    /** One kernel name's launches within a profiled stretch: how many, and their summed GPU time. */
    record Kernel(String name, long launches, long totalNs) {
        double microsPerRun(int runs) {
            return totalNs / 1e3 / runs;
        }
    }

    /** What a GPU activity record was. */
    enum Activity { KERNEL, COPY, MEMSET }

    /** One activity's start and end on the GPU's clock (ns). */
    record Interval(Activity activity, long start, long end) {
    }

    /**
     * One run's GPU work, from its activities: {@code spanNs} from the first start to the last end, {@code busyNs} the
     * time at least one activity ran (their union: concurrent kernels count once), the rest idle; and how many of
     * each activity ran, with the copies' own time.
     */
    record Run(long spanNs, long busyNs, int kernels, int copies, long copyNs, int memsets) {
        long idleNs() {
            return spanNs - busyNs;
        }

        /** The run of these intervals; an empty one is all zero. */
        static Run of(List<Interval> intervals) {
            if (intervals.isEmpty()) {
                return new Run(0, 0, 0, 0, 0, 0);
            }
            List<Interval> sorted = new ArrayList<>(intervals);
            sorted.sort(Comparator.comparingLong(Interval::start).thenComparingLong(Interval::end));
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            long busy = 0;
            long openStart = 0;
            long openEnd = Long.MIN_VALUE;
            int kernels = 0;
            int copies = 0;
            int memsets = 0;
            long copyNs = 0;
            for (Interval i : sorted) {
                long end = Math.max(i.start(), i.end());
                first = Math.min(first, i.start());
                last = Math.max(last, end);
                if (i.start() > openEnd) {
                    busy += openEnd == Long.MIN_VALUE ? 0 : openEnd - openStart;
                    openStart = i.start();
                    openEnd = end;
                } else {
                    openEnd = Math.max(openEnd, end);
                }
                switch (i.activity()) {
                    case KERNEL -> kernels++;
                    case COPY -> {
                        copies++;
                        copyNs += end - i.start();
                    }
                    case MEMSET -> memsets++;
                }
            }
            busy += openEnd - openStart;
            return new Run(last - first, busy, kernels, copies, copyNs, memsets);
        }
    }

    /** The runs of a {@link #timeline}, each profiled alone; medians over them. */
    record Timeline(List<Run> runs) {
        Timeline {
            runs = List.copyOf(runs);
        }

        double medianSpanMicros() {
            return medianMicros(Run::spanNs);
        }

        double medianIdleMicros() {
            return medianMicros(Run::idleNs);
        }

        double medianCopyMicros() {
            return medianMicros(Run::copyNs);
        }

        /** The median over the runs of one figure (ns), in µs; 0 for no runs. */
        private double medianMicros(java.util.function.ToLongFunction<Run> figure) {
            return runs.isEmpty() ? 0 : Stats.of(runs.stream().mapToDouble(r -> figure.applyAsLong(r)).toArray()).median() / 1e3;
        }

        /** Copies per run when every run made as many, else -1 (the runs differ: the report says so). */
        int copiesPerRun() {
            return same(runs.stream().mapToInt(Run::copies).toArray());
        }

        int memsetsPerRun() {
            return same(runs.stream().mapToInt(Run::memsets).toArray());
        }

        int kernelsPerRun() {
            return same(runs.stream().mapToInt(Run::kernels).toArray());
        }

        private static int same(int[] v) {
            return java.util.Arrays.stream(v).distinct().count() == 1 ? v[0] : -1;
        }
    }

    /** Sums kernel records by name, and keeps every record's interval (fed by CUPTI's thread; pure otherwise). */
    static final class Collector {
        private final Map<String, long[]> byName = new LinkedHashMap<>();
        private final List<Interval> intervals = new ArrayList<>();

        synchronized void add(String name, long nanos) {
            long[] c = byName.computeIfAbsent(name, k -> new long[2]);
            c[0]++;
            c[1] += Math.max(0, nanos);
        }

        synchronized void interval(Activity activity, long start, long end) {
            intervals.add(new Interval(activity, start, end));
        }

        synchronized List<Interval> intervals() {
            return List.copyOf(intervals);
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
            intervals.clear();
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
        record(work, CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
        return COLLECTOR.kernels();
    }

    /**
     * Runs {@code oneRun} {@code runs} times, each alone under CUPTI recording kernels, copies and memsets, and returns
     * each run's {@link Run}; {@code oneRun} should end with the GPU idle, as for {@link #profile}.
     */
    static synchronized Timeline timeline(Runnable oneRun, int runs) {
        List<Run> out = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            record(oneRun, CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_MEMSET);
            out.add(Run.of(COLLECTOR.intervals()));
        }
        return new Timeline(out);
    }

    /** {@code work} with CUPTI recording these activity kinds into {@link #COLLECTOR}, cleared first. */
    private static void record(Runnable work, int... kinds) {
        init();
        COLLECTOR.clear();
        callbackError = null;
        int enabled = 0;
        try {
            for (int kind : kinds) {
                check(cuptiActivityEnable(kind), "enabling activity records of kind " + kind);
                enabled++;
            }
            work.run();
            cudaDeviceSynchronize();
        } finally {
            // forced: incomplete buffers are handed back too, through the completion callback, before this returns
            check(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED), "flushing the records");
            for (int i = 0; i < enabled; i++) {
                check(cuptiActivityDisable(kinds[i]), "disabling activity records of kind " + kinds[i]);
            }
        }
        if (callbackError != null) {
            throw new KilnException("CUPTI's records could not be read: " + callbackError, callbackError);
        }
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

    /** Reads the kernel, copy and memset records of one buffer CUPTI filled. */
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
                    into.interval(Activity.KERNEL, k.start(), k.end());
                } else if (kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
                    CUpti_ActivityMemcpy5 m = new CUpti_ActivityMemcpy5(rec);
                    into.interval(Activity.COPY, m.start(), m.end());
                } else if (kind == CUPTI_ACTIVITY_KIND_MEMSET) {
                    CUpti_ActivityMemset4 m = new CUpti_ActivityMemset4(rec);
                    into.interval(Activity.MEMSET, m.start(), m.end());
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
