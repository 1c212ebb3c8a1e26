package dev.kiln.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GpuClockTest {
    @Test
    void reasonBitsAreNamedAsNvmlDefinesThem() {
        assertThat(GpuClock.reasonNames(0)).isEmpty();
        // nvmlClocksEventReasonGpuIdle 0x1, SwPowerCap 0x4, HwThermalSlowdown 0x40, DisplayClockSetting 0x100
        assertThat(GpuClock.reasonNames(0x1L | 0x4L | 0x40L | 0x100L))
                .isEqualTo(List.of("gpu_idle", "sw_power_cap", "hw_thermal_slowdown", "display_clock_setting"));
        assertThat(GpuClock.reasonNames(1L << 12)).isEqualTo(List.of("bit_12"));
    }

    @Test
    void aReadingIsAClockOrNothingAndNeverAFailure() {
        // CI machines have no NVIDIA driver: empty, again and again, without throwing; with a driver, a clock
        for (int i = 0; i < 2; i++) {
            GpuClock.read().ifPresent(c -> {
                assertThat(c.path("mhz").asInt()).isPositive();
                assertThat(c.path("max_mhz").asInt()).isGreaterThanOrEqualTo(c.path("mhz").asInt());
                assertThat(c.path("reasons").isArray()).isTrue();
            });
        }
    }
}
