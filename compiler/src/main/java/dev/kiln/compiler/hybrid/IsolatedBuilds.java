package dev.kiln.compiler.hybrid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.backend.tensorrt.BuildProgress;
import dev.kiln.backend.tensorrt.BuiltEngine;
import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.EngineOptions;
import dev.kiln.backend.tensorrt.InputSpec;
import dev.kiln.backend.tensorrt.Profiles;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.Precision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Builds an engine in a child JVM, so that a crash inside TensorRT's builder ends the child and not the
 * caller: the compile fails with a {@link KilnException} naming the graph, its nodes and the crash. TensorRT
 * has taken a JVM down this way (SIGSEGV in {@code libnvinfer.so} after a Myelin "NVRTC Compilation
 * failure", H200, 2026-12-04); a service that compiles its models at start-up should not die with it.
 *
 * <p>The parent writes the graph to a folder (its IR text with the constants elided, each constant's bytes
 * in a file, the engine options in {@code build.json}), starts {@code java -cp <Kiln's class path>} on
 * {@link #main} with the same {@code org.bytedeco}, {@code kiln} and {@code org.slf4j} system properties,
 * and reads back {@code plan.bin} and {@code result.json}. A build TensorRT refuses comes back as such
 * (with the nodes its errors name, so fallback still works); a {@link KilnException} in the child is one in
 * the parent. Costs a JVM start and TensorRT's builder creation per engine (seconds); the build's progress
 * callback is not called.
 *
 * <pre>{@code CompileSettings s = CompileSettings.defaults().withIsolatedBuilds(true);   // or kiln compile --isolated-build}</pre>
 */
public final class IsolatedBuilds {
    static {
        dev.kiln.ir.JavaCppDefaults.apply(); // before anything loads JavaCPP (the child JVM starts here)
    }

    private static final Logger LOG = LoggerFactory.getLogger(IsolatedBuilds.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** System properties the child inherits (native library loading, Kiln's knobs, logging). */
    private static final List<String> INHERITED = List.of("org.bytedeco.", "kiln.", "org.slf4j.", "java.library.path");

    private IsolatedBuilds() {
    }

    /** {@link EngineBuilder#attempt} in a child JVM; the child uses the standard converter registry. */
    public static EngineBuilder.Attempt attempt(Graph g, EngineOptions o, ConverterRegistry registry) {
        return attempt(g, o, IsolatedBuilds.class.getName());
    }

    static EngineBuilder.Attempt attempt(Graph g, EngineOptions o, String mainClass) {
        Path dir;
        try {
            dir = Files.createTempDirectory("kiln-build-");
        } catch (IOException e) {
            throw new KilnException("cannot create a folder for an isolated engine build: " + e.getMessage(), e);
        }
        boolean keep = false;
        try {
            write(dir, g, o);
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            System.getProperties().stringPropertyNames().stream().sorted()
                    .filter(k -> INHERITED.stream().anyMatch(k::startsWith))
                    .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
            cmd.add("-XX:ErrorFile=" + dir.resolve("hs_err.log"));
            cmd.add("-cp");
            cmd.add(childClassPath());
            cmd.add(mainClass);
            cmd.add(dir.toString());
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.log").toFile())
                    .redirectError(dir.resolve("err.log").toFile()).start();
            int exit;
            try {
                exit = p.waitFor();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new KilnException("graph " + g.name() + ": interrupted while its engine was being built in a child process");
            }
            Path result = dir.resolve("result.json");
            if (exit != 0 || !Files.isRegularFile(result)) {
                keep = true;
                throw new KilnException(crashMessage(g, dir, exit));
            }
            JsonNode r = JSON.readTree(result.toFile());
            if (r.has("error")) {
                throw new KilnException(r.path("error").asText());
            }
            if (!r.path("built").asBoolean()) {
                List<String> nodes = new ArrayList<>();
                r.path("failed_nodes").forEach(n -> nodes.add(n.asText()));
                return new EngineBuilder.Attempt(Optional.empty(), r.path("failure").asText(), nodes);
            }
            LOG.info("built the engine of {} in a child process in {} s", g.name(), String.format("%.2f", (System.nanoTime() - t0) / 1e9));
            ByteBuffer direct = dev.kiln.ir.InputFiles.readDirect(dir.resolve("plan.bin"), "engine the child process built");
            return new EngineBuilder.Attempt(Optional.of(new BuiltEngine(direct, Profiles.compute(g, o.inputs()), strings(r.path("inputs")),
                    strings(r.path("outputs")), r.path("seconds").asDouble(), strings(r.path("warnings")))), "", List.of());
        } catch (IOException e) {
            throw new KilnException("graph " + g.name() + ": the isolated engine build's files in " + dir + " could not be used: "
                    + e.getMessage(), e);
        } finally {
            if (!keep) {
                deleteQuietly(dir);
            }
        }
    }

    /**
     * The class path the child needs: {@code kiln.build.classpath} if set; else the folders and jars of the
     * class loaders that loaded Kiln (a launcher such as JUnit's console loads the application through its own
     * loader, so {@code java.class.path} alone names only the launcher), then {@code java.class.path}.
     */
    static String childClassPath() {
        String forced = System.getProperty("kiln.build.classpath");
        if (forced != null && !forced.isBlank()) {
            return forced;
        }
        java.util.Set<String> entries = new java.util.LinkedHashSet<>();
        for (ClassLoader cl = IsolatedBuilds.class.getClassLoader(); cl != null; cl = cl.getParent()) {
            if (cl instanceof java.net.URLClassLoader u) {
                for (java.net.URL url : u.getURLs()) {
                    if ("file".equals(url.getProtocol())) {
                        try {
                            entries.add(Path.of(url.toURI()).toString());
                        } catch (java.net.URISyntaxException | IllegalArgumentException ignored) {
                            // not a local file: the child cannot use it either
                        }
                    }
                }
            }
        }
        for (String e : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
            if (!e.isEmpty()) {
                entries.add(e);
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    /** Why the child ended without a result: its exit status, the crash report's frame and its last log lines. */
    static String crashMessage(Graph g, Path dir, int exit) {
        StringBuilder b = new StringBuilder("graph " + g.name() + ": the child process building its engine ended without a result");
        b.append(exit > 128 ? " (signal " + (exit - 128) + ")" : " (exit status " + exit + ")");
        Path hsErr = dir.resolve("hs_err.log");
        if (Files.isRegularFile(hsErr)) {
            b.append("; it crashed in native code");
            try {
                List<String> lines = Files.readAllLines(hsErr, StandardCharsets.ISO_8859_1);
                for (int i = 0; i < lines.size() && i < 40; i++) {
                    String l = lines.get(i);
                    if (l.startsWith("#  SIG") || i > 0 && lines.get(i - 1).startsWith("# Problematic frame")) {
                        b.append(" [").append(l.substring(1).trim()).append(']');
                    }
                }
            } catch (IOException | java.io.UncheckedIOException ignored) {
                // the report stays in the folder named below
            }
        }
        List<String> tail = tail(dir.resolve("err.log"), 8);
        if (!tail.isEmpty()) {
            b.append("\n  its last lines:\n    ").append(String.join("\n    ", tail));
        }
        List<String> ops = g.nodes().stream().map(Node::op).distinct().sorted().toList();
        b.append("\n  the graph's ").append(g.nodes().size()).append(" nodes use ").append(ops.size() > 12
                ? String.join(", ", ops.subList(0, 12)) + ", ..." : String.join(", ", ops));
        b.append("\n  this is a fault in TensorRT or its libraries, not in the model: run some of these nodes in libtorch"
                + " (--torch-ops/--torch-nodes) or another precision to avoid it, and report it with the files kept in ").append(dir);
        return b.toString();
    }

    private static List<String> tail(Path file, int n) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - n), all.size());
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of();
        }
    }

    /** Writes what the child needs to build {@code g} with {@code o} into {@code dir}. */
    static void write(Path dir, Graph g, EngineOptions o) throws IOException {
        Files.writeString(dir.resolve("graph.kir"), IrPrinter.print(g, IrPrinter.Options.elidingOver(-1)));
        ObjectNode m = JSON.createObjectNode();
        m.put("graph", g.name());
        m.put("precision", o.precision().name());
        ArrayNode ins = m.putArray("inputs");
        o.inputs().forEach(s -> ins.add(s.text()));
        m.put("workspace_bytes", o.workspaceBytes());
        m.put("optimization_level", o.optimizationLevel());
        m.put("detailed_layer_info", o.detailedLayerInfo());
        m.put("sparse_weights", o.sparseWeights());
        o.timingCache().ifPresent(c -> m.put("timing_cache", c.toAbsolutePath().toString()));
        ArrayNode cs = m.putArray("constants");
        int k = 0;
        for (Value v : g.constants()) {
            ConstantTensor t = v.constant().orElseThrow();
            String file = "w" + k++ + ".bin";
            Files.write(dir.resolve(file), KilnArchive.bytes(t));
            KilnArchive.tensor(cs.addObject().put("name", v.name()).put("file", file), t);
        }
        JSON.writeValue(dir.resolve("build.json").toFile(), m);
    }

    /** The child: builds the graph in {@code args[0]} and writes {@code result.json} (and {@code plan.bin}). */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        ObjectNode r = JSON.createObjectNode();
        try {
            Graph g = readGraph(dir);
            EngineBuilder.Attempt a = EngineBuilder.attempt(g, readOptions(dir), ConverterRegistry.standard());
            r.put("built", a.engine().isPresent());
            if (a.engine().isPresent()) {
                BuiltEngine e = a.engine().get();
                ByteBuffer plan = e.plan();
                byte[] b = new byte[plan.remaining()];
                plan.get(b);
                Files.write(dir.resolve("plan.bin"), b);
                e.inputNames().forEach(r.putArray("inputs")::add);
                e.outputNames().forEach(r.putArray("outputs")::add);
                e.warnings().forEach(r.putArray("warnings")::add);
                r.put("seconds", e.buildSeconds());
            } else {
                r.put("failure", a.failure());
                a.failedNodes().forEach(r.putArray("failed_nodes")::add);
            }
        } catch (KilnException e) {
            r.put("error", e.getMessage());
        } catch (RuntimeException | IOException e) {
            e.printStackTrace();
            r.put("error", "isolated engine build failed: " + e);
        }
        JSON.writeValue(dir.resolve("result.json").toFile(), r);
        // TensorRT's and CUDA's native teardown is the child's own business: the result is written
        System.exit(0);
    }

    /** The graph {@link #write} put in {@code dir}, its constants filled in. */
    static Graph readGraph(Path dir) throws IOException {
        JsonNode m = JSON.readTree(dir.resolve("build.json").toFile());
        Graph g = IrParser.parse(Files.readString(dir.resolve("graph.kir")), dir.resolve("graph.kir").toString(),
                SchemaRegistry.standard(), IrParser.Options.acceptingElided());
        Map<String, ConstantTensor> weights = new LinkedHashMap<>();
        for (JsonNode c : m.path("constants")) {
            weights.put(c.path("name").asText(), KilnArchive.tensor(c,
                    dev.kiln.ir.InputFiles.readDirect(dir.resolve(c.path("file").asText()), "weight file")));
        }
        KilnArchive.setWeights(g, weights, "isolated build " + dir);
        return g;
    }

    /** The engine options {@link #write} put in {@code dir} (no progress callback). */
    static EngineOptions readOptions(Path dir) throws IOException {
        JsonNode m = JSON.readTree(dir.resolve("build.json").toFile());
        List<InputSpec> specs = new ArrayList<>();
        m.path("inputs").forEach(s -> specs.add(InputSpec.parse(s.asText())));
        return new EngineOptions(Precision.valueOf(m.path("precision").asText()), specs, m.path("workspace_bytes").asLong(),
                m.path("optimization_level").asInt(),
                m.has("timing_cache") ? Optional.of(Path.of(m.path("timing_cache").asText())) : Optional.empty(), BuildProgress.NONE,
                m.path("detailed_layer_info").asBoolean(false), m.path("sparse_weights").asBoolean(false));
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.debug("could not delete {}: {}", dir, e.getMessage());
        }
    }
}
