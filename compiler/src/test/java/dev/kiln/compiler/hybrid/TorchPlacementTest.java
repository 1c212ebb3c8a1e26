package dev.kiln.compiler.hybrid;

import dev.kiln.backend.torch.TorchDevice;
import dev.kiln.ir.KilnException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where torch stages run when only the CPU build of libtorch is on the class path (as in CI). */
class TorchPlacementTest {
    @AfterEach
    void clear() {
        System.clearProperty(TorchPlacement.PROPERTY);
    }

    @Test
    void autoFallsBackToTheCpuWithoutCudaLibtorch() {
        assertThat(TorchDevice.cuda(0).isAvailable()).as("this test expects the CPU build of libtorch").isFalse();
        assertThat(TorchPlacement.device()).isEqualTo(TorchDevice.cpu());
        System.setProperty(TorchPlacement.PROPERTY, "auto");
        assertThat(TorchPlacement.device()).isEqualTo(TorchDevice.cpu());
        System.setProperty(TorchPlacement.PROPERTY, "cpu");
        assertThat(TorchPlacement.device()).isEqualTo(TorchDevice.cpu());
    }

    @Test
    void askingForCudaWithoutItSaysWhatIsMissing() {
        System.setProperty(TorchPlacement.PROPERTY, "cuda");
        assertThatThrownBy(TorchPlacement::device).isInstanceOf(KilnException.class)
                .hasMessageContaining("cannot use cuda:0").hasMessageContaining(TorchDevice.GPU_ARTIFACT);
        System.setProperty(TorchPlacement.PROPERTY, "tpu");
        assertThatThrownBy(TorchPlacement::device).isInstanceOf(KilnException.class).hasMessageContaining("unknown device 'tpu'");
    }

    @Test
    void onTheCpuTheStreamIsNotTouched() {
        assertThat(TorchPlacement.onStream(TorchDevice.cpu(), null, () -> "ran")).isEqualTo("ran");
    }
}
