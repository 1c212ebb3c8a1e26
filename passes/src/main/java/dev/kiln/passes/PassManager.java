package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.Graphs;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.ir.verify.Verifier;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs a {@link Pipeline} on a graph and does the cross-cutting work so passes need not: timing per
 * pass, verifying the graph after every pass, IR dumps ({@code --print-ir-before=p},
 * {@code --print-ir-after=p}, {@code --print-ir-after-all}, {@code --print-ir-after-change}) to a
 * sink, running {@code fixpoint(...)} groups with an iteration cap, and, on failure, a
 * {@link KilnException} naming the failing pass, the node, the passes that ran before, and a
 * reproducer file (the failing pass's pipeline and the IR it was given) that {@code kiln opt} replays.
 *
 * <pre>{@code
 * PassReport r = PassManager.builder().printIrAfterAll(true).build()
 *         .run(graph, "canonicalize,fixpoint(cse,dce)", PassContext.defaults());
 * }</pre>
 */
public final class PassManager {
    private final PassRegistry registry;
    private final boolean verify;
    private final GraphVerifier verifier;
    private final Set<String> printBefore;
    private final Set<String> printAfter;
    private final boolean printAfterAll;
    private final boolean printAfterChange;
    private final Consumer<String> sink;
    private final Function<Graph, String> printer;
    private final Path reproducerDir;

    private PassManager(Builder b) {
        this.registry = b.registry != null ? b.registry : PassRegistry.standard();
        this.verify = b.verify;
        this.verifier = b.verifier;
        this.printBefore = Set.copyOf(b.printBefore);
        this.printAfter = Set.copyOf(b.printAfter);
        this.printAfterAll = b.printAfterAll;
        this.printAfterChange = b.printAfterChange;
        this.sink = b.sink;
        this.printer = b.printer;
        this.reproducerDir = b.reproducerDir;
    }

    public static Builder builder() {
        return new Builder();
    }

    public PassRegistry registry() {
        return registry;
    }

    /** Parses {@code pipeline} with this manager's registry and runs it. */
    public PassReport run(Graph graph, String pipeline, PassContext ctx) {
        return run(graph, Pipeline.parse(pipeline, registry), ctx);
    }

    /** Runs {@code pipeline} on {@code graph} in place and reports what each pass did and took. */
    public PassReport run(Graph graph, Pipeline pipeline, PassContext ctx) {
        Objects.requireNonNull(graph, "graph");
        Run run = new Run(graph, ctx);
        if (verify) {
            try {
                verifier.verify(graph);
            } catch (KilnException e) {
                throw new KilnException("the input graph " + graph.name() + " does not verify, before any pass ran: "
                        + e.getMessage(), e);
            }
        }
        run.steps(pipeline.steps());
        return new PassReport(run.records);
    }

    /** The state of one pipeline run. */
    private final class Run {
        final Graph graph;
        final PassContext ctx;
        final List<PassReport.Record> records = new ArrayList<>();

        Run(Graph graph, PassContext ctx) {
            this.graph = graph;
            this.ctx = ctx;
        }

        boolean steps(List<Pipeline.Step> steps) {
            boolean changed = false;
            for (Pipeline.Step s : steps) {
                if (s instanceof Pipeline.PassStep p) {
                    changed |= pass(p);
                } else if (s instanceof Pipeline.FixpointStep f) {
                    changed |= fixpoint(f);
                }
            }
            return changed;
        }

        boolean fixpoint(Pipeline.FixpointStep f) {
            boolean any = false;
            for (int round = 1; round <= f.maxIterations(); round++) {
                if (!steps(f.steps())) {
                    return any;
                }
                any = true;
            }
            ctx.note(f + " still changed the graph after " + f.maxIterations()
                    + " rounds; stopped at the cap (raise it with {max-iterations=N})");
            return any;
        }

        boolean pass(Pipeline.PassStep step) {
            Pass pass = step.pass();
            String name = pass.name();
            if (printBefore.contains(name)) {
                dump("before " + name, graph);
            }
            Graph before = Graphs.copy(graph);
            String beforeText = printAfterChange ? printer.apply(before) : null;
            long t0 = System.nanoTime();
            boolean changed;
            ctx.setStepOptions(ctx.options().overlay(name, step.options()));
            try {
                changed = pass.run(graph, ctx);
            } catch (RuntimeException e) {
                throw failure(step, before, "failed", e);
            } finally {
                ctx.setStepOptions(null);
            }
            long nanos = System.nanoTime() - t0;
            if (verify) {
                try {
                    verifier.verify(graph);
                } catch (RuntimeException e) {
                    throw failure(step, before, "left a graph that does not verify", e);
                }
            }
            records.add(new PassReport.Record(step.toString(), changed, nanos));
            if (printAfterAll || printAfter.contains(name)) {
                dump("after " + name + (changed ? "" : " (no change)"), graph);
            } else if (printAfterChange && changed) {
                String after = printer.apply(graph);
                if (!after.equals(beforeText)) {
                    dump("after " + name, graph);
                }
            }
            return changed;
        }

        private void dump(String what, Graph g) {
            sink.accept("# ----- IR " + what + " -----\n" + printer.apply(g));
        }

        private KilnException failure(Pipeline.PassStep step, Graph before, String what, RuntimeException e) {
            StringBuilder ran = new StringBuilder();
            for (PassReport.Record r : records) {
                ran.append(ran.length() == 0 ? "" : ", ").append(r.pass());
            }
            String cause = e instanceof KilnException ? e.getMessage()
                    : e.getClass().getSimpleName() + ": " + e.getMessage() + " (a bug in the pass)";
            String repro = writeReproducer(step, before, ran.toString(), cause);
            return new KilnException("pass '" + step.pass().name() + "' " + what + " on graph " + graph.name() + ": "
                    + cause + "; passes that ran before: " + (ran.length() == 0 ? "(none)" : ran)
                    + "; reproducer: " + repro, e);
        }

        private String writeReproducer(Pipeline.PassStep step, Graph before, String ran, String cause) {
            try {
                Files.createDirectories(reproducerDir);
                Path f = Files.createTempFile(reproducerDir, "kiln-repro-" + step.pass().name() + "-", ".kir");
                String text = "# reproducer written by the Kiln pass manager\n"
                        + "# pipeline: " + step + "\n"
                        + "# replay:   kiln opt --passes='" + step + "' " + f + "\n"
                        + "# passes that ran before: " + (ran.isEmpty() ? "(none)" : ran) + "\n"
                        + "# error: " + cause.replace('\n', ' ') + "\n"
                        + IrPrinter.print(before);
                Files.writeString(f, text, StandardCharsets.UTF_8);
                return f.toString();
            } catch (IOException | RuntimeException io) {
                return "(could not be written: " + io.getMessage() + ")";
            }
        }
    }

    /** Builds a {@link PassManager}. */
    public static final class Builder {
        private PassRegistry registry;
        private boolean verify = true;
        private GraphVerifier verifier = Verifier::verify;
        private final Set<String> printBefore = new TreeSet<>();
        private final Set<String> printAfter = new TreeSet<>();
        private boolean printAfterAll;
        private boolean printAfterChange;
        private Consumer<String> sink = System.err::print;
        private Function<Graph, String> printer = g -> IrPrinter.print(g, IrPrinter.Options.elidingOver(1024));
        private Path reproducerDir = Path.of(System.getProperty("java.io.tmpdir"), "kiln-reproducers");

        public Builder registry(PassRegistry r) {
            this.registry = Objects.requireNonNull(r);
            return this;
        }

        /** Verify after every pass (on by default; the compile driver may turn it off for speed). */
        public Builder verify(boolean v) {
            this.verify = v;
            return this;
        }

        public Builder verifier(GraphVerifier v) {
            this.verifier = Objects.requireNonNull(v);
            return this;
        }

        public Builder printIrBefore(String passName) {
            printBefore.add(passName);
            return this;
        }

        public Builder printIrAfter(String passName) {
            printAfter.add(passName);
            return this;
        }

        public Builder printIrAfterAll(boolean b) {
            this.printAfterAll = b;
            return this;
        }

        public Builder printIrAfterChange(boolean b) {
            this.printAfterChange = b;
            return this;
        }

        /** Where IR dumps go (standard error by default). */
        public Builder sink(Consumer<String> s) {
            this.sink = Objects.requireNonNull(s);
            return this;
        }

        public Builder printer(Function<Graph, String> p) {
            this.printer = Objects.requireNonNull(p);
            return this;
        }

        /** The folder failure reproducers are written to (a temp folder by default). */
        public Builder reproducerDir(Path dir) {
            this.reproducerDir = Objects.requireNonNull(dir);
            return this;
        }

        public PassManager build() {
            return new PassManager(this);
        }
    }
}
