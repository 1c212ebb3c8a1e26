package dev.kiln.frontend.fx.importer;

import dev.kiln.ir.SourceLocation;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StackTracesTest {
    @Test
    void lastFrameOutsideTorch() {
        String t = "File \"/home/u/model.py\", line 41, in forward\n    return self.fc2(F.relu(self.fc1(x)))\n"
                + "  File \"/venv/lib/python3.12/site-packages/torch/nn/modules/linear.py\", line 134, in forward\n"
                + "    return F.linear(input, self.weight, self.bias)";
        assertThat(StackTraces.userFrame(t)).contains(new SourceLocation("/home/u/model.py", 41, "return self.fc2(F.relu(self.fc1(x)))"));
    }

    @Test
    void librariesOtherThanTorchAreUserCode() {
        String t = "File \"/venv/lib/python3.12/site-packages/torchvision/models/resnet.py\", line 92, in forward\n    out = self.conv1(x)";
        assertThat(StackTraces.userFrame(t)).map(SourceLocation::line).contains(92);
    }

    @Test
    void noFrames() {
        assertThat(StackTraces.userFrame("")).isEmpty();
        assertThat(StackTraces.userFrame("garbage")).isEmpty();
        assertThat(StackTraces.userFrame("File \"torch/fx/passes/runtime_assert.py\", line 24, in insert_deferred_runtime_asserts")).isEmpty();
    }
}
