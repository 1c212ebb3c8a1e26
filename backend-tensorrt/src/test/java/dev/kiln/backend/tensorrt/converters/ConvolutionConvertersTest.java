package dev.kiln.backend.tensorrt.converters;

import dev.kiln.backend.tensorrt.converters.ConvolutionConverters.ConvBase;
import dev.kiln.backend.tensorrt.converters.ConvolutionConverters.Params;
import dev.kiln.ir.DType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The network-independent rule of the convolution converters: which grouped 16-bit convolutions run in f32. */
class ConvolutionConvertersTest {

    private static Params grouped(long groups, boolean transposed) {
        long[] one = {1, 1};
        return new Params(one, new long[2], new long[2], one, transposed, new long[2], groups);
    }

    @Test
    void sixteenBitGroupedConvolutionsWithoutKernelFriendlyChannelsRunInF32() {
        // the kit's shrunk failures on the H200: 6 -> 2, 6 -> 8, 2 -> 2 (depthwise), 8 -> 4, 2 -> 8, all with groups 2
        long[][] failed = {{6, 2}, {6, 8}, {2, 2}, {8, 4}, {2, 8}};
        for (DType t : new DType[] {DType.FLOAT16, DType.BFLOAT16}) {
            for (long[] c : failed) {
                assertThat(ConvBase.halfGroupedWithoutKernel(grouped(2, false), t, c[0], c[1])).as("%s %d -> %d", t, c[0], c[1]).isTrue();
            }
        }
    }

    @Test
    void dilatedGrouped3dConvolutionsRunInF32WhateverTheirChannels() {
        // the kit's failures on the H200 (fifth session): f16 conv3d 8 -> 16 with groups 8 and 2, 16 -> 32 depthwise,
        // dilations [2, 1, 1], [2, 1, 2] and [2, 2, 2]: "Could not find any implementation"
        long[][] dilations = {{2, 1, 1}, {2, 1, 2}, {2, 2, 2}};
        for (long[] d : dilations) {
            assertThat(ConvBase.halfGroupedWithoutKernel(grouped3d(8, d), DType.FLOAT16, 8, 16)).isTrue();
            assertThat(ConvBase.halfGroupedWithoutKernel(grouped3d(16, d), DType.FLOAT16, 16, 32)).isTrue();
            assertThat(ConvBase.halfGroupedWithoutKernel(grouped3d(2, d), DType.BFLOAT16, 8, 16)).isTrue();
        }
        // undilated 3d, dilated 2d and f32 keep their kernels
        assertThat(ConvBase.halfGroupedWithoutKernel(grouped3d(8, new long[] {1, 1, 1}), DType.FLOAT16, 8, 16)).isFalse();
        Params dilated2d = new Params(new long[] {1, 1}, new long[2], new long[2], new long[] {2, 2}, false, new long[2], 8);
        assertThat(ConvBase.halfGroupedWithoutKernel(dilated2d, DType.FLOAT16, 8, 16)).isFalse();
        assertThat(ConvBase.halfGroupedWithoutKernel(grouped3d(8, new long[] {2, 1, 1}), DType.FLOAT32, 8, 16)).isFalse();
    }

    private static Params grouped3d(long groups, long[] dilation) {
        long[] one = {1, 1, 1};
        return new Params(one, new long[3], new long[3], dilation, false, new long[3], groups);
    }

    @Test
    void realModelsKeepTheir16BitKernels() {
        // MobileNetV3 and EfficientNet-B0 depthwise convolutions (channels multiples of 8) built and matched in f16
        assertThat(ConvBase.halfGroupedWithoutKernel(grouped(960, false), DType.FLOAT16, 960, 960)).isFalse();
        assertThat(ConvBase.halfGroupedWithoutKernel(grouped(2, false), DType.FLOAT16, 16, 32)).isFalse();
        // ungrouped, f32 and transposed convolutions are never rerouted
        assertThat(ConvBase.halfGroupedWithoutKernel(grouped(1, false), DType.FLOAT16, 3, 5)).isFalse();
        assertThat(ConvBase.halfGroupedWithoutKernel(grouped(2, false), DType.FLOAT32, 6, 2)).isFalse();
        assertThat(ConvBase.halfGroupedWithoutKernel(grouped(2, true), DType.FLOAT16, 6, 2)).isFalse();
    }
}
