package dev.kiln.tck;

import java.nio.file.Path;
import java.util.List;

/**
 * The kit's knobs, read from system properties (on the GPU machine, put them in
 * {@code JAVA_TOOL_OPTIONS}):
 * <ul>
 * <li>{@code kiln.tck.cases} static cases per converter on the GPU (default 200)</li>
 * <li>{@code kiln.tck.dynamicCases} symbolic-shape cases per converter on the GPU (default 16)</li>
 * <li>{@code kiln.tck.batch} cases packed into one engine (default 32: a level-0 build costs tens of milliseconds of fixed
 *     cost, so small packs lose little, while builds of hundreds of layers take seconds; see the report's {@code builds=})</li>
 * <li>{@code kiln.tck.optimizationLevel} TensorRT builder level (default 0; a case without a level-0 kernel is retried at the default)</li>
 * <li>{@code kiln.tck.ops} comma-separated converter names to run; a trailing {@code *} matches a prefix (default all)</li>
 * <li>{@code kiln.tck.seed} the generators' seed (default 42)</li>
 * <li>{@code kiln.tck.cpuCases} cases per converter in the CPU checks (default 6)</li>
 * <li>{@code kiln.tck.shrinkBuilds} engine builds one failure may spend shrinking (default 24)</li>
 * <li>{@code kiln.tck.reproducers} where reproducers go (default {@code target/tck-reproducers})</li>
 * <li>{@code kiln.tck.shard} {@code i/n}: only the converters whose name hashes to shard {@code i} of {@code n}, so
 *     {@code n} processes can share one GPU (the builds are CPU-bound); default all</li>
 * <li>{@code kiln.tck.skip} comma-separated converter names (same syntax as {@code kiln.tck.ops}) to leave out: a
 *     process started again after one died in native code skips what the first one finished and the converter
 *     it died in (each converter prints {@code TCK-START converter=...} before its first build)</li>
 * <li>{@code kiln.tck.maxFailures} failing cases after which a converter's remaining cases are not run (default 24): a
 *     converter that fails broadly has said so, and each failure costs builds (bisecting its pack, a retry, shrinking)
 *     that the other converters of the process need</li>
 * </ul>
 *
 * <pre>{@code -Dkiln.tck.cases=400 -Dkiln.tck.ops=aten::conv2d,aten::max_pool*}</pre>
 */
public record TckConfig(int cases, int dynamicCases, int batch, int optimizationLevel, List<String> ops, long seed,
                        int cpuCases, int shrinkBuilds, Path reproducers, int shard, int shards, List<String> skip, int maxFailures) {

    public static final int DEFAULT_MAX_FAILURES = 24;

    /** All converters of the shard that {@code ops} selects, none skipped. */
    public TckConfig(int cases, int dynamicCases, int batch, int optimizationLevel, List<String> ops, long seed,
                     int cpuCases, int shrinkBuilds, Path reproducers, int shard, int shards) {
        this(cases, dynamicCases, batch, optimizationLevel, ops, seed, cpuCases, shrinkBuilds, reproducers, shard, shards, List.of());
    }

    /** With the default failure limit. */
    public TckConfig(int cases, int dynamicCases, int batch, int optimizationLevel, List<String> ops, long seed,
                     int cpuCases, int shrinkBuilds, Path reproducers, int shard, int shards, List<String> skip) {
        this(cases, dynamicCases, batch, optimizationLevel, ops, seed, cpuCases, shrinkBuilds, reproducers, shard, shards, skip,
                DEFAULT_MAX_FAILURES);
    }

    /**
     * Cases per engine unless {@code kiln.tck.batch} says otherwise. A single-layer build at level 0
     * takes 0.02-0.06 s on an H200, fixed costs included, while one 256-case pack plus one 16-case pack
     * took 14-40 s per converter: packing hundreds saves nothing and may cost more than linearly. At 32,
     * 256 cases take 8 builds, at most about 0.4 s of fixed cost more than one build.
     */
    public static final int DEFAULT_BATCH = 32;

    public static TckConfig fromSystemProperties() {
        String ops = System.getProperty("kiln.tck.ops", "").trim();
        String skip = System.getProperty("kiln.tck.skip", "").trim();
        String shard = System.getProperty("kiln.tck.shard", "0/1").trim();
        int slash = shard.indexOf('/');
        int i;
        int n;
        try {
            i = Integer.parseInt(shard.substring(0, slash));
            n = Integer.parseInt(shard.substring(slash + 1));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("kiln.tck.shard must be i/n, e.g. 0/4, not '" + shard + "'");
        }
        if (n < 1 || i < 0 || i >= n) {
            throw new IllegalArgumentException("kiln.tck.shard " + shard + ": need 0 <= i < n");
        }
        return new TckConfig(Integer.getInteger("kiln.tck.cases", 200), Integer.getInteger("kiln.tck.dynamicCases", 16),
                Math.max(1, Integer.getInteger("kiln.tck.batch", DEFAULT_BATCH)), Integer.getInteger("kiln.tck.optimizationLevel", 0),
                ops.isEmpty() ? List.of() : List.of(ops.split("\\s*,\\s*")), Long.getLong("kiln.tck.seed", 42),
                Integer.getInteger("kiln.tck.cpuCases", 6), Integer.getInteger("kiln.tck.shrinkBuilds", 24),
                Path.of(System.getProperty("kiln.tck.reproducers", "target/tck-reproducers")), i, n,
                skip.isEmpty() ? List.of() : List.of(skip.split("\\s*,\\s*")),
                Math.max(1, Integer.getInteger("kiln.tck.maxFailures", DEFAULT_MAX_FAILURES)));
    }

    /** Whether converter {@code name} is in this shard, selected by {@code kiln.tck.ops} and not skipped. */
    public boolean selects(String name) {
        if (shards > 1 && Math.floorMod(name.hashCode(), shards) != shard) {
            return false;
        }
        return (ops.isEmpty() || matches(ops, name)) && !matches(skip, name);
    }

    private static boolean matches(List<String> names, String name) {
        for (String o : names) {
            if (o.endsWith("*") ? name.startsWith(o.substring(0, o.length() - 1)) : name.equals(o)) {
                return true;
            }
        }
        return false;
    }
}
