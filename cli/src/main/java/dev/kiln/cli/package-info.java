/**
 * The kiln command line (picocli): inspect, opt, converters, compile, run, bench.
 */
package dev.kiln.cli;
