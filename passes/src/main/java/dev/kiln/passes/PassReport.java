package dev.kiln.passes;

import java.util.List;

/**
 * What a pipeline run did: one record per pass execution (a pass in a fixpoint group appears once
 * per round), in order, with whether it changed the graph and how long it took.
 *
 * <pre>{@code System.out.print(report.timingTable());}</pre>
 */
public record PassReport(List<Record> records) {
    public PassReport {
        records = List.copyOf(records);
    }

    /** One execution of one pass. */
    public record Record(String pass, boolean changed, long nanos) {
    }

    /** True when any pass changed the graph. */
    public boolean changed() {
        return records.stream().anyMatch(Record::changed);
    }

    /** A table of passes, times in milliseconds and whether each changed the graph. */
    public String timingTable() {
        StringBuilder sb = new StringBuilder();
        long total = 0;
        for (Record r : records) {
            total += r.nanos();
            sb.append(String.format("%10.3f ms  %-8s %s%n", r.nanos() / 1e6, r.changed() ? "changed" : "-", r.pass()));
        }
        sb.append(String.format("%10.3f ms  total%n", total / 1e6));
        return sb.toString();
    }
}
