package dev.kiln.compiler.hybrid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.ir.AtomicFile;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The {@code .kiln} file: one zip holding a compiled {@link Program} and what it needs to run.
 *
 * <pre>
 * manifest.json            format, versions (Kiln, TensorRT, CUDA), GPU and compute capability, precision,
 *                          input specs, the program (slots, stages) and the SHA-256 of every other entry
 * program.kir              the optimized graph (large constants elided; for people and tools)
 * engines/segN.plan        a TensorRT stage's serialized engine
 * torch/segN.kir           a libtorch stage's graph (constants elided) ...
 * torch/segN/wK.bin        ... and its weights, raw little-endian bytes
 * constants/sN.bin         model outputs that are weights
 * </pre>
 *
 * {@link #read} refuses, with a {@link KilnException} naming the file: a file that is not a zip or has
 * no Kiln manifest, a truncated or damaged zip, a format newer than this Kiln reads, an entry whose
 * checksum does not match (named), and, for a program with engines, a TensorRT version or GPU compute
 * capability other than the one the engines were built for (saying to recompile). All of that is
 * checked before any engine is deserialized. {@link #write} goes through a temp file and an atomic
 * rename: a failed write never touches an existing file.
 *
 * <pre>{@code KilnArchive.write(Path.of("m.kiln"), contents);
 * KilnArchive.Contents c = KilnArchive.read(Path.of("m.kiln"), Platform::current);}</pre>
 */
public final class KilnArchive {
    public static final String FORMAT = "kiln-archive";
    public static final int FORMAT_VERSION = 1;
    public static final String MANIFEST = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** How much of an entry is on the Java heap at a time, writing or reading. */
    private static final int CHUNK = 1 << 20;

    private KilnArchive() {
    }

    /**
     * What a {@code .kiln} file holds besides the program: the platform its engines were built on (empty
     * when it has none), the precision, the user's input specs as text, the optimized graph's text and
     * the Kiln version that wrote it.
     */
    public record Contents(Program program, Optional<Platform> platform, String precision, List<String> inputSpecs,
                           String programIr, String kilnVersion) {
        public Contents {
            inputSpecs = List.copyOf(inputSpecs);
            if (program.needsGpu() && platform.isEmpty()) {
                throw new KilnException("a program with TensorRT engines needs the platform they were built on");
            }
        }
    }

    /** Writes {@code c} to {@code file} atomically. */
    public static void write(Path file, Contents c) {
        // every entry is a view of the buffer that already holds it (plans, weights): nothing is copied in full
        Map<String, ByteBuffer> entries = new LinkedHashMap<>();
        Program p = c.program();
        entries.put("program.kir", utf8(c.programIr()));
        ObjectNode m = JSON.createObjectNode();
        m.put("format", FORMAT);
        m.put("format_version", FORMAT_VERSION);
        m.put("kiln_version", c.kilnVersion());
        m.put("kiln_commit", Platform.kilnCommit());
        if (c.platform().isPresent()) {
            Platform pl = c.platform().get();
            m.put("tensorrt_version", pl.tensorrt());
            m.put("cuda_version", pl.cuda());
            m.put("gpu", pl.gpu());
            m.put("compute_capability", pl.computeCapability());
        } else {
            m.putNull("tensorrt_version");
            m.putNull("cuda_version");
            m.putNull("gpu");
            m.putNull("compute_capability");
        }
        m.put("precision", c.precision());
        ArrayNode specs = m.putArray("input_specs");
        c.inputSpecs().forEach(specs::add);
        ArrayNode ins = m.putArray("inputs");
        for (int i = 0; i < p.inputs().size(); i++) {
            Program.Slot s = p.slots().get(p.inputs().get(i));
            ins.addObject().put("name", "x" + i).put("value", s.value()).put("type", s.type());
        }
        ArrayNode outs = m.putArray("outputs");
        for (int i = 0; i < p.outputs().size(); i++) {
            Program.Slot s = p.slots().get(p.outputs().get(i));
            outs.addObject().put("name", "y" + i).put("value", s.value()).put("type", s.type());
        }
        ObjectNode prog = m.putObject("program");
        prog.put("name", p.name());
        ArrayNode slots = prog.putArray("slots");
        p.slots().forEach(s -> slots.addObject().put("value", s.value()).put("type", s.type()));
        ints(prog.putArray("inputs"), p.inputs());
        ints(prog.putArray("outputs"), p.outputs());
        ObjectNode syms = prog.putObject("symbols");
        p.symbols().forEach((name, r) -> syms.putObject(name).put("min", r.min()).put("max", r.max()));
        ArrayNode consts = prog.putArray("constants");
        p.constants().forEach((slot, t) -> {
            String entry = "constants/s" + slot + ".bin";
            entries.put(entry, t.data());
            tensor(consts.addObject().put("slot", slot), t).put("entry", entry);
        });
        ArrayNode stages = prog.putArray("stages");
        for (Program.StageSpec st : p.stages()) {
            ObjectNode o = stages.addObject().put("name", st.name());
            ints(o.putArray("inputs"), st.inputs());
            ints(o.putArray("outputs"), st.outputs());
            o.put("nodes", st.nodeCount());
            if (st instanceof Program.EngineStage es) {
                String entry = "engines/" + st.name() + ".plan";
                entries.put(entry, es.plan().duplicate());
                o.put("kind", "tensorrt").put("entry", entry).put("cache_key", es.cacheKey());
            } else if (st instanceof Program.TorchStage ts) {
                requireNoNestedConstants(ts.graph(), file, st.name());
                String entry = "torch/" + st.name() + ".kir";
                entries.put(entry, utf8(IrPrinter.print(ts.graph(), IrPrinter.Options.elidingOver(-1))));
                o.put("kind", "torch").put("entry", entry);
                ArrayNode ws = o.putArray("weights");
                int k = 0;
                for (Value cv : ts.graph().constants()) {
                    String we = "torch/" + st.name() + "/w" + k++ + ".bin";
                    ConstantTensor t = cv.constant().orElseThrow();
                    entries.put(we, t.data());
                    tensor(ws.addObject().put("name", cv.name()), t).put("entry", we);
                }
            }
        }
        ObjectNode sums = m.putObject("entries");
        entries.forEach((name, b) -> sums.putObject(name).put("sha256", sha256(b)).put("bytes", b.remaining()));
        byte[] manifest;
        try {
            manifest = JSON.writeValueAsBytes(m);
        } catch (IOException e) {
            throw new KilnException(file + ": cannot write the manifest: " + e.getMessage(), e);
        }
        writeZip(file, manifest, entries);
    }

    /**
     * A libtorch stage's weights are stored per top-level constant; the nested graphs of run-time branches read theirs
     * as operands (the frontends put every constant in the top-level graph), so a constant inside one would be lost.
     */
    private static void requireNoNestedConstants(Graph g, Path file, String stage) {
        for (dev.kiln.ir.Node n : g.nodes()) {
            for (Graph sub : n.subgraphs()) {
                if (!sub.constants().isEmpty()) {
                    throw new KilnException(file + ": torch stage " + stage + ": " + n.describe() + " has constant %"
                            + sub.constants().get(0).name() + " inside its nested graph @" + sub.name() + ", which the archive"
                            + " cannot store; pass the constant to the node as an operand instead");
                }
                requireNoNestedConstants(sub, file, stage);
            }
        }
    }

    private static void writeZip(Path file, byte[] manifest, Map<String, ByteBuffer> entries) {
        AtomicFile.write(file, "the Kiln archive", out -> {
            ZipOutputStream z = new ZipOutputStream(out);
            put(z, MANIFEST, ByteBuffer.wrap(manifest));
            for (Map.Entry<String, ByteBuffer> e : entries.entrySet()) {
                put(z, e.getKey(), e.getValue());
            }
            z.finish();
        });
    }

    /**
     * Entries are stored uncompressed (plans and weights barely compress), written from {@code b} through a channel
     * so that no entry is ever copied whole onto the Java heap.
     */
    private static void put(ZipOutputStream z, String name, ByteBuffer b) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(b.remaining());
        e.setCompressedSize(b.remaining());
        CRC32 crc = new CRC32();
        crc.update(b.duplicate());
        e.setCrc(crc.getValue());
        e.setTime(0);
        z.putNextEntry(e);
        AtomicFile.put(z, b);
        z.closeEntry();
    }

    /**
     * Reads and checks {@code file}. {@code current} is asked for this machine's platform only when the
     * program has engines (so a torch-only archive loads without a GPU).
     */
    public static Contents read(Path file, Supplier<Platform> current) {
        dev.kiln.ir.InputFiles.require(file, "Kiln archive");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            if (head.length < 4 || head[0] != 'P' || head[1] != 'K' || head[2] != 3 || head[3] != 4) {
                throw new KilnException(file + ": is not a Kiln archive (not a zip file); write one with `kiln compile MODEL -o "
                        + file.getFileName() + "`");
            }
        } catch (IOException e) {
            throw new KilnException(file + ": cannot read: " + e.getMessage(), e);
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (IOException e) {
            throw new KilnException(file + ": the Kiln archive is truncated or damaged (" + e.getMessage() + "); write it again"
                    + " with `kiln compile`", e);
        }
        try (zip) {
            JsonNode m = manifest(file, zip);
            Map<String, ByteBuffer> data = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = m.path("entries").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                data.put(e.getKey(), entry(file, zip, e.getKey(), e.getValue().path("sha256").asText()));
            }
            Optional<Platform> platform = m.path("tensorrt_version").isTextual()
                    ? Optional.of(new Platform(m.path("tensorrt_version").asText(), m.path("cuda_version").asText(),
                    m.path("gpu").asText(), m.path("compute_capability").asText()))
                    : Optional.empty();
            Program program = program(file, m.path("program"), data);
            if (program.needsGpu()) {
                if (platform.isEmpty()) {
                    throw new KilnException(file + ": the manifest does not say which TensorRT and GPU built its engines");
                }
                requireCompatible(file, platform.get(), current.get());
            }
            List<String> specs = new ArrayList<>();
            m.path("input_specs").forEach(s -> specs.add(s.asText()));
            String ir = data.containsKey("program.kir") ? text(data.get("program.kir")) : "";
            return new Contents(program, platform, m.path("precision").asText(), specs, ir, m.path("kiln_version").asText());
        } catch (IOException e) {
            throw new KilnException(file + ": the Kiln archive is truncated or damaged (" + e.getMessage() + ")", e);
        }
    }

    /** Refuses engines built for another TensorRT or compute capability. */
    static void requireCompatible(Path file, Platform built, Platform here) {
        List<String> why = new ArrayList<>();
        if (!built.tensorrt().equals(here.tensorrt())) {
            why.add("TensorRT " + built.tensorrt() + " built its engines but this machine has TensorRT " + here.tensorrt());
        }
        if (!built.computeCapability().equals(here.computeCapability())) {
            why.add("they were built for compute capability " + built.computeCapability() + " (" + built.gpu()
                    + ") but this GPU is " + here.computeCapability() + " (" + here.gpu() + ")");
        }
        if (!why.isEmpty()) {
            throw new KilnException(file + ": cannot load its TensorRT engines: " + String.join("; ", why)
                    + ". Engines only run where they were built: recompile with `kiln compile MODEL -o " + file.getFileName()
                    + "` on this machine");
        }
    }

    private static JsonNode manifest(Path file, ZipFile zip) throws IOException {
        ZipEntry e = zip.getEntry(MANIFEST);
        if (e == null) {
            throw new KilnException(file + ": is not a Kiln archive (a zip without " + MANIFEST + "); a model file goes to"
                    + " `kiln compile` first");
        }
        JsonNode m;
        try (InputStream in = zip.getInputStream(e)) {
            m = JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JacksonException ex) {
            throw new KilnException(file + ": " + MANIFEST + " is not valid JSON (" + ex.getOriginalMessage() + ")", ex);
        }
        if (m == null || !FORMAT.equals(m.path("format").asText())) {
            throw new KilnException(file + ": is not a Kiln archive (" + MANIFEST + " does not say format \"" + FORMAT + "\")");
        }
        int v = m.path("format_version").asInt(-1);
        if (v > FORMAT_VERSION) {
            throw new KilnException(file + ": was written by a newer Kiln (" + m.path("kiln_version").asText() + ", archive format "
                    + v + "); this Kiln " + Platform.kilnVersion() + " reads format " + FORMAT_VERSION
                    + " at most: upgrade Kiln or recompile the model with this one");
        }
        if (v < 1) {
            throw new KilnException(file + ": " + MANIFEST + " has no valid format_version");
        }
        return m;
    }

    /**
     * One entry, read a chunk at a time into native memory (where weights and plans live anyway) and hashed on the
     * way: the Java heap never holds a whole entry, so loading a model takes its size in memory once, not twice.
     */
    private static ByteBuffer entry(Path file, ZipFile zip, String name, String sha) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new KilnException(file + ": entry " + name + " named in the manifest is missing; the archive is damaged");
        }
        long size = e.getSize();
        if (size > Integer.MAX_VALUE) {
            throw new KilnException(file + ": entry " + name + " holds " + size + " bytes, over the 2 GiB one Kiln buffer can"
                    + " hold; this archive was not written by Kiln");
        }
        MessageDigest digest = sha256();
        ByteBuffer b;
        try (InputStream in = zip.getInputStream(e)) {
            b = size >= 0 ? ByteBuffer.allocateDirect((int) size) : null;
            byte[] chunk = new byte[(int) Math.min(CHUNK, Math.max(1, size >= 0 ? size : CHUNK))];
            java.io.ByteArrayOutputStream unsized = b == null ? new java.io.ByteArrayOutputStream() : null;
            for (int n; (n = in.read(chunk)) > 0; ) {
                digest.update(chunk, 0, n);
                if (b == null) {
                    unsized.write(chunk, 0, n);
                } else if (n > b.remaining()) {
                    throw new KilnException(file + ": entry " + name + " holds more than the " + size
                            + " bytes its header says; the archive is damaged");
                } else {
                    b.put(chunk, 0, n);
                }
            }
            if (b == null) { // a zip written by another tool may not say the size up front
                byte[] all = unsized.toByteArray();
                b = ByteBuffer.allocateDirect(all.length).put(all);
            } else if (b.hasRemaining()) {
                throw new KilnException(file + ": entry " + name + " ends after " + b.position() + " of its " + size
                        + " bytes; the archive is truncated");
            }
            b.flip();
        } catch (java.util.zip.ZipException ex) {
            throw new KilnException(file + ": entry " + name + " is damaged (" + ex.getMessage() + ")", ex);
        }
        if (!HexFormat.of().formatHex(digest.digest()).equalsIgnoreCase(sha)) {
            throw new KilnException(file + ": entry " + name + " fails its SHA-256 check; the archive is corrupted: write it again"
                    + " with `kiln compile`");
        }
        return b.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static Program program(Path file, JsonNode p, Map<String, ByteBuffer> data) {
        List<Program.Slot> slots = new ArrayList<>();
        p.path("slots").forEach(s -> slots.add(new Program.Slot(s.path("value").asText(), s.path("type").asText())));
        Map<Integer, ConstantTensor> constants = new LinkedHashMap<>();
        for (JsonNode c : p.path("constants")) {
            constants.put(c.path("slot").asInt(), tensor(file, c, data));
        }
        List<Program.StageSpec> stages = new ArrayList<>();
        for (JsonNode s : p.path("stages")) {
            String name = s.path("name").asText();
            List<Integer> in = ints(s.path("inputs"));
            List<Integer> out = ints(s.path("outputs"));
            String kind = s.path("kind").asText();
            ByteBuffer body = need(file, data, s.path("entry").asText());
            if (kind.equals("tensorrt")) {
                ByteBuffer plan = body.duplicate();
                stages.add(new Program.EngineStage(name, in, out, plan, s.path("nodes").asInt(), s.path("cache_key").asText()));
            } else if (kind.equals("torch")) {
                Graph g;
                try {
                    g = IrParser.parse(text(body), file + "!" + s.path("entry").asText(),
                            SchemaRegistry.standard(), IrParser.Options.acceptingElided());
                } catch (KilnException e) {
                    throw new KilnException(file + ": torch stage " + name + " does not parse: " + e.getMessage(), e);
                }
                Map<String, ConstantTensor> weights = new LinkedHashMap<>();
                for (JsonNode w : s.path("weights")) {
                    weights.put(w.path("name").asText(), tensor(file, w, data));
                }
                setWeights(g, weights, file + ": torch stage " + name);
                stages.add(new Program.TorchStage(name, in, out, g));
            } else {
                throw new KilnException(file + ": stage " + name + " is of kind '" + kind + "', which this Kiln cannot run");
            }
        }
        try {
            // "symbols" was added to format 1 on 2026-12-04 (additively): an archive without it declares no ranges
            Map<String, Program.SymbolRange> symbols = new LinkedHashMap<>();
            p.path("symbols").fields().forEachRemaining(e -> symbols.put(e.getKey(),
                    new Program.SymbolRange(e.getValue().path("min").asLong(), e.getValue().path("max").asLong())));
            return new Program(p.path("name").asText(), slots, ints(p.path("inputs")), ints(p.path("outputs")), constants, stages,
                    symbols);
        } catch (KilnException e) {
            throw new KilnException(file + ": the program in the manifest is inconsistent: " + e.getMessage(), e);
        }
    }

    private static ByteBuffer need(Path file, Map<String, ByteBuffer> data, String entry) {
        ByteBuffer b = data.get(entry);
        if (b == null) {
            throw new KilnException(file + ": the manifest names entry " + entry + " but lists no checksum for it");
        }
        return b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ConstantTensor tensor(Path file, JsonNode n, Map<String, ByteBuffer> data) {
        try {
            return tensor(n, need(file, data, n.path("entry").asText()));
        } catch (KilnException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new KilnException(file + ": entry " + n.path("entry").asText() + " does not hold the tensor the manifest"
                    + " describes: " + e.getMessage(), e);
        }
    }

    /** The tensor {@code n} describes ({@link #tensor(ObjectNode, ConstantTensor)}) holding {@code bytes}. */
    static ConstantTensor tensor(JsonNode n, byte[] bytes) {
        ByteBuffer buf = ByteBuffer.allocateDirect(bytes.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(bytes).flip();
        return tensor(n, buf);
    }

    /** The tensor {@code n} describes holding {@code data} (direct: wrapped, not copied). */
    static ConstantTensor tensor(JsonNode n, ByteBuffer data) {
        long[] sizes = new long[n.path("sizes").size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = n.path("sizes").get(i).asLong();
        }
        return new ConstantTensor(DType.parse(n.path("dtype").asText()), sizes, data);
    }

    /**
     * Gives every constant of {@code g} (parsed with its data elided) its tensor from {@code weights}, by name,
     * keeping the type the text declared; a constant without one is an error naming {@code owner}.
     */
    static void setWeights(Graph g, Map<String, ConstantTensor> weights, String owner) {
        for (Value v : g.constants()) {
            ConstantTensor t = weights.get(v.name());
            if (t == null) {
                throw new KilnException(owner + " has no weights for %" + v.name());
            }
            Type type = v.type();
            v.setConstant(t);
            if (!v.type().equals(type)) {
                v.setType(type);
            }
        }
    }

    /** Describes {@code t}'s dtype and sizes in {@code o}. */
    static ObjectNode tensor(ObjectNode o, ConstantTensor t) {
        o.put("dtype", t.dtype().text());
        ArrayNode s = o.putArray("sizes");
        for (long d : t.sizes()) {
            s.add(d);
        }
        return o;
    }

    static byte[] bytes(ConstantTensor t) {
        byte[] b = new byte[(int) t.byteSize()];
        t.data().duplicate().get(b);
        return b;
    }

    private static void ints(ArrayNode a, List<Integer> xs) {
        xs.forEach(a::add);
    }

    private static List<Integer> ints(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asInt()));
        return out;
    }

    static String sha256(byte[] b) {
        return sha256(ByteBuffer.wrap(b));
    }

    static String sha256(ByteBuffer b) {
        MessageDigest d = sha256();
        d.update(b.duplicate());
        return HexFormat.of().formatHex(d.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new KilnException("this Java has no SHA-256", e);
        }
    }

    private static ByteBuffer utf8(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(ByteBuffer b) {
        return StandardCharsets.UTF_8.decode(b.duplicate()).toString();
    }
}
