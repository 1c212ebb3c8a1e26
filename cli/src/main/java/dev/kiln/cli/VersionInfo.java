package dev.kiln.cli;

import dev.kiln.compiler.hybrid.Platform;
import dev.kiln.ir.KilnException;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The versions Kiln was built with: Kiln itself (and the commit it was built from) and the native stack
 * (TensorRT, CUDA, libtorch), taken from the build (Maven filters {@code version.properties}).
 *
 * <pre>{@code VersionInfo.load().lines()}</pre>
 */
public record VersionInfo(String kiln, String commit, String tensorrt, String cuda, String pytorch, String javacpp) {

    public static VersionInfo load() {
        Properties p = new Properties();
        try (InputStream in = VersionInfo.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new KilnException("version.properties is missing from the kiln-cli jar; rebuild with mvn package");
            }
            p.load(in);
        } catch (IOException e) {
            throw new KilnException("cannot read version.properties from the kiln-cli jar: " + e.getMessage(), e);
        }
        return new VersionInfo(p.getProperty("kiln"), Platform.kilnCommit(), presetVersion(p.getProperty("tensorrt")),
                presetVersion(p.getProperty("cuda")), presetVersion(p.getProperty("pytorch")), p.getProperty("javacpp"));
    }

    /** {@code 10.6-1.5.11} is TensorRT 10.6 in JavaCPP presets 1.5.11; {@code 12.6-9.5-1.5.11} is CUDA 12.6 with cuDNN 9.5. */
    private static String presetVersion(String v) {
        int dash = v.indexOf('-');
        return dash < 0 ? v : v.substring(0, dash);
    }

    public String[] lines() {
        return new String[] {
            "Kiln " + kiln + " (commit " + commit + ")",
            "built against TensorRT " + tensorrt + ", CUDA " + cuda + ", libtorch " + pytorch + " (JavaCPP " + javacpp + ")",
        };
    }
}
