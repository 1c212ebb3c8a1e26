package dev.kiln.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.cuda.global.nvml;
import org.bytedeco.cuda.nvml.nvmlDevice_st;
import org.bytedeco.javacpp.PointerPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.bytedeco.cuda.global.cudart.cudaDeviceGetPCIBusId;
import static org.bytedeco.cuda.global.cudart.cudaGetDevice;

/**
 * The GPU's SM clock and why it is below its maximum, read through NVML right after a timing loop: the runner puts
 * it beside each latency ({@code sm_clock: {mhz, max_mhz, reasons}}). A host-bound engine's per-call time moved by a
 * third between two phases of one process (EfficientNet-B0 batch 1 FP32 on an H100, 0.757 and 0.988 ms, twenty-first
 * session), and the GPU's clock was at times idle (345 MHz) when a phase began; with the clock beside every latency a
 * run says whether the GPU slowed down ({@code gpu_idle}, power or thermal reasons) or the host did.
 *
 * <p>NVML comes with the driver ({@code libnvidia-ml.so.1}), not with the CUDA runtime the bench carries; where it
 * cannot be loaded or answers with an error, {@link #read()} is empty and says why once (the first failure is kept:
 * a later load would no longer name the missing library).
 *
 * <pre>{@code GpuClock.read().ifPresent(c -> rec.set("sm_clock", c)); // {"mhz":1980,"max_mhz":1980,"reasons":[]}}</pre>
 */
final class GpuClock {
    private static final Logger LOG = LoggerFactory.getLogger(GpuClock.class);

    /** NVML's clock event reasons (nvml.h, {@code nvmlClocksEventReason*}), by bit; spelled here so that naming them needs no NVML. */
    private static final String[] REASONS = {
        "gpu_idle", "applications_clocks_setting", "sw_power_cap", "hw_slowdown", "sync_boost",
        "sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown", "display_clock_setting",
    };

    private static nvmlDevice_st device;
    private static String unavailable;

    private GpuClock() {
    }

    /** The current CUDA device's SM clock, maximum SM clock and clock event reasons; empty where NVML cannot say. */
    static synchronized Optional<ObjectNode> read() {
        if (unavailable != null) {
            return Optional.empty();
        }
        try {
            if (device == null) {
                device = open();
            }
            int[] mhz = new int[1];
            int[] max = new int[1];
            long[] reasons = new long[1];
            check(nvml.nvmlDeviceGetClockInfo(device, nvml.NVML_CLOCK_SM, mhz), "reading the SM clock");
            check(nvml.nvmlDeviceGetMaxClockInfo(device, nvml.NVML_CLOCK_SM, max), "reading the maximum SM clock");
            check(nvml.nvmlDeviceGetCurrentClocksEventReasons(device, reasons), "reading the clock event reasons");
            ObjectNode c = JsonNodeFactory.instance.objectNode();
            c.put("mhz", mhz[0]);
            c.put("max_mhz", max[0]);
            reasonNames(reasons[0]).forEach(c.putArray("reasons")::add);
            return Optional.of(c);
        } catch (RuntimeException | LinkageError t) { // UnsatisfiedLinkError without the driver's NVML: a reading less, no more
            unavailable = t.toString();
            LOG.warn("the GPU's clock is not recorded beside the latencies: {}", unavailable);
            return Optional.empty();
        }
    }

    /** The names of the reasons set in NVML's bit mask; an unknown bit as {@code bit_N}. */
    static List<String> reasonNames(long bits) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            if ((bits & (1L << i)) != 0) {
                names.add(i < REASONS.length ? REASONS[i] : "bit_" + i);
            }
        }
        return names;
    }

    /**
     * NVML's handle of the current CUDA device, found by its PCI bus id (NVML counts devices without CUDA_VISIBLE_DEVICES).
     * NVML stays initialized for the rest of the process: the handle is NVML's own and needs no freeing.
     */
    private static nvmlDevice_st open() {
        check(nvml.nvmlInit_v2(), "initializing NVML");
        int[] dev = new int[1];
        if (cudaGetDevice(dev) != 0) {
            throw new IllegalStateException("cudaGetDevice failed");
        }
        byte[] bus = new byte[64];
        if (cudaDeviceGetPCIBusId(bus, bus.length, dev[0]) != 0) {
            throw new IllegalStateException("cudaDeviceGetPCIBusId failed for device " + dev[0]);
        }
        int n = 0;
        while (n < bus.length && bus[n] != 0) {
            n++;
        }
        try (PointerPointer<nvmlDevice_st> handle = new PointerPointer<>(1)) {
            check(nvml.nvmlDeviceGetHandleByPciBusId_v2(new String(bus, 0, n, java.nio.charset.StandardCharsets.US_ASCII), handle),
                    "finding the device by its PCI bus id");
            return new nvmlDevice_st(handle.get(0));
        }
    }

    private static void check(int status, String what) {
        if (status != 0) {
            throw new IllegalStateException("NVML " + what + ": " + nvml.nvmlErrorString(status).getString() + " (" + status + ")");
        }
    }
}
