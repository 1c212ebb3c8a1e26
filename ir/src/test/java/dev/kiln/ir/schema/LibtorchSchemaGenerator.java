package dev.kiln.ir.schema;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Operator;
import org.bytedeco.pytorch.OperatorVector;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes {@code ir/src/main/resources/dev/kiln/ir/schema/libtorch-2.5.1.schemas}: every operator schema
 * that the bundled libtorch's TorchScript operator registry knows (a superset of the c10 dispatcher's
 * ops: it adds the prim:: and TorchScript-only aten:: ops), printed by libtorch itself, one per line,
 * sorted. {@code LibtorchSchemaGeneratorTest} checks that the committed file is what this produces.
 *
 * <p>To regenerate after changing the pinned preset, run {@link #main} on the ir test classpath (the
 * optional argument is the output path), or run that test with {@code -Dkiln.golden.update=true}:
 * <pre>{@code mvn -B -o -pl ir -am test -Dtest=LibtorchSchemaGeneratorTest -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.golden.update=true}</pre>
 */
public final class LibtorchSchemaGenerator {
    /** The preset the resource was generated from; a different one would change the op set. */
    static final String PRESET_VERSION = "2.5.1-1.5.11";
    static final String RESOURCE_PATH = "src/main/resources" + SchemaRegistry.STANDARD_RESOURCE;

    private LibtorchSchemaGenerator() {
    }

    /** Every schema of libtorch's JIT operator registry, as {@code torch::jit} prints it, sorted (UTF-16 order, i.e. byte order for ASCII). */
    static List<String> schemas() {
        checkPreset();
        List<String> out = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            OperatorVector ops = torch.getAllOperators();
            long n = ops.size();
            for (long i = 0; i < n; i++) {
                Operator op = ops.get(i);
                out.add(torch.toString(op.schema()).getString(StandardCharsets.UTF_8));
            }
        }
        out.sort(null);
        for (int i = 1; i < out.size(); i++) {
            if (out.get(i).equals(out.get(i - 1))) {
                throw new IllegalStateException("libtorch registers the schema twice: " + out.get(i));
            }
        }
        return out;
    }

    /** The resource's text: one schema per line, each line ending in a newline. */
    static String render(List<String> schemas) {
        StringBuilder sb = new StringBuilder();
        for (String s : schemas) {
            sb.append(s).append('\n');
        }
        return sb.toString();
    }

    private static void checkPreset() {
        String version;
        try {
            version = Loader.getVersion("org.bytedeco", "pytorch");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the JavaCPP pytorch preset's version", e);
        }
        if (!PRESET_VERSION.equals(version)) {
            throw new IllegalStateException("the schema resource is for pytorch preset " + PRESET_VERSION + " but " + version
                    + " is on the classpath; rename the resource for the new libtorch or pin the preset");
        }
    }

    /** The resource file, whether run from the repository root or from the ir module. */
    static Path defaultOutput() {
        Path fromRoot = Path.of("ir").resolve(RESOURCE_PATH);
        return Files.isDirectory(Path.of("ir", "src")) ? fromRoot : Path.of(RESOURCE_PATH);
    }

    public static void main(String[] args) throws IOException {
        Path out = args.length > 0 ? Path.of(args[0]) : defaultOutput();
        List<String> schemas = schemas();
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, render(schemas), StandardCharsets.UTF_8);
        System.out.println("wrote " + schemas.size() + " schemas to " + out.toAbsolutePath());
    }
}
