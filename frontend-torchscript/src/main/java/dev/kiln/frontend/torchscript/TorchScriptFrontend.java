package dev.kiln.frontend.torchscript;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.TensorType;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.StringVectorOptional;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads a TorchScript archive ({@code torch.jit.save} of a traced or scripted module) into an IR
 * {@link Graph}: libtorch loads it, the module is put in eval mode and frozen (parameters become
 * constants, submodule calls are inlined), and the frozen {@code forward} graph is translated node by
 * node to exact ATen overloads. TorchScript carries no shapes: tensor inputs are
 * {@link TensorType#unknown()} unless {@link TorchScriptOptions#inputTypes()} gives them.
 *
 * <pre>{@code Graph g = TorchScriptFrontend.load(Path.of("resnet.pt"), TorchScriptOptions.defaults());}</pre>
 */
public final class TorchScriptFrontend {
    static {
        dev.kiln.ir.JavaCppDefaults.apply(); // before anything loads JavaCPP
    }

    private static final Logger LOG = LoggerFactory.getLogger(TorchScriptFrontend.class);
    private static final Pattern UNKNOWN_OP = Pattern.compile("Unknown builtin op: (\\w+::\\w+(?:\\.\\w+)*)");

    private TorchScriptFrontend() {
    }

    /** Loads {@code file} with default options. */
    public static Graph load(Path file) {
        return load(file, TorchScriptOptions.defaults());
    }

    /**
     * Loads and converts {@code file}. Every problem (not a TorchScript archive, a truncated one, an
     * op libtorch 2.5 does not know, a construct Kiln cannot translate) is a {@link KilnException}
     * naming the file.
     */
    public static Graph load(Path file, TorchScriptOptions options) {
        String name = file.toString();
        checkArchive(file);
        try (PointerScope scope = new PointerScope()) {
            JitModule module = Natives.call(name + ": libtorch cannot load this TorchScript archive", () -> loadModule(file));
            return convertModule(module, name, options);
        } catch (KilnException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new KilnException(name + ": " + Natives.summarize(e.getMessage()), e);
        }
    }

    /**
     * Converts a module already loaded or built in Java (for instance with {@code JitModule.define});
     * {@code sourceName} names it in messages. The module is not changed: freezing works on a clone.
     */
    public static Graph convert(JitModule module, String sourceName, TorchScriptOptions options) {
        try (PointerScope scope = new PointerScope()) {
            return convertModule(module, sourceName, options);
        } catch (KilnException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new KilnException(sourceName + ": " + Natives.summarize(e.getMessage()), e);
        }
    }

    /**
     * True when {@code file} is a zip laid out by {@code torch.jit.save} ({@code <name>/data.pkl}
     * and {@code <name>/code/}); decided from the contents, not the file name.
     */
    public static boolean isTorchScript(Path file) {
        if (!Files.isRegularFile(file) || !isZip(file)) {
            return false;
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return layout(zip) == Layout.TORCHSCRIPT;
        } catch (IOException e) {
            return false;
        }
    }

    private static JitModule loadModule(Path file) {
        try {
            return torch.load(file.toString());
        } catch (RuntimeException e) {
            Matcher m = UNKNOWN_OP.matcher(String.valueOf(e.getMessage()));
            if (m.find()) {
                throw new KilnException(file + ": the archive uses the operator " + m.group(1)
                        + ", which libtorch 2.5.1 does not know (it is newer); export the model without it "
                        + "or with a torch version whose TorchScript uses only older ops", e);
            }
            throw e;
        }
    }

    private static Graph convertModule(JitModule module, String name, TorchScriptOptions options) {
        JitModule frozen = Natives.call(name + ": torch.jit.freeze failed", () -> {
            module.eval();
            // optimize_numerics=false: keep batch_norm and the model's own ops; folding is the passes' job
            return torch.freeze(module, new StringVectorOptional(), false);
        });
        org.bytedeco.pytorch.Graph jit = Natives.call(name + ": the module has no forward() method",
                () -> frozen.get_method("forward").graph());
        Graph graph = new Graph("forward");
        graph.attributes().put("frontend", "torchscript");
        graph.attributes().put("source", Path.of(name).getFileName() == null ? name : Path.of(name).getFileName().toString());
        FrozenGraphConverter converter = new FrozenGraphConverter(name, options.schemas(), graph);
        try {
            converter.convert(jit, options.inputTypes());
        } finally {
            // the converter walks native nodes and keys its bindings by their addresses: the JIT graph and the modules
            // that own it must outlive the walk, or the garbage collector may free them mid-way (JavaCPP deallocators)
            // and a reused address would bind one value to another's IR
            java.lang.ref.Reference.reachabilityFence(jit);
            java.lang.ref.Reference.reachabilityFence(frozen);
            java.lang.ref.Reference.reachabilityFence(module);
        }
        if (converter.droppedAssertions() > 0) {
            LOG.info("{}: dropped {} assertion branch(es) (checks that raise on malformed input); "
                    + "the compiled graph trusts its inputs", name, converter.droppedAssertions());
        }
        return graph;
    }

    // --- archive checks before libtorch sees the file (its messages for these cases are cryptic) ---

    private enum Layout { TORCHSCRIPT, EXPORT, OTHER }

    private static void checkArchive(Path file) {
        dev.kiln.ir.InputFiles.require(file, "file");
        if (!isZip(file)) {
            String what = startsWithPickle(file) ? "a plain pickle (torch.save of a state_dict or tensors?)"
                    : "not a zip file";
            throw new KilnException(file + ": not a TorchScript archive: " + what
                    + "; save the model with torch.jit.save(torch.jit.script(model) or torch.jit.trace(model, x), path)");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Layout l = layout(zip);
            if (l == Layout.EXPORT) {
                throw new KilnException(file + ": this is a torch.export (.pt2) archive, not TorchScript; "
                        + "read it with the torch.export frontend");
            }
            if (l == Layout.OTHER) {
                throw new KilnException(file + ": not a TorchScript archive: the zip has no <name>/data.pkl and <name>/code/; "
                        + "save the model with torch.jit.save");
            }
        } catch (IOException e) {
            throw new KilnException(file + ": the archive is truncated or corrupt (" + e.getMessage()
                    + "); copy or save it again", e);
        }
    }

    private static Layout layout(ZipFile zip) {
        boolean data = false;
        boolean code = false;
        boolean export = false;
        List<String> names = new ArrayList<>();
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            String n = entries.nextElement().getName();
            names.add(n);
            int slash = n.indexOf('/');
            String rest = slash < 0 ? n : n.substring(slash + 1);
            data |= rest.equals("data.pkl");
            code |= rest.startsWith("code/");
            export |= rest.startsWith("models/") || rest.equals("archive_format") || rest.startsWith("serialized_exported_program");
        }
        if (export) {
            return Layout.EXPORT;
        }
        return data && code ? Layout.TORCHSCRIPT : Layout.OTHER;
    }

    private static boolean isZip(Path file) {
        byte[] head = readHead(file, 4);
        return head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    }

    private static boolean startsWithPickle(Path file) {
        byte[] head = readHead(file, 1);
        return head.length == 1 && (head[0] & 0xff) == 0x80;
    }

    private static byte[] readHead(Path file, int n) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        } catch (IOException e) {
            throw new KilnException(file + ": cannot read the file: " + e.getMessage(), e);
        }
    }
}
