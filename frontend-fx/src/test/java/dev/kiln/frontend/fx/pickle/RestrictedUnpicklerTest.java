package dev.kiln.frontend.fx.pickle;

import dev.kiln.frontend.fx.Archives;
import dev.kiln.frontend.fx.Fixtures;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RestrictedUnpicklerTest {
    private static PickleValue load(String pickle) {
        return new RestrictedUnpickler(pickle.getBytes(StandardCharsets.ISO_8859_1), "t.pt").load();
    }

    @Test
    void readsTorchSaveStateDicts() {
        byte[] sd = Archives.entries(Fixtures.path("mlp.v27.pt2")).get("serialized_state_dict.pt");
        byte[] pkl = Archives.entries(Archives.write(Fixtures.path("mlp.v27.pt2").resolveSibling("sd.zip"), sd))
                .get("archive/data.pkl");
        PickleValue v = new RestrictedUnpickler(pkl, "sd").load();
        assertThat(v).isInstanceOf(PickleValue.Dict.class);
        PickleValue.Dict d = (PickleValue.Dict) v;
        PickleValue.Tensor w = (PickleValue.Tensor) d.entries().get(new PickleValue.Str("fc1.weight"));
        assertThat(w.parameter()).isTrue();
        assertThat(w.sizes()).containsExactly(32, 16);
        assertThat(w.strides()).containsExactly(16, 1);
        assertThat(w.storage()).isEqualTo(new PickleValue.Storage("0", DType.FLOAT32, 512, "cpu"));
    }

    @Test
    void plainDataOpcodes() {
        // {'a': [1, -2, 3.5, True, None], 'b': (u'x', 300)} written with protocol 2 opcodes
        String p = "\u0080\u0002}q\u0000(X\u0001\u0000\u0000\u0000a]q\u0001(K\u0001J\u00fe\u00ff\u00ff\u00ff"
                + "G@\u000c\u0000\u0000\u0000\u0000\u0000\u0000\u0088NeX\u0001\u0000\u0000\u0000b"
                + "X\u0001\u0000\u0000\u0000xM,\u0001\u0086u.";
        PickleValue.Dict d = (PickleValue.Dict) load(p);
        PickleValue.PyList a = (PickleValue.PyList) d.entries().get(new PickleValue.Str("a"));
        assertThat(a.items()).containsExactly(new PickleValue.Int(1), new PickleValue.Int(-2), new PickleValue.Float(3.5),
                new PickleValue.Bool(true), new PickleValue.None());
        assertThat(d.entries().get(new PickleValue.Str("b")))
                .isEqualTo(new PickleValue.Tuple(java.util.List.of(new PickleValue.Str("x"), new PickleValue.Int(300))));
    }

    @Test
    void refusesOtherGlobalsByName() {
        assertThatThrownBy(() -> load("\u0080\u0002cos\nsystem\nX\u0002\u0000\u0000\u0000ls\u0085R."))
                .isInstanceOf(KilnException.class).hasMessageContaining("t.pt: pickle refers to the global 'os.system'");
        assertThatThrownBy(() -> load("\u0080\u0002cbuiltins\neval\n."))
                .hasMessageContaining("'builtins.eval'");
        assertThatThrownBy(() -> load("\u0080\u0004\u008c\u0008builtins\u008c\u0004exec\u0093."))
                .hasMessageContaining("'builtins.exec'");
    }

    @Test
    void storagesAreMarkersNeverCalled() {
        assertThatThrownBy(() -> load("\u0080\u0002ctorch\nFloatStorage\n)R."))
                .isInstanceOf(KilnException.class).hasMessageContaining("type marker");
    }

    @Test
    void refusesCodeInstructionsAndBrokenPrograms() {
        assertThatThrownBy(() -> load("\u0080\u0002cos\nsystem\n(X\u0002\u0000\u0000\u0000lsi."))
                .isInstanceOf(KilnException.class);
        assertThatThrownBy(() -> load("\u0080\u0002(X\u0002\u0000\u0000\u0000lsb."))
                .hasMessageContaining("instruction 0x62");
        assertThatThrownBy(() -> load("\u0080\u0002X\u00ff\u0000\u0000\u0000ab"))
                .hasMessageContaining("more than remain");
        assertThatThrownBy(() -> load("\u0080\u0002h\u0007."))
                .hasMessageContaining("memo slot 7");
        assertThatThrownBy(() -> load("\u0080\u0002K\u0001"))
                .hasMessageContaining("no STOP");
        assertThatThrownBy(() -> load("\u0080\u0002t."))
                .hasMessageContaining("no MARK");
    }
}
