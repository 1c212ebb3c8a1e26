package com.example.kiln.logit;

import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.ConverterSettings;
import dev.kiln.ir.DType;
import dev.kiln.tck.CaseGraph;
import dev.kiln.tck.OpCase;
import dev.kiln.tck.TensorSpec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The converter is found through ServiceLoader and its check says what it cannot do. */
class LogitConverterTest {

    @Test
    void theRegistryFindsTheConverter() {
        assertThat(ConverterRegistry.standard().forOp("aten::logit")).anySatisfy(c -> assertThat(c).isInstanceOf(LogitConverter.class));
        CaseGraph g = CaseGraph.standalone(OpCase.of("aten::logit", TensorSpec.of(DType.FLOAT32, 2, 3), 1e-6), false);
        ConverterRegistry.Lookup l = ConverterRegistry.standard().lookup(g.node(), ConverterSettings.defaults());
        assertThat(l.converter()).get().isInstanceOf(LogitConverter.class);
    }

    @Test
    void integerInputsAreRefusedWithAReason() {
        CaseGraph g = CaseGraph.standalone(OpCase.of("aten::logit", TensorSpec.of(DType.INT64, 4), null), false);
        ConverterRegistry.Lookup l = ConverterRegistry.standard().lookup(g.node(), ConverterSettings.defaults());
        assertThat(l.supported()).isFalse();
        assertThat(l.reason()).contains("f32, f16 and bf16 only");
    }
}
