package dev.kiln.cli;

import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassContext;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.PassOptions;
import dev.kiln.passes.PassRegistry;
import dev.kiln.passes.PassReport;
import dev.kiln.passes.Precision;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code kiln opt --passes=a,b,c IN.kir [-o OUT.kir]}: runs a pass pipeline on a textual IR file and
 * prints the result, the way people debug passes. A reproducer written by a failing compile carries
 * its pipeline in a {@code # pipeline:} line, so {@code kiln opt repro.kir} replays it. Dumps
 * ({@code --print-ir-*}), timing and notes go to standard error.
 *
 * <pre>{@code ./kiln opt --passes='canonicalize,fold-constants{max-bytes=1048576},dce' model.kir -o out.kir}</pre>
 */
@Command(name = "opt", mixinStandardHelpOptions = true,
        description = "Runs a pass pipeline on a textual IR (.kir) file.")
public final class OptCommand implements Callable<Integer> {
    static final String PIPELINE_HEADER = "# pipeline:";

    @Parameters(index = "0", arity = "0..1", paramLabel = "IN.kir", description = "the IR text to transform")
    Path input;

    @Option(names = "--passes", paramLabel = "PIPELINE",
            description = "the pipeline, e.g. 'canonicalize,fixpoint(cse,dce),fold-constants{max-bytes=1048576}'"
                    + " (default: the file's '# pipeline:' line)")
    String passes;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.kir", description = "write the result here (default: stdout)")
    Path output;

    @Option(names = "--list", description = "list the available passes and their options, then exit")
    boolean list;

    @Option(names = "--print-ir-before", paramLabel = "PASS", split = ",", description = "dump the IR before PASS")
    List<String> printBefore = new ArrayList<>();

    @Option(names = "--print-ir-after", paramLabel = "PASS", split = ",", description = "dump the IR after PASS")
    List<String> printAfter = new ArrayList<>();

    @Option(names = "--print-ir-after-all", description = "dump the IR after every pass")
    boolean printAfterAll;

    @Option(names = "--print-ir-after-change", description = "dump the IR after every pass that changed it")
    boolean printAfterChange;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "fp32, tf32, fp16 or bf16, for the precision pass (default: ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--keep-fp32", paramLabel = "OP_OR_NODE", split = ",",
            description = "ops (aten::softmax) or node names the precision pass keeps in FP32")
    List<String> keepFp32 = new ArrayList<>();

    @Option(names = "--timing", description = "print the time each pass took")
    boolean timing;

    @Option(names = "--no-verify", description = "do not verify the graph after every pass")
    boolean noVerify;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (list) {
            out.print(PassRegistry.standard().describe());
            out.flush();
            return 0;
        }
        if (input == null) {
            throw new KilnException("kiln opt needs an input .kir file (or --list)");
        }
        String text = read(input);
        String pipeline = passes != null ? passes : headerPipeline(text).orElseThrow(() -> new KilnException(
                input + ": no --passes given and the file has no '" + PIPELINE_HEADER + " ...' line; "
                        + "pass e.g. --passes=canonicalize,dce (kiln opt --list shows the passes)"));
        Graph g = IrParser.parse(text, input.toString(), SchemaRegistry.standard());

        PassContext.Builder ctx = PassContext.builder().options(new PassOptions()).precision(Precision.parse(precision));
        keepFp32.forEach(ctx::keepFp32);
        PassContext context = ctx.build();
        PassManager.Builder pm = PassManager.builder().verify(!noVerify).printIrAfterAll(printAfterAll)
                .printIrAfterChange(printAfterChange).sink(s -> {
                    err.print(s);
                    err.flush();
                });
        printBefore.forEach(pm::printIrBefore);
        printAfter.forEach(pm::printIrAfter);
        PassReport report = pm.build().run(g, pipeline, context);

        for (String note : context.diagnostics()) {
            err.println("note: " + note);
        }
        if (timing) {
            err.print(report.timingTable());
        }
        err.flush();
        String result = IrPrinter.print(g);
        if (output != null) {
            try {
                Files.writeString(output, result, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new KilnException("cannot write " + output + ": " + e.getMessage());
            }
        } else {
            out.print(result);
            out.flush();
        }
        return 0;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KilnException("cannot read " + p + ": " + e.getMessage());
        }
    }

    /** The pipeline of a reproducer's {@code # pipeline: ...} line. */
    static Optional<String> headerPipeline(String text) {
        return text.lines().filter(l -> l.startsWith(PIPELINE_HEADER))
                .map(l -> l.substring(PIPELINE_HEADER.length()).trim()).findFirst();
    }
}
