package dev.kiln.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TinyOnnxTest {
    @Test
    void varintsAreLittleEndianBase128() {
        assertThat(TinyOnnx.varint(1)).containsExactly(1);
        assertThat(TinyOnnx.varint(300)).containsExactly(0xAC, 0x02);
    }

    @Test
    void modelStartsWithIrVersionAndNamesItsTensors() {
        byte[] m = TinyOnnx.relu(2, 3);
        // field 1 (ir_version), varint 8
        assertThat(m[0]).isEqualTo((byte) 0x08);
        assertThat(m[1]).isEqualTo((byte) 8);
        String text = new String(m, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(text).contains("Relu").contains("x0").contains("y0");
    }
}
