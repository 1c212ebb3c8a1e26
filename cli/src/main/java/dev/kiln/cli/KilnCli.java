package dev.kiln.cli;

import dev.kiln.ir.KilnException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code kiln} command: {@code kiln --version}, {@code kiln inspect MODEL}, ... Every subcommand
 * is registered here; errors that are {@link KilnException}s print as one clear line and exit 1.
 *
 * <pre>{@code ./kiln inspect model.pt2 --format json}</pre>
 */
@Command(name = "kiln", mixinStandardHelpOptions = true, versionProvider = KilnCli.Versions.class,
        description = "Compiles PyTorch models (TorchScript, torch.export) to TensorRT.",
        subcommands = {CommandLine.HelpCommand.class, InspectCommand.class, OptCommand.class, CompileCommand.class,
                RunCommand.class, ConvertersCommand.class, BenchCommand.class})
public final class KilnCli implements Runnable {

    static {
        dev.kiln.ir.JavaCppDefaults.apply(); // before anything loads JavaCPP
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (tests call this). */
    public static int execute(String... args) {
        CommandLine cl = commandLine();
        return cl.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new KilnCli());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof KilnException) {
                commandLine.getErr().println("kiln: " + ex.getMessage());
                return 1;
            }
            throw ex;
        });
        return cl;
    }

    /** Prints Kiln's version and the native versions it was built against. */
    static final class Versions implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return VersionInfo.load().lines();
        }
    }
}
