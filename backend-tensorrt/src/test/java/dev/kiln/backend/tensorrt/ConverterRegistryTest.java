package dev.kiln.backend.tensorrt;

import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConverterRegistryTest {
    record Fake(String op, int priority, String refusal) implements OpConverter {
        @Override
        public Support check(dev.kiln.ir.Node node, ConverterSettings settings) {
            return refusal == null ? Support.yes() : Support.no(refusal);
        }

        @Override
        public void convert(ConversionContext ctx, dev.kiln.ir.Node node) {
            throw new UnsupportedOperationException("not converted in this CPU test");
        }
    }

    @Test
    void ordersByPriorityThenClassAndFreezes() {
        ConverterRegistry r = ConverterRegistry.builder()
                .add(new Fake("aten::relu", 0, null))
                .add(new Fake("aten::relu", 10, "never"))
                .add(new Fake("aten::add.Tensor", 0, null))
                .build();
        assertThat(r.ops()).containsExactly("aten::add.Tensor", "aten::relu");
        assertThat(r.forOp("aten::relu")).extracting(OpConverter::priority).containsExactly(10, 0);
        assertThat(r.size()).isEqualTo(3);
        assertThatThrownBy(() -> r.forOp("aten::relu").add(new Fake("aten::relu", 1, null)))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(r.describe()).hasSize(3).first().asString().startsWith("aten::add.Tensor  priority=0");
    }

    @Test
    void refusesConvertersWithoutQualifiedOp() {
        assertThatThrownBy(() -> ConverterRegistry.builder().add(new Fake("relu", 0, null)))
                .isInstanceOf(KilnException.class).hasMessageContaining("aten::relu");
    }

    @Test
    void unsupportedNeedsAReason() {
        assertThatThrownBy(() -> Support.no(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Support.no("x").reason()).isEqualTo("x");
        assertThat(Support.yes().isSupported()).isTrue();
    }
}
