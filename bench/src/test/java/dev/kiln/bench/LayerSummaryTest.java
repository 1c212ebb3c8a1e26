package dev.kiln.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LayerSummaryTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void namesOnly() throws Exception {
        String s = "{\"Layers\": [\"conv_1 + relu_2\", \"Reformatting CopyNode for Input Tensor 0 to fc\", "
                + "\"{ForeignNode[attn_1...matmul_9]}\", \"fc\"], \"Bindings\": [\"x0\", \"y0\"]}";
        assertThat(LayerSummary.of(json.readTree(s))).isEqualTo(new LayerSummary(4, 1, 1, 1));
    }

    @Test
    void detailed() throws Exception {
        String s = "{\"Layers\": [{\"Name\": \"a + b\", \"LayerType\": \"CaskConvolution\"},"
                + " {\"Name\": \"r\", \"LayerType\": \"Reformat\"}, {\"Name\": \"m\", \"LayerType\": \"Myelin\"}]}";
        assertThat(LayerSummary.of(json.readTree(s))).isEqualTo(new LayerSummary(3, 1, 1, 1));
    }

    @Test
    void emptyInspection() throws Exception {
        assertThat(LayerSummary.of(json.readTree("{}"))).isEqualTo(new LayerSummary(0, 0, 0, 0));
    }
}
