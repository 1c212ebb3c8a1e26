package dev.kiln.frontend.fx;

import dev.kiln.frontend.fx.archive.StridedTensors;
import dev.kiln.frontend.fx.archive.ZipArchive;
import dev.kiln.frontend.fx.archive.ZipEntry;
import dev.kiln.frontend.fx.archive.ZipLimits;
import dev.kiln.frontend.fx.pickle.TorchSave;
import dev.kiln.frontend.fx.serde.Json;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.KilnException;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * An opened {@code .pt2} file of any supported layout ({@link Pt2Layout}): the program JSON of one
 * model and its tensors by fully-qualified name — weights (parameters and persistent buffers) and
 * constants (tensor constants, non-persistent buffers) — served from the file's mapping without
 * heap copies. Close it when done; the tensors stay valid.
 *
 * <pre>{@code
 * try (Pt2Archive a = Pt2Archive.open(Path.of("model.pt2"))) {
 *     String json = a.programJson();
 *     ConstantTensor w = a.weights().get("fc1.weight");
 * }
 * }</pre>
 */
public final class Pt2Archive implements AutoCloseable {
    private static final String FLAT_PROGRAM = "serialized_exported_program.json";

    private final ZipArchive zip;
    private final Pt2Layout layout;
    private final String root;
    private final String modelName;
    private final ZipEntry program;
    private Map<String, ConstantTensor> weights;
    private Map<String, ConstantTensor> constants;

    private Pt2Archive(ZipArchive zip, String modelName) {
        this.zip = zip;
        if (zip.entry(FLAT_PROGRAM).isPresent()) {
            this.layout = Pt2Layout.FLAT;
            this.root = "";
            this.modelName = "model";
            this.program = zip.require(FLAT_PROGRAM);
            return;
        }
        this.root = findRoot(zip);
        String format = zip.text(zip.require(root + "archive_format")).trim();
        if (!format.equals("pt2")) {
            throw zip.problem(root + "archive_format", "says '" + abbreviate(format) + "', expected 'pt2'");
        }
        zip.entry(root + "archive_version").ifPresent(e -> {
            String v = zip.text(e).trim();
            if (!v.equals("0")) {
                throw zip.problem(e, "says version '" + abbreviate(v) + "'; Kiln reads PT2 archive version 0 (torch 2.8 to 2.11)");
            }
        });
        zip.entry(root + "byteorder").ifPresent(e -> {
            String v = zip.text(e).trim();
            if (!v.equals("little")) {
                throw zip.problem(e, "says the byte order is '" + abbreviate(v) + "'; only little-endian archives are read");
            }
        });
        List<String> models = new ArrayList<>();
        for (ZipEntry e : zip.entries()) {
            String n = e.name();
            if (n.startsWith(root + "models/") && n.endsWith(".json") && n.indexOf('/', root.length() + 7) < 0) {
                models.add(n.substring(root.length() + 7, n.length() - 5));
            }
        }
        if (models.isEmpty()) {
            throw new KilnException(zip.label() + ": has no models/<name>.json entry; it is not a torch.export program");
        }
        String chosen = modelName;
        if (chosen == null) {
            chosen = models.contains("model") ? "model" : models.size() == 1 ? models.get(0) : null;
            if (chosen == null) {
                throw new KilnException(zip.label() + ": holds several models " + new TreeSet<>(models)
                        + "; name the one to load");
            }
        } else if (!models.contains(chosen)) {
            throw new KilnException(zip.label() + ": has no model '" + chosen + "'; it holds " + new TreeSet<>(models));
        }
        this.modelName = chosen;
        this.program = zip.require(root + "models/" + chosen + ".json");
        this.layout = zip.entry(root + "data/weights/" + chosen + "_weights_config.json").isPresent()
                || zip.entry(root + "data/weights/" + chosen + ".pt").isEmpty()
                ? Pt2Layout.ARCHIVE : Pt2Layout.ARCHIVE_PICKLED;
    }

    /** Opens {@code file} with the default limits and the model called {@code model} (or the only one). */
    public static Pt2Archive open(Path file) {
        return open(file, null, ZipLimits.DEFAULT);
    }

    /** Opens {@code file}; {@code modelName} picks one of several models (null: {@code model} or the only one). */
    public static Pt2Archive open(Path file, String modelName, ZipLimits limits) {
        ZipArchive zip = ZipArchive.open(file, limits);
        try {
            return new Pt2Archive(zip, modelName);
        } catch (RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    /** True when the zip's entries look like a torch.export program (any layout). */
    public static boolean recognizes(ZipArchive zip) {
        if (zip.entry(FLAT_PROGRAM).isPresent()) {
            return true;
        }
        for (ZipEntry e : zip.entries()) {
            String n = e.name();
            int slash = n.indexOf('/');
            if (slash > 0 && n.substring(slash + 1).equals("archive_format")) {
                return true;
            }
        }
        return false;
    }

    public Pt2Layout layout() {
        return layout;
    }

    /** The file (as named in messages). */
    public String label() {
        return zip.label();
    }

    public String modelName() {
        return modelName;
    }

    /** "file: entry 'name'" for the program JSON, the prefix of its messages. */
    public String programWhere() {
        return zip.label() + ": entry '" + program.name() + "'";
    }

    /** The serialized ExportedProgram. */
    public String programJson() {
        return zip.text(program);
    }

    /** Parameters and persistent buffers by fully-qualified name (read on first call). */
    public Map<String, ConstantTensor> weights() {
        if (weights == null) {
            weights = switch (layout) {
                case FLAT -> pickled(FLAT_PROGRAM.replace("exported_program.json", "state_dict.pt"), true);
                case ARCHIVE_PICKLED -> pickled(root + "data/weights/" + modelName + ".pt", true);
                case ARCHIVE -> raw(root + "data/weights/", modelName + "_weights_config.json", true);
            };
        }
        return weights;
    }

    /** Tensor constants and non-persistent buffers by fully-qualified name (read on first call). */
    public Map<String, ConstantTensor> constants() {
        if (constants == null) {
            constants = switch (layout) {
                case FLAT -> pickled("serialized_constants.pt", false);
                case ARCHIVE_PICKLED -> pickled(root + "data/constants/" + modelName + ".pt", false);
                case ARCHIVE -> raw(root + "data/constants/", modelName + "_constants_config.json", false);
            };
        }
        return constants;
    }

    @Override
    public void close() {
        zip.close();
    }

    // --- internals ---

    private static String findRoot(ZipArchive zip) {
        String root = null;
        for (ZipEntry e : zip.entries()) {
            String n = e.name();
            int slash = n.indexOf('/');
            if (slash > 0 && n.substring(slash + 1).equals("archive_format")) {
                if (root != null) {
                    throw zip.problem(n, "is a second archive_format; the archive has two root folders");
                }
                root = n.substring(0, slash + 1);
            }
        }
        if (root == null) {
            throw new KilnException(zip.label() + ": is a zip but neither a PT2 archive (no <root>/archive_format) nor a torch 2.6-2.7 export (no "
                    + FLAT_PROGRAM + "); save the program with torch.export.save");
        }
        return root;
    }

    private Map<String, ConstantTensor> pickled(String entry, boolean required) {
        Optional<ZipEntry> e = zip.entry(entry);
        if (e.isEmpty()) {
            if (required) {
                zip.require(entry);
            }
            return Map.of();
        }
        try (ZipArchive inner = zip.nested(e.get())) {
            return Collections.unmodifiableMap(TorchSave.readTensors(inner));
        }
    }

    /** The 2.9+ layout: {@code {"config": {fqn: {path_name, is_param, use_pickle, tensor_meta}}}}. */
    private Map<String, ConstantTensor> raw(String dir, String configName, boolean required) {
        Optional<ZipEntry> ce = zip.entry(dir + configName);
        if (ce.isEmpty()) {
            if (required) {
                zip.require(dir + configName);
            }
            return Map.of();
        }
        String where = zip.label() + ": entry '" + ce.get().name() + "'";
        Json config = Json.parse(zip.text(ce.get()), where).field("config");
        Map<String, ConstantTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Json> m : config.members().entrySet()) {
            String fqn = m.getKey();
            Json meta = m.getValue();
            String path = meta.field("path_name").string();
            if (path.isEmpty() || path.contains("/") || path.contains("..")) {
                throw meta.field("path_name").error("'" + abbreviate(path) + "' is not a file name in " + dir);
            }
            if (meta.optField("use_pickle").map(Json::bool).orElse(false)) {
                throw meta.error("'" + fqn + "' is a pickled tensor subclass; Kiln reads plain tensors only");
            }
            Json tm = meta.field("tensor_meta");
            ZipEntry data = zip.entry(dir + path).orElseThrow(() -> zip.problem(dir + path,
                    "is missing: it holds the data of '" + fqn + "' (" + where + ")"));
            out.put(fqn, tensor(data, tm, fqn));
        }
        return Collections.unmodifiableMap(out);
    }

    private ConstantTensor tensor(ZipEntry data, Json meta, String fqn) {
        Json dt = meta.field("dtype");
        int code = dt.smallInt();
        DType dtype = DType.fromExportCode(code).orElseThrow(() -> dt.error("unknown dtype code " + code
                + " for '" + fqn + "' (export ScalarType numbering); Kiln reads bool, integer, float16/bfloat16/32/64, fp8 and complex tensors"));
        long[] sizes = ints(meta.field("sizes"), fqn);
        long[] strides = ints(meta.field("strides"), fqn);
        long offset = meta.optField("storage_offset").map(o -> staticInt(o, fqn)).orElse(0L);
        ByteBuffer bytes = zip.data(data);
        return StridedTensors.rebuild(bytes, dtype, sizes, strides, offset,
                zip.label() + ": entry '" + data.name() + "' (tensor '" + fqn + "')");
    }

    private static long[] ints(Json list, String fqn) {
        List<Json> l = list.list();
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = staticInt(l.get(i), fqn);
        }
        return out;
    }

    /** A SymInt that must be a plain integer: {@code {"as_int": n}} (weights have static shapes). */
    private static long staticInt(Json symInt, String fqn) {
        Json.Union u = symInt.union();
        if (!u.kind().equals("as_int")) {
            throw symInt.error("'" + fqn + "' has a symbolic size or stride; stored tensors must have static shapes");
        }
        return u.value().integer();
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
