package dev.kiln.cli;

import dev.kiln.backend.tensorrt.BuildProgress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The build progress bar {@code kiln compile} draws on stderr. A phase with a known total shows a
 * filled bar and a count ({@code convert   [#########.........]  112/230   0.4s}); one without
 * (TensorRT's own build, which reports no totals through JavaCPP) shows a block sweeping to and fro
 * and the elapsed time. On a terminal the line is redrawn in place (at most 10 times a second);
 * elsewhere each phase prints one line when it ends.
 *
 * <pre>{@code ProgressBar bar = new ProgressBar(System.err, true); settings.withProgress(bar); ... bar.finish();}</pre>
 */
public final class ProgressBar implements BuildProgress {
    /** Width of the bar between the brackets. */
    public static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean interactive;
    private final long start = System.nanoTime();
    private String phase = "";
    private long phaseStart = start;
    private long lastDraw;
    private long lastDone;
    private long lastTotal;

    public ProgressBar(PrintStream out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    @Override
    public synchronized void report(String newPhase, long done, long total) {
        long now = System.nanoTime();
        if (!newPhase.equals(phase)) {
            endPhase(now);
            phase = newPhase;
            phaseStart = now;
            lastDraw = 0;
        }
        lastDone = done;
        lastTotal = total;
        if (interactive && (now - lastDraw > 100_000_000L || (total > 0 && done >= total))) {
            out.print("\r" + render(phase, done, total, (now - phaseStart) / 1e9));
            out.flush();
            lastDraw = now;
        }
    }

    private void endPhase(long now) {
        if (phase.isEmpty()) {
            return;
        }
        String line = render(phase, lastTotal > 0 ? lastTotal : lastDone, lastTotal, (now - phaseStart) / 1e9);
        out.print(interactive ? "\r" + line + "\n" : line + "\n");
        out.flush();
    }

    /** Ends the last phase's line. */
    public synchronized void finish() {
        endPhase(System.nanoTime());
        phase = "";
    }

    /** Seconds since the bar was made. */
    public double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    /** One line of the bar (no carriage return): pure, for tests. */
    public static String render(String phase, long done, long total, double seconds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-10s[", phase));
        if (total > 0) {
            long d = Math.max(0, Math.min(done, total));
            int filled = (int) (d * WIDTH / total);
            b.append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ");
            String count = d + "/" + total;
            b.append(" ".repeat(Math.max(0, 2 * Long.toString(total).length() + 1 - count.length()))).append(count);
        } else {
            // a 3-wide block sweeping across the bar, one cell per report
            int span = WIDTH - 3;
            long p = span == 0 ? 0 : Math.floorMod(done, 2L * span);
            int pos = (int) (p <= span ? p : 2L * span - p);
            b.append(" ".repeat(pos)).append("<=>").append(" ".repeat(WIDTH - 3 - pos)).append("]");
        }
        b.append(String.format(Locale.ROOT, " %6.1fs", seconds));
        return b.toString();
    }
}
