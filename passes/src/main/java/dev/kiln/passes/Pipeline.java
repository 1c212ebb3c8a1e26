package dev.kiln.passes;

import dev.kiln.ir.KilnException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A parsed pass pipeline: a sequence of steps, each a pass with option values or a group run to a
 * fixed point. The text form is what users type and what reproducers record:
 * {@code dce,cse,fold-constants{max-bytes=1048576},fixpoint(canonicalize,cse,dce){max-iterations=8}}.
 * {@link #toString()} prints it back in that form.
 *
 * <pre>{@code Pipeline p = Pipeline.parse("canonicalize,dce", PassRegistry.standard());}</pre>
 */
public final class Pipeline {
    /** The default cap on rounds of a {@code fixpoint(...)} group. */
    public static final int DEFAULT_MAX_ITERATIONS = 10;

    /** One step of a pipeline. */
    public sealed interface Step permits PassStep, FixpointStep {
    }

    /** A pass with the option values given in the pipeline text (keys checked against its options). */
    public record PassStep(Pass pass, Map<String, String> options) implements Step {
        public PassStep {
            Objects.requireNonNull(pass, "pass");
            options = Map.copyOf(new TreeMap<>(options));
        }

        @Override
        public String toString() {
            if (options.isEmpty()) {
                return pass.name();
            }
            StringBuilder sb = new StringBuilder(pass.name()).append('{');
            String sep = "";
            for (Map.Entry<String, String> e : new TreeMap<>(options).entrySet()) {
                sb.append(sep).append(e.getKey()).append('=').append(e.getValue());
                sep = ",";
            }
            return sb.append('}').toString();
        }
    }

    /** Steps repeated until none changes the graph, at most {@code maxIterations} rounds. */
    public record FixpointStep(List<Step> steps, int maxIterations) implements Step {
        public FixpointStep {
            steps = List.copyOf(steps);
            if (maxIterations < 1) {
                throw new KilnException("fixpoint max-iterations must be at least 1, got " + maxIterations);
            }
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("fixpoint(");
            for (int i = 0; i < steps.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(steps.get(i));
            }
            sb.append(')');
            if (maxIterations != DEFAULT_MAX_ITERATIONS) {
                sb.append("{max-iterations=").append(maxIterations).append('}');
            }
            return sb.toString();
        }
    }

    private final List<Step> steps;

    public Pipeline(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    public List<Step> steps() {
        return steps;
    }

    /** Parses the text form, resolving pass names in {@code registry}. */
    public static Pipeline parse(String text, PassRegistry registry) {
        Parser p = new Parser(text, registry);
        List<Step> steps = p.steps();
        if (p.pos != p.src.length()) {
            throw p.error("unexpected '" + p.src.charAt(p.pos) + "'");
        }
        return new Pipeline(steps);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < steps.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(steps.get(i));
        }
        return sb.toString();
    }

    private static final class Parser {
        private final String src;
        private final PassRegistry registry;
        private int pos;

        Parser(String src, PassRegistry registry) {
            this.src = src.replaceAll("\\s+", "");
            this.registry = registry;
        }

        List<Step> steps() {
            List<Step> out = new ArrayList<>();
            if (pos >= src.length() || src.charAt(pos) == ')') {
                return out;
            }
            out.add(step());
            while (pos < src.length() && src.charAt(pos) == ',') {
                pos++;
                out.add(step());
            }
            return out;
        }

        private Step step() {
            int start = pos;
            String name = name();
            if (name.equals("fixpoint") && pos < src.length() && src.charAt(pos) == '(') {
                pos++;
                List<Step> inner = steps();
                if (pos >= src.length() || src.charAt(pos) != ')') {
                    throw error("missing ')' closing fixpoint(");
                }
                pos++;
                Map<String, String> opts = options();
                int max = DEFAULT_MAX_ITERATIONS;
                for (Map.Entry<String, String> e : opts.entrySet()) {
                    if (!e.getKey().equals("max-iterations")) {
                        throw error("fixpoint has one option, max-iterations; got '" + e.getKey() + "'");
                    }
                    try {
                        max = Integer.parseInt(e.getValue());
                    } catch (NumberFormatException ex) {
                        throw error("max-iterations must be an integer, got '" + e.getValue() + "'");
                    }
                }
                if (inner.isEmpty()) {
                    throw error("fixpoint() needs at least one pass");
                }
                return new FixpointStep(inner, max);
            }
            Pass pass;
            try {
                pass = registry.get(name);
            } catch (KilnException e) {
                pos = start;
                throw error(e.getMessage());
            }
            Map<String, String> opts = options();
            for (Map.Entry<String, String> e : opts.entrySet()) {
                PassOption<?> o = pass.options().stream().filter(x -> x.key().equals(e.getKey())).findFirst()
                        .orElseThrow(() -> error("pass " + name + " has no option '" + e.getKey() + "'; its options: "
                                + pass.options().stream().map(PassOption::key).toList()));
                o.parser().apply(e.getValue()); // fail now, at parse time, on a malformed value
            }
            return new PassStep(pass, opts);
        }

        private Map<String, String> options() {
            Map<String, String> out = new TreeMap<>();
            if (pos >= src.length() || src.charAt(pos) != '{') {
                return out;
            }
            pos++;
            while (true) {
                String k = name();
                if (pos >= src.length() || src.charAt(pos) != '=') {
                    throw error("expected '=' after option " + k);
                }
                pos++;
                int start = pos;
                while (pos < src.length() && src.charAt(pos) != ',' && src.charAt(pos) != '}') {
                    pos++;
                }
                out.put(k, src.substring(start, pos));
                if (pos >= src.length()) {
                    throw error("missing '}'");
                }
                if (src.charAt(pos++) == '}') {
                    return out;
                }
            }
        }

        private String name() {
            int start = pos;
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '-'
                    || src.charAt(pos) == '_')) {
                pos++;
            }
            if (start == pos) {
                throw error("expected a pass name");
            }
            return src.substring(start, pos);
        }

        KilnException error(String msg) {
            return new KilnException("pipeline '" + src + "' at " + pos + ": " + msg);
        }
    }
}
