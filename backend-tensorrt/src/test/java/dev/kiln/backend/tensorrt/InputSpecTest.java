package dev.kiln.backend.tensorrt;

import dev.kiln.ir.KilnException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InputSpecTest {
    @Test
    void parsesStaticShapes() {
        InputSpec s = InputSpec.parse("x0=1x3x224x224");
        assertThat(s.name()).isEqualTo("x0");
        assertThat(s.min()).containsExactly(1, 3, 224, 224);
        assertThat(s.opt()).containsExactly(1, 3, 224, 224);
        assertThat(s.max()).containsExactly(1, 3, 224, 224);
        assertThat(s.isDynamic()).isFalse();
    }

    @Test
    void rangeOptDefaultsToMax() {
        InputSpec s = InputSpec.parse(" x0 = 1..32x3x224X224 ");
        assertThat(s.min()).containsExactly(1, 3, 224, 224);
        assertThat(s.opt()).containsExactly(32, 3, 224, 224);
        assertThat(s.max()).containsExactly(32, 3, 224, 224);
        assertThat(s.isDynamic()).isTrue();
        assertThat(s.text()).isEqualTo("x0=1..32x3x224x224");
    }

    @Test
    void minOptMax() {
        InputSpec s = InputSpec.parse("input_ids=1..8..32x128");
        assertThat(s.name()).isEqualTo("input_ids");
        assertThat(s.min()).containsExactly(1, 128);
        assertThat(s.opt()).containsExactly(8, 128);
        assertThat(s.max()).containsExactly(32, 128);
        assertThat(s.text()).isEqualTo("input_ids=1..8..32x128");
    }

    @Test
    void optionalDtypeForTorchScriptInputs() {
        InputSpec s = InputSpec.parse("x1=1..8x128:i64");
        assertThat(s.dtype()).contains(dev.kiln.ir.DType.INT64);
        assertThat(s.max()).containsExactly(8, 128);
        assertThat(s.text()).isEqualTo("x1=1..8x128:i64");
        assertThat(InputSpec.parse(s.text())).isEqualTo(s);
        assertThat(InputSpec.parse("x0=2x3").dtype()).isEmpty();
        assertThatThrownBy(() -> InputSpec.parse("x0=2x3:float99")).isInstanceOf(KilnException.class)
                .hasMessageContaining("unknown dtype 'float99'");
    }

    @Test
    void zeroDimensional() {
        assertThat(InputSpec.parse("x1=").rank()).isZero();
    }

    @Test
    void refusesBadSpecsWithActionableMessages() {
        assertThatThrownBy(() -> InputSpec.parse("1x3x224")).isInstanceOf(KilnException.class)
                .hasMessageContaining("NAME=DIMS");
        assertThatThrownBy(() -> InputSpec.parse("x0=1xax3")).isInstanceOf(KilnException.class)
                .hasMessageContaining("dimension 1").hasMessageContaining("'a'");
        assertThatThrownBy(() -> InputSpec.parse("x0=32..1")).isInstanceOf(KilnException.class)
                .hasMessageContaining("min <= opt <= max");
        assertThatThrownBy(() -> InputSpec.parse("x0=1..2..3..4")).isInstanceOf(KilnException.class);
        assertThatThrownBy(() -> InputSpec.parse("x0=1..40..32")).isInstanceOf(KilnException.class);
        assertThatThrownBy(() -> InputSpec.parse("x0=-1x3")).isInstanceOf(KilnException.class);
    }

    @Property(tries = 200)
    void textRoundTrips(@ForAll @Size(max = 6) List<@IntRange(min = 0, max = 50) Integer> lows,
                        @ForAll @IntRange(min = 0, max = 20) int span, @ForAll @IntRange(min = 0, max = 20) int optOff) {
        long[] min = new long[lows.size()];
        long[] opt = new long[lows.size()];
        long[] max = new long[lows.size()];
        for (int i = 0; i < min.length; i++) {
            min[i] = lows.get(i);
            max[i] = min[i] + (i % 2 == 0 ? span : 0);
            opt[i] = Math.min(max[i], min[i] + optOff);
        }
        InputSpec s = new InputSpec("x0", min, opt, max);
        assertThat(InputSpec.parse(s.text())).isEqualTo(s);
    }
}
