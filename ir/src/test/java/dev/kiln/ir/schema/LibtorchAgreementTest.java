package dev.kiln.ir.schema;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kiln's parser and printer agree with libtorch's own schema parser ({@code torch::jit::parseSchema}):
 * what Kiln prints, libtorch reads as the same schema, and what libtorch reads from the forms
 * {@code native_functions.yaml} uses, Kiln reads the same way. Runs libtorch on the CPU.
 */
class LibtorchAgreementTest {

    /** libtorch's reading of {@code schema}, printed by libtorch. */
    private static String viaLibtorch(String schema) {
        try (PointerScope scope = new PointerScope()) {
            return torch.toString(torch.parseSchema(schema)).getString();
        }
    }

    @Test
    void libtorchReadsWhatKilnPrints() {
        List<String> disagreements = new ArrayList<>();
        for (OpSchema s : SchemaRegistry.standard().all()) {
            String printed = s.toString();
            String back;
            try {
                back = viaLibtorch(printed);
            } catch (RuntimeException e) {
                disagreements.add(printed + "\n    libtorch cannot parse it: " + e.getMessage().lines().findFirst().orElse(""));
                continue;
            }
            if (!SchemaParser.parse(back).equals(s)) {
                disagreements.add(printed + "\n    libtorch reads it as " + back);
            }
        }
        assertThat(disagreements).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "aten::f(Tensor self, *, ScalarType dtype=long, ScalarType? d2=float, ScalarType? d3=complex) -> Tensor",
            "aten::f(MemoryFormat? memory_format=contiguous_format, Layout layout=strided) -> Tensor",
            "aten::f(Tensor self, Tensor target, int reduction=Mean) -> Tensor",
            "aten::f(Tensor self, int reduction=None) -> Tensor",
            "aten::f(int[2] stride=1, SymInt[3] padding=0, int[2] dilation=[1, 2], int[2]? output_size=1, float[2] scale=1, bool[3] mask=True) -> Tensor",
            "aten::f(float eps=1e-05, float momentum=0.1, float alpha=1, Scalar beta=1, Scalar gamma=0.5, float big=1e20) -> Tensor",
            "aten::f(str mode=\"bilinear\", str pad='reflect', str esc=\"a\\\"b\\\\c\\n\", Device d=\"cuda:0\") -> Tensor",
            "aten::f(Tensor(a!) self, Tensor(b -> *) x, Tensor(a)[] l, Tensor(c!)? o, t[](d!) m, Dict(str, t)(e!) dct) -> Tensor(a!)",
            "aten::max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
            "aten::f(Tensor x, ...) -> (Tensor, ...)",
            "aten::f(Tensor x) -> ((int, int) y)",
            "prim::f(Future(t) f, (int, Tensor)[] pairs, int[][] nested, Tensor?[] maybe, Any any) -> t(*)",
    })
    void kilnReadsNativeFunctionsFormsAsLibtorchDoes(String schema) {
        String libtorchForm = viaLibtorch(schema);
        assertThat(SchemaParser.parse(libtorchForm)).as(libtorchForm).isEqualTo(SchemaParser.parse(schema));
    }
}
