package dev.kiln.backend.tensorrt;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A serialized engine fresh from {@link EngineBuilder}: the plan (a direct buffer), the profile it was
 * built for, the IR names of its inputs and outputs in engine order ({@code x0.., y0..}), the build
 * time and TensorRT's warnings.
 *
 * <pre>{@code try (Engine e = Engine.deserialize(built.plan())) { ... }}</pre>
 */
public record BuiltEngine(ByteBuffer plan, List<Profiles.InputProfile> profile, List<String> inputNames,
                          List<String> outputNames, double buildSeconds, List<String> warnings) {
    public BuiltEngine {
        plan = plan.asReadOnlyBuffer();
        profile = List.copyOf(profile);
        inputNames = List.copyOf(inputNames);
        outputNames = List.copyOf(outputNames);
        warnings = List.copyOf(warnings);
    }

    @Override
    public ByteBuffer plan() {
        return plan.duplicate();
    }
}
