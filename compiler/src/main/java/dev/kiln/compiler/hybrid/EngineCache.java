package dev.kiln.compiler.hybrid;

import dev.kiln.backend.tensorrt.EngineOptions;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.AtomicFile;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Value;
import dev.kiln.ir.text.IrPrinter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A directory of built TensorRT engines, so compiling the same model again skips TensorRT's build.
 * An entry's {@link Key} is the SHA-256 of everything the plan depends on: the segment's IR (without its name) after the
 * passes (constants by content digest), the engine-relevant settings (precision, input ranges,
 * workspace, optimization level), the Kiln version, and the {@link Platform} (TensorRT version, GPU
 * name and compute capability). An entry ({@code <key>.plan}) is a magic line, the plan's SHA-256 and
 * the plan; one that fails the check is deleted (with a warning) and reported as a miss, so the caller
 * rebuilds it. Writes go through a temp file and an atomic rename, so concurrent compiles never see a
 * half-written entry.
 *
 * <pre>{@code EngineCache c = new EngineCache(EngineCache.defaultDirectory());
 * Optional<ByteBuffer> plan = c.get(key);}</pre>
 */
public final class EngineCache {
    private static final Logger LOG = LoggerFactory.getLogger(EngineCache.class);
    private static final byte[] MAGIC = "KILN-ENGINE-CACHE-1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int HASH = 32;

    private final Path dir;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong corrupted = new AtomicLong();

    public EngineCache(Path dir) {
        this.dir = dir.toAbsolutePath();
    }

    /** {@code $XDG_CACHE_HOME/kiln/engines}, else {@code ~/.cache/kiln/engines}. */
    public static Path defaultDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("kiln").resolve("engines");
    }

    public Path directory() {
        return dir;
    }

    /**
     * What an engine depends on, each part as canonical text; {@link #hash()} is the entry name.
     *
     * @param ir       the segment's IR text with constants replaced by their digests
     * @param settings the engine-relevant settings
     * @param kiln     the Kiln version and commit ({@link Platform#kilnBuild()}): a cached engine is reused only by the
     *                 build of Kiln that made it, so an upgrade, even between snapshots of one version, never runs a
     *                 plan its converters would now build differently (uncommitted changes are not seen)
     * @param platform TensorRT, CUDA and GPU
     */
    public record Key(String ir, String settings, String kiln, Platform platform) {
        /** The key of {@code segment} built with {@code options} on {@code platform}. */
        public static Key of(Graph segment, EngineOptions options, Platform platform) {
            return new Key(irText(segment), settingsText(options), Platform.kilnBuild(), platform);
        }

        /** The hex SHA-256 of all parts. */
        public String hash() {
            StringBuilder b = new StringBuilder();
            b.append("kiln=").append(kiln).append('\n');
            b.append("tensorrt=").append(platform.tensorrt()).append('\n');
            b.append("gpu=").append(platform.gpu()).append('\n');
            b.append("compute_capability=").append(platform.computeCapability()).append('\n');
            b.append("settings=").append(settings).append('\n');
            b.append("ir-sha256=").append(sha256(ir.getBytes(StandardCharsets.UTF_8))).append('\n');
            return sha256(b.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The segment's text with every constant elided and listed by name and content digest. */
    static String irText(Graph g) {
        StringBuilder b = new StringBuilder(segmentText(g));
        for (Value c : g.constants()) {
            b.append("constant ").append(c.name()).append(' ').append(c.constant().orElseThrow().digest()).append('\n');
        }
        return b.toString();
    }

    /**
     * The segment's text with its weights elided and its own name left out ({@code graph @segment(...)}): a
     * segment's engine does not depend on its place in the program, so {@code seg3} of one compile reuses the
     * engine of the same {@code seg2} of another (a node sent to libtorch further up renumbers what follows).
     */
    static String segmentText(Graph g) {
        String text = IrPrinter.print(g, IrPrinter.Options.elidingOver(-1));
        String header = "graph @" + IrPrinter.name(g.name()) + "(";
        int at = text.indexOf(header);
        return at < 0 ? text : text.substring(0, at) + "graph @segment(" + text.substring(at + header.length());
    }

    /**
     * Precision, input ranges, workspace and optimization level: what changes the plan TensorRT builds (and, only
     * when on, detailed layer information and sparse weights, so that keys of plans built without them stay as they
     * were).
     */
    static String settingsText(EngineOptions o) {
        List<String> specs = new ArrayList<>();
        for (InputSpec s : o.inputs()) {
            specs.add(s.text());
        }
        return "precision=" + o.precision().name().toLowerCase(Locale.ROOT) + ";inputs=" + String.join(",", specs)
                + ";workspace=" + o.workspaceBytes() + ";opt_level=" + o.optimizationLevel()
                + (o.detailedLayerInfo() ? ";detailed_layer_info=1" : "") + (o.sparseWeights() ? ";sparse_weights=1" : "");
    }

    /** The plan stored under {@code key}, if there is one and it is intact; a damaged entry is deleted. */
    public Optional<ByteBuffer> get(Key key) {
        Path f = file(key);
        if (!Files.isRegularFile(f)) {
            misses.incrementAndGet();
            return Optional.empty();
        }
        ByteBuffer all;
        try {
            all = dev.kiln.ir.InputFiles.readDirect(f, "engine cache entry");
        } catch (KilnException e) {
            LOG.warn("{}; rebuilding the engine", e.getMessage());
            misses.incrementAndGet();
            return Optional.empty();
        }
        String problem = check(all);
        if (problem != null) {
            corrupted.incrementAndGet();
            misses.incrementAndGet();
            LOG.warn("engine cache entry {} is damaged ({}); deleting it and rebuilding the engine", f, problem);
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                LOG.warn("cannot delete the damaged engine cache entry {}: {}", f, e.getMessage());
            }
            return Optional.empty();
        }
        hits.incrementAndGet();
        return Optional.of(all.position(MAGIC.length + HASH).slice());
    }

    private static String check(ByteBuffer all) {
        byte[] head = new byte[MAGIC.length + HASH];
        if (all.remaining() < head.length) {
            return "not a Kiln engine cache entry";
        }
        all.duplicate().get(head);
        if (!java.util.Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return "not a Kiln engine cache entry";
        }
        byte[] want = java.util.Arrays.copyOfRange(head, MAGIC.length, head.length);
        MessageDigest md = digest();
        md.update(all.duplicate().position(head.length));
        if (!MessageDigest.isEqual(want, md.digest())) {
            return "the plan's SHA-256 does not match";
        }
        return null;
    }

    /** Stores {@code plan} under {@code key} (atomically; a failure to write only logs a warning). */
    public void put(Key key, ByteBuffer plan) {
        Path f = file(key);
        MessageDigest md = digest();
        md.update(plan.duplicate());
        byte[] sum = md.digest();
        try {
            AtomicFile.write(f, "the engine cache entry", out -> {
                out.write(MAGIC);
                out.write(sum);
                AtomicFile.put(out, plan);
            });
        } catch (KilnException e) {
            LOG.warn("{}", e.getMessage());
        }
    }

    /** The entry file for {@code key}. */
    public Path file(Key key) {
        return dir.resolve(key.hash() + ".plan");
    }

    public long hits() {
        return hits.get();
    }

    public long misses() {
        return misses.get();
    }

    /** Damaged entries found (and deleted) so far. */
    public long corrupted() {
        return corrupted.get();
    }

    static String sha256(byte[] data) {
        MessageDigest md = digest();
        return HexFormat.of().formatHex(md.digest(data));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new KilnException("this Java has no SHA-256", e);
        }
    }
}
