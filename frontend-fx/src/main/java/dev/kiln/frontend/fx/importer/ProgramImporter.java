package dev.kiln.frontend.fx.importer;

import dev.kiln.frontend.fx.serde.Json;
import dev.kiln.frontend.fx.serde.SerializedProgram;
import dev.kiln.frontend.fx.serde.SymExprParser;
import dev.kiln.ir.Arg;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.OpSchema;
import dev.kiln.ir.schema.SchemaArgument;
import dev.kiln.ir.schema.SchemaBinder;
import dev.kiln.ir.schema.SchemaRegistry;
import dev.kiln.ir.schema.SchemaType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Maps a serialized {@code ExportedProgram} to an IR {@link Graph}: parameters, buffers and tensor
 * constants become constants named by their fully-qualified names; user inputs become graph inputs
 * in order; every node becomes an IR node of the exact ATen overload with all arguments bound and
 * defaults filled; symbolic sizes become symbols with their ranges; symbolic-int arithmetic stays as
 * scalar nodes; {@code torch.cond} and {@code torch.while_loop} become {@code kiln::cond} and {@code kiln::loop} with
 * closed nested graphs; outputs are named after the keys of a returned dict. Programs that mutate state, use other
 * higher-order ops or ops libtorch does not know are refused with a message naming the node, its source line and the op.
 *
 * <pre>{@code Graph g = ProgramImporter.importProgram(program, weights, constants, "mlp");}</pre>
 */
public final class ProgramImporter {
    private static final String TORCH_OPS = "torch.ops.";

    private static final String COND = "torch.ops.higher_order.cond";
    private static final String WHILE_LOOP = "torch.ops.higher_order.while_loop";

    private final SerializedProgram program;
    /** The graph this importer reads: the program's, or a function a control-flow op takes (a branch, cond_fn, body_fn). */
    private final Json graphJson;
    private final Map<String, ConstantTensor> weights;
    private final Map<String, ConstantTensor> constants;
    private final Graph graph;
    /** Where the constants of a nested graph go (null for the program's own graph, which holds its constants). */
    private final Captures captures;
    private final SchemaRegistry registry = SchemaRegistry.standard();
    private final Map<String, Json> tensorValues = new HashMap<>();
    private final Map<String, TensorType> typeCache = new HashMap<>();
    private final Map<String, Value> values = new HashMap<>();
    private final Map<String, Arg> literals = new HashMap<>();
    private final Map<String, Symbol> symbols = new LinkedHashMap<>();

    private ProgramImporter(SerializedProgram program, Map<String, ConstantTensor> weights,
                            Map<String, ConstantTensor> constants, String graphName) {
        this.program = program;
        this.graphJson = program.graph();
        this.weights = weights;
        this.constants = constants;
        this.graph = new Graph(graphName);
        this.captures = null;
    }

    /**
     * An importer of {@code subgraph} (a function a control-flow op of {@code parent}'s graph takes) into {@code into}:
     * a nested graph, whose constants {@code captures} takes, or {@code parent}'s own graph. Its names are its own.
     */
    private ProgramImporter(ProgramImporter parent, Json subgraph, Graph into, Captures captures) {
        this.program = parent.program;
        this.graphJson = subgraph;
        this.weights = parent.weights;
        this.constants = parent.constants;
        this.graph = into;
        this.captures = captures;
    }

    /**
     * The constants nested graphs need (the numbers FX passes where a schema says {@code Tensor}, made 0-d tensors):
     * a nested graph holds none ({@code .kiln} archives store constants by stage, and a branch or loop body is run by
     * libtorch from its operands), so each becomes a constant of the enclosing graph, passed in as one more operand of
     * the control-flow node and one more input of each of its graphs (both branches, to keep their inputs alike).
     */
    private static final class Captures {
        private final ProgramImporter outer;
        /** The enclosing graph's values, in order: the node's extra operands. */
        private final List<Value> operands = new ArrayList<>();
        /** Each graph that takes them (in order), with its inputs for them, in order. */
        private final Map<Graph, List<Value>> inputs = new LinkedHashMap<>();

        Captures(ProgramImporter outer, List<Graph> graphs) {
            this.outer = outer;
            graphs.forEach(g -> inputs.put(g, new ArrayList<>()));
        }

        /** {@code data} as a value of {@code g}: an input fed from a constant of the enclosing graph. */
        Value capture(Graph g, String name, ConstantTensor data) {
            Value there = outer.constant(name, data);
            operands.add(there);
            inputs.forEach((each, taken) -> taken.add(each.addInput(there.name(), there.type())));
            List<Value> mine = inputs.get(g);
            return mine.get(mine.size() - 1);
        }
    }

    /** A constant called {@code name}: in this graph, or, in a nested graph, one of the enclosing graph passed in. */
    private Value constant(String name, ConstantTensor data) {
        return captures == null ? graph.addConstant(name, data) : captures.capture(graph, name, data);
    }

    /** Builds the graph of {@code program}, whose tensors live in {@code weights} and {@code constants}. */
    public static Graph importProgram(SerializedProgram program, Map<String, ConstantTensor> weights,
                                      Map<String, ConstantTensor> constants, String graphName) {
        ProgramImporter im = new ProgramImporter(program, weights, constants, graphName);
        try {
            return im.run();
        } catch (ArithmeticException | IllegalArgumentException e) {
            // the IR's own checks (overflowing sizes, values of another graph): still a bad file
            throw program.graph().error("the program is inconsistent: " + e.getMessage());
        }
    }

    private Graph run() {
        for (Symbol s : program.ranges().values()) {
            symbols.put(s.name(), graph.declare(s));
        }
        graphJson.optField("tensor_values").ifPresent(tv -> tensorValues.putAll(tv.members()));
        importInputs();
        for (Json node : graphJson.field("nodes").list()) {
            importNode(node);
        }
        importOutputs();
        graph.attributes().put("frontend", "torch.export");
        graph.attributes().put("schema_version", program.major() + "." + program.minor());
        if (!program.torchVersion().isEmpty()) {
            graph.attributes().put("torch_version", program.torchVersion());
        }
        if (!program.verifiers().isEmpty()) {
            graph.attributes().put("dialect", String.join(",", program.verifiers()));
        }
        return graph;
    }

    // --- signature ---

    private void importInputs() {
        List<Json> inputs = graphJson.field("inputs").list();
        List<Json> specs = program.signature().field("input_specs").list();
        if (inputs.size() != specs.size()) {
            throw program.signature().field("input_specs").error("has " + specs.size() + " entries but the graph has "
                    + inputs.size() + " inputs");
        }
        for (Json spec : specs) {
            Json.Union u = spec.union();
            Json s = u.value();
            switch (u.kind()) {
                case "user_input" -> userInput(s.field("arg"));
                case "parameter" -> constant(s, s.field("parameter_name").string(), "parameter", weights, constants);
                case "buffer" -> {
                    boolean persistent = s.optField("persistent").map(Json::bool).orElse(true);
                    constant(s, s.field("buffer_name").string(), "buffer",
                            persistent ? weights : constants, persistent ? constants : weights);
                }
                case "tensor_constant" -> constant(s, s.field("tensor_constant_name").string(), "tensor constant",
                        constants, weights);
                case "constant_input" -> define(s.field("name").string(), null, convert(s.field("value")));
                case "custom_obj" -> throw s.error("the program takes a TorchBind object (custom_obj); Kiln reads tensor programs only");
                case "token" -> throw s.error("the program threads an effect token (it has side effects); inference programs must be pure");
                default -> throw spec.error("unknown input kind '" + u.kind() + "'");
            }
        }
    }

    private void userInput(Json arg) {
        Json.Union u = arg.union();
        switch (u.kind()) {
            case "as_tensor" -> {
                String name = u.value().field("name").string();
                define(name, graph.addInput(name, tensorType(name, u.value())), null);
            }
            case "as_sym_int", "as_sym_float", "as_sym_bool" -> {
                Json.Union n = u.value().union();
                if (!n.kind().equals("as_name")) {
                    return; // a specialized constant: callers do not pass it
                }
                String name = n.value().string();
                PrimitiveType t = u.kind().equals("as_sym_int") ? PrimitiveType.INT
                        : u.kind().equals("as_sym_float") ? PrimitiveType.FLOAT : PrimitiveType.BOOL;
                define(name, graph.addInput(name, t), null);
            }
            case "as_int", "as_float", "as_bool", "as_string", "as_none" -> {
                // specialized at export time: the value is baked into the program, callers do not pass it
            }
            default -> throw arg.error("user input of kind '" + u.kind() + "' is not supported; Kiln takes tensors and symbolic ints");
        }
    }

    private void constant(Json spec, String fqn, String what, Map<String, ConstantTensor> primary,
                          Map<String, ConstantTensor> secondary) {
        String name = spec.field("arg").field("name").string();
        ConstantTensor data = primary.get(fqn);
        if (data == null) {
            data = secondary.get(fqn);
        }
        if (data == null) {
            throw spec.error("the " + what + " '" + fqn + "' has no data in the archive");
        }
        Json meta = tensorValues.get(name);
        if (meta != null) {
            TensorType declared = tensorType(name, spec);
            if (!declared.equals(data.type())) {
                throw spec.error("the " + what + " '" + fqn + "' is stored as " + data.type().text()
                        + " but the graph declares " + declared.text());
            }
        }
        define(name, graph.addConstant(fqn, data), null);
    }

    private void importOutputs() {
        List<Json> specs = program.signature().field("output_specs").list();
        List<Json> outs = graphJson.field("outputs").list();
        if (outs.size() != specs.size()) {
            throw program.signature().field("output_specs").error("has " + specs.size() + " entries but the graph has "
                    + outs.size() + " outputs");
        }
        List<Value> result = new ArrayList<>();
        for (Json spec : specs) {
            Json.Union u = spec.union();
            switch (u.kind()) {
                case "user_output" -> result.add(outputValue(u.value().field("arg")));
                case "buffer_mutation", "parameter_mutation", "user_input_mutation" -> {
                    String target = u.value().optField("buffer_name").or(() -> u.value().optField("parameter_name"))
                            .or(() -> u.value().optField("user_input_name")).map(Json::string).orElse("?");
                    throw spec.error("the program writes '" + target + "' (" + u.kind().replace('_', ' ')
                            + "); inference programs must not mutate state: export the model in eval mode "
                            + "without in-place updates of buffers or inputs");
                }
                case "loss_output", "gradient_to_parameter", "gradient_to_user_input" ->
                        throw spec.error("the program has a " + u.kind().replace('_', ' ')
                                + " output: it is a training program; export the inference forward only");
                case "token" -> throw spec.error("the program returns an effect token (it has side effects); inference programs must be pure");
                default -> throw spec.error("unknown output kind '" + u.kind() + "'");
            }
        }
        nameAfterKeys(result);
        graph.setOutputs(result);
    }

    /**
     * Names each output after its key in what {@code forward()} returned ({@code {'logits': y}} returns {@code %logits},
     * the name {@code kiln inspect} and {@code CompiledModule.outputNames()} show), unless it is a graph input, a
     * constant or already named for an earlier key.
     */
    private void nameAfterKeys(List<Value> outputs) {
        List<Optional<String>> keys = OutputKeys.of(program.outSpec());
        if (keys.size() != outputs.size()) {
            return; // a spec that does not match the outputs names nothing
        }
        for (int i = 0; i < outputs.size(); i++) {
            Value v = outputs.get(i);
            if (keys.get(i).isPresent() && v.kind() == Value.Kind.NODE_OUTPUT && !outputs.subList(0, i).contains(v)) {
                graph.rename(v, keys.get(i).get());
            }
        }
    }

    private Value outputValue(Json arg) {
        Json.Union u = arg.union();
        switch (u.kind()) {
            case "as_tensor":
                return graphValue(u.value().field("name"));
            case "as_sym_int":
            case "as_sym_float":
            case "as_sym_bool": {
                Json.Union n = u.value().union();
                if (n.kind().equals("as_name")) {
                    return graphValue(n.value());
                }
                break;
            }
            default:
                break;
        }
        throw arg.error("the program returns a constant (" + u.kind() + "); Kiln supports tensor and symbolic-int outputs");
    }

    // --- nodes ---

    private void importNode(Json node) {
        String target = node.field("target").string();
        String jsonName = node.optField("name").map(Json::string).orElse("");
        Optional<dev.kiln.ir.SourceLocation> loc = node.optField("metadata")
                .flatMap(m -> m.optField("stack_trace")).filter(Json::isString)
                .flatMap(t -> StackTraces.userFrame(t.string()));
        String who = "node " + (jsonName.isEmpty() ? "?" : jsonName) + " (" + target + ")"
                + loc.map(l -> " at " + l).orElse("");
        try {
            importNode(node, target, jsonName, loc);
        } catch (KilnException e) {
            if (e.getMessage().contains(": node ")) {
                throw e;
            }
            throw node.error(who + ": " + e.getMessage());
        }
    }

    private void importNode(Json node, String target, String jsonName, Optional<dev.kiln.ir.SourceLocation> loc) {
        if (target.equals(COND)) {
            importCond(node, jsonName, loc);
            return;
        }
        if (target.equals(WHILE_LOOP)) {
            importWhileLoop(node, jsonName, loc);
            return;
        }
        List<Json> inputs = node.field("inputs").list();
        OpSchema schema;
        List<Arg> args;
        if (target.startsWith(TORCH_OPS) || target.startsWith("#")) {
            schema = resolve(target);
            List<Arg> positional = new ArrayList<>();
            Map<String, Arg> keyword = new LinkedHashMap<>();
            for (Json in : inputs) {
                String name = in.optField("name").map(Json::string).orElse("");
                Arg a = convert(in.field("arg"));
                int kind = in.optField("kind").map(Json::smallInt).orElse(2);
                if (kind == 1 && keyword.isEmpty()) {
                    positional.add(a);
                } else {
                    if (name.isEmpty() || keyword.put(name, a) != null) {
                        throw in.error("argument '" + name + "' is given twice or has no name");
                    }
                }
            }
            args = SchemaBinder.bind(schema, positional, keyword);
        } else if (FxSchemas.isSymOp(target)) {
            args = new ArrayList<>();
            List<String> kinds = new ArrayList<>();
            for (Json in : inputs) {
                Arg a = convert(in.field("arg"));
                args.add(a);
                kinds.add(scalarKind(a, in));
            }
            schema = FxSchemas.symOp(target, kinds);
        } else if (target.equals("_operator.getitem") || target.contains("getitem")) {
            throw node.field("target").error("a getitem node was serialized; torch.export never writes them, the file is corrupt");
        } else {
            throw node.field("target").error("unknown target '" + target + "': Kiln reads torch.ops.* operators and "
                    + "the symbolic-int operators of torch.export");
        }
        Outputs outs = outputs(node, schema, jsonName);
        for (String n : outs.names) {
            if (values.containsKey(n) || literals.containsKey(n)) {
                throw node.error("the name '" + n + "' is defined twice; names in a program must be unique");
            }
        }
        args = wrapScalars(schema, args, outs, jsonName);
        Node n = graph.insertAt(graph.nodes().size(), schema, args, outs.types, outs.names);
        if (!jsonName.isEmpty()) {
            n.setName(jsonName);
        }
        loc.ifPresent(n::setLocation);
        if (outs.listElements != null) {
            define(outs.names.get(0), n.output(), null);
            Node unpack = graph.insertAt(graph.nodes().size(), FxSchemas.listUnpack(), List.of(n.output()),
                    outs.listElementTypes, outs.listElements);
            loc.ifPresent(unpack::setLocation);
            for (int i = 0; i < outs.listElements.size(); i++) {
                define(outs.listElements.get(i), unpack.output(i), null);
            }
        } else {
            for (int i = 0; i < outs.names.size(); i++) {
                define(outs.names.get(i), n.output(i), null);
            }
        }
    }

    // --- torch.cond, torch.while_loop ---

    /**
     * {@code torch.cond(pred, true_fn, false_fn, operands)} becomes {@code kiln::cond(pred, [operands])} with each
     * branch imported into a nested graph ({@link dev.kiln.ir.ControlFlow}): torch.export already made the branches
     * closed (what a branch reads, parameters included, arrives as an operand). It runs in libtorch, with what comes
     * before and after it still free to run in TensorRT.
     */
    private void importCond(Json node, String jsonName, Optional<dev.kiln.ir.SourceLocation> loc) {
        List<Json> inputs = arguments(node, "torch.cond", "pred, true_fn, false_fn, operands");
        Arg pred = convert(inputs.get(0).field("arg"));
        if (!(pred instanceof Value)) {
            throw inputs.get(0).error("the condition of torch.cond is the constant " + pred + "; a condition known when"
                    + " exporting needs no torch.cond: call the branch it picks");
        }
        List<Value> operands = new ArrayList<>(valueList(inputs.get(3), "torch.cond", "operands"));
        Graph then = new Graph(graphName(inputs.get(1), "then"));
        Graph otherwise = new Graph(graphName(inputs.get(2), "else"));
        // both take the operands first; a constant either branch needs is an input of both after them
        List<Value> thenParams = inputsLike(then, operands);
        List<Value> elseParams = inputsLike(otherwise, operands);
        Captures captured = new Captures(this, List.of(then, otherwise));
        then.setOutputs(new ProgramImporter(this, subgraph(inputs.get(1), "torch.cond", "then branch"), then, captured)
                .importInline(thenParams, inputs.get(1)));
        otherwise.setOutputs(new ProgramImporter(this, subgraph(inputs.get(2), "torch.cond", "else branch"), otherwise, captured)
                .importInline(elseParams, inputs.get(2)));
        operands.addAll(captured.operands);
        if (then.outputs().size() != otherwise.outputs().size()) {
            throw node.error("the branches of torch.cond return " + then.outputs().size() + " and " + otherwise.outputs().size()
                    + " values; both must return as many");
        }
        List<String> names = outputNames(node, "torch.cond", then.outputs().size());
        Node n = controlFlowNode(node, jsonName, loc, dev.kiln.ir.ControlFlow.COND, List.of(pred, Arg.list(operands)),
                names, then.outputs());
        n.addSubgraph(then);
        n.addSubgraph(otherwise);
    }

    /**
     * {@code torch.while_loop(cond_fn, body_fn, carried_inputs, additional_inputs)} becomes {@code kiln::loop} with no
     * trip limit: the additional inputs (what both functions read, parameters included) are carried through unchanged,
     * the first condition is {@code cond_fn} on the initial values, imported before the loop, and the body is
     * {@code body_fn} followed by {@code cond_fn} on its results, which gives the next trip's condition.
     */
    private void importWhileLoop(Json node, String jsonName, Optional<dev.kiln.ir.SourceLocation> loc) {
        List<Json> inputs = arguments(node, "torch.while_loop", "cond_fn, body_fn, carried_inputs, additional_inputs");
        List<Value> carried = valueList(inputs.get(2), "torch.while_loop", "carried inputs");
        List<Value> extra = valueList(inputs.get(3), "torch.while_loop", "additional inputs");
        List<Value> all = new ArrayList<>(carried);
        all.addAll(extra);
        Json condFn = subgraph(inputs.get(0), "torch.while_loop", "cond_fn");
        Json bodyFn = subgraph(inputs.get(1), "torch.while_loop", "body_fn");
        Value first = single(new ProgramImporter(this, condFn, graph, captures).importInline(all, inputs.get(0)), inputs.get(0));

        Graph body = new Graph("body");
        body.addInput("trip", PrimitiveType.INT);
        List<Value> params = inputsLike(body, all);
        List<Value> passed = List.copyOf(params.subList(carried.size(), params.size())); // the additional inputs, unchanged
        Captures captured = new Captures(this, List.of(body));
        List<Value> next = new ProgramImporter(this, bodyFn, body, captured).importInline(params, inputs.get(1));
        if (next.size() != carried.size()) {
            throw inputs.get(1).error("body_fn returns " + next.size() + (next.size() == 1 ? " value" : " values")
                    + " but the loop carries " + carried.size());
        }
        List<Value> condArgs = new ArrayList<>(next);
        condArgs.addAll(passed);
        Value again = single(new ProgramImporter(this, condFn, body, captured).importInline(condArgs, inputs.get(0)),
                inputs.get(0));
        List<Value> outs = new ArrayList<>();
        outs.add(again);
        outs.addAll(next);
        outs.addAll(passed);
        outs.addAll(captured.inputs.get(body)); // constants the body needs, carried through unchanged too
        body.setOutputs(outs);
        all.addAll(captured.operands);

        List<String> names = new ArrayList<>(outputNames(node, "torch.while_loop", carried.size()));
        List<Value> typed = new ArrayList<>(next);
        for (Value v : all.subList(carried.size(), all.size())) {
            names.add(graph.freshName(v.name() + "_carried"));
            typed.add(v);
        }
        Node n = controlFlowNode(node, jsonName, loc, dev.kiln.ir.ControlFlow.LOOP,
                List.of(Arg.of(Long.MAX_VALUE), first, Arg.list(all)), names, typed);
        n.addSubgraph(body);
    }

    /** The four arguments of a control-flow op, in order. */
    private static List<Json> arguments(Json node, String op, String expected) {
        List<Json> inputs = node.field("inputs").list();
        if (inputs.size() != 4) {
            throw node.field("inputs").error(op + " takes 4 arguments (" + expected + ") but the node has " + inputs.size());
        }
        return inputs;
    }

    /** A list argument of values (operands, carried inputs). */
    private List<Value> valueList(Json input, String op, String what) {
        if (!(convert(input.field("arg")) instanceof Arg.ListArg list)) {
            throw input.error("the " + what + " of " + op + " must be a list");
        }
        List<Value> out = new ArrayList<>();
        for (Arg a : list.elements()) {
            if (!(a instanceof Value v)) {
                throw input.error("one of the " + what + " of " + op + " is the constant " + a + "; Kiln passes values");
            }
            out.add(v);
        }
        return out;
    }

    /** A graph argument ({@code {"as_graph": {"name", "graph"}}}): its graph. */
    private static Json subgraph(Json input, String op, String what) {
        Json.Union u = input.field("arg").union();
        if (!u.kind().equals("as_graph")) {
            throw input.error("the " + what + " of " + op + " must be a graph, not " + u.kind());
        }
        return u.value().field("graph");
    }

    /** The name torch.export gave a graph argument ({@code true_graph_0}), else {@code fallback}. */
    private static String graphName(Json input, String fallback) {
        Json.Union u = input.field("arg").union();
        return u.kind().equals("as_graph") ? u.value().optField("name").map(Json::string).orElse(fallback) : fallback;
    }

    /** Inputs of {@code g} named and typed as {@code values}, appended after the ones it has. */
    private static List<Value> inputsLike(Graph g, List<Value> values) {
        List<Value> added = new ArrayList<>();
        for (Value v : values) {
            added.add(g.addInput(v.name(), v.type()));
        }
        return added;
    }

    /** The one value a condition function returns. */
    private static Value single(List<Value> outs, Json where) {
        if (outs.size() != 1) {
            throw where.error("the condition function returns " + outs.size() + " values; it must return one boolean");
        }
        return outs.get(0);
    }

    /**
     * Imports this importer's graph JSON into its graph with its inputs bound to {@code args} (values of that graph):
     * its nodes are appended, and its outputs returned.
     */
    private List<Value> importInline(List<Value> args, Json where) {
        graphJson.optField("tensor_values").ifPresent(tv -> tensorValues.putAll(tv.members()));
        List<Json> ins = graphJson.field("inputs").list();
        if (ins.size() != args.size()) {
            throw where.error("the graph @" + graph.name() + " takes " + ins.size() + " inputs but is given " + args.size());
        }
        for (int i = 0; i < ins.size(); i++) {
            Json.Union u = ins.get(i).union();
            String name = switch (u.kind()) {
                case "as_tensor" -> u.value().field("name").string();
                case "as_sym_int", "as_sym_float", "as_sym_bool" -> u.value().union().value().string();
                default -> throw ins.get(i).error("a subgraph input of kind '" + u.kind() + "' is not supported");
            };
            define(name, args.get(i), null);
        }
        for (Json node : graphJson.field("nodes").list()) {
            importNode(node);
        }
        List<Value> outs = new ArrayList<>();
        for (Json out : graphJson.field("outputs").list()) {
            outs.add(outputValue(out));
        }
        return outs;
    }

    /** The names of a control-flow node's {@code count} outputs. */
    private static List<String> outputNames(Json node, String op, int count) {
        List<String> names = new ArrayList<>();
        for (Json out : node.field("outputs").list()) {
            Json.Union u = out.union();
            switch (u.kind()) {
                case "as_tensor" -> names.add(u.value().field("name").string());
                case "as_tensors" -> u.value().list().forEach(e -> names.add(e.field("name").string()));
                default -> throw out.error("an output of " + op + " of kind '" + u.kind() + "' is not supported; it must"
                        + " return tensors");
            }
        }
        if (names.size() != count) {
            throw node.field("outputs").error("names " + names.size() + " outputs but " + op + " gives " + count);
        }
        return names;
    }

    /** A {@code kiln::cond} or {@code kiln::loop} node, its outputs typed as torch.export says or as {@code like}. */
    private Node controlFlowNode(Json node, String jsonName, Optional<dev.kiln.ir.SourceLocation> loc, String op,
                                 List<Arg> args, List<String> names, List<Value> like) {
        List<Type> types = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            types.add(tensorValues.containsKey(names.get(i)) ? tensorType(names.get(i), node) : like.get(i).type());
            if (values.containsKey(names.get(i)) || literals.containsKey(names.get(i))) {
                throw node.error("the name '" + names.get(i) + "' is defined twice; names in a program must be unique");
            }
        }
        OpSchema schema = registry.find(op, "").orElseThrow();
        Node n = graph.insertAt(graph.nodes().size(), schema, args, types, names);
        if (!jsonName.isEmpty()) {
            n.setName(jsonName);
        }
        loc.ifPresent(n::setLocation);
        for (int i = 0; i < names.size(); i++) {
            define(names.get(i), n.output(i), null);
        }
        return n;
    }

    /**
     * FX passes Python numbers where a schema says {@code Tensor} ({@code aten.mul.Tensor(x, 2.0)});
     * ATen wraps them as 0-d tensors. They become 0-d constants: of the node's floating (or
     * integer) result dtype when the number fits that category, so promotion gives what torch gives.
     */
    private List<Arg> wrapScalars(OpSchema schema, List<Arg> args, Outputs outs, String nodeName) {
        List<Arg> out = null;
        for (int i = 0; i < args.size() && i < schema.arguments().size(); i++) {
            SchemaType t = schema.arguments().get(i).type();
            if (t instanceof SchemaType.OptionalOf o) {
                t = o.element();
            }
            Arg a = args.get(i);
            if (!t.isTensor() || !(a instanceof Arg.IntLit || a instanceof Arg.FloatLit || a instanceof Arg.BoolLit)) {
                continue;
            }
            Optional<DType> result = outs.types.isEmpty() || !(outs.types.get(0) instanceof TensorType tt)
                    ? Optional.empty() : tt.dtype();
            DType dtype;
            double v;
            if (a instanceof Arg.FloatLit f) {
                v = f.value();
                dtype = result.filter(DType::isFloatingPoint).orElse(DType.FLOAT64);
            } else if (a instanceof Arg.IntLit n) {
                v = n.value();
                dtype = result.filter(d -> d.isFloatingPoint() || d.isIntegral()).orElse(DType.INT64);
            } else {
                v = ((Arg.BoolLit) a).value() ? 1 : 0;
                dtype = result.orElse(DType.BOOL);
            }
            if (out == null) {
                out = new ArrayList<>(args);
            }
            String name = (nodeName.isEmpty() ? "scalar" : nodeName) + "_" + schema.arguments().get(i).name();
            out.set(i, constant(name, ConstantTensor.scalar(dtype, v)));
        }
        return out == null ? args : out;
    }

    /** Output names and types of a node; for a returned tensor list, also the list's elements. */
    private static final class Outputs {
        final List<String> names = new ArrayList<>();
        final List<Type> types = new ArrayList<>();
        List<String> listElements;
        List<Type> listElementTypes;
    }

    private Outputs outputs(Json node, OpSchema schema, String jsonName) {
        List<Json> outs = node.field("outputs").list();
        List<SchemaArgument> returns = schema.returns();
        Outputs o = new Outputs();
        if (outs.size() == 1) {
            Json.Union u = outs.get(0).union();
            if (u.kind().equals("as_none") && returns.isEmpty()) {
                return o;
            }
            if (u.kind().equals("as_tensors")) {
                List<Json> elems = u.value().list();
                if (returns.size() == 1 && returns.get(0).type() instanceof SchemaType.ListOf) {
                    o.names.add(jsonName.isEmpty() ? schema.name().substring(schema.name().indexOf("::") + 2) : jsonName);
                    o.types.add(new ListType(TensorType.unknown()));
                    o.listElements = new ArrayList<>();
                    o.listElementTypes = new ArrayList<>();
                    for (Json e : elems) {
                        String name = e.field("name").string();
                        if (o.listElements.contains(name)) {
                            throw e.error("the name '" + name + "' is defined twice");
                        }
                        o.listElements.add(name);
                        o.listElementTypes.add(tensorType(name, e));
                    }
                    return o;
                }
                if (returns.size() == elems.size()) {
                    for (Json e : elems) {
                        String name = e.field("name").string();
                        o.names.add(name);
                        o.types.add(tensorType(name, e));
                    }
                    return o;
                }
            }
        }
        if (outs.size() != returns.size() && !schema.varReturns()) {
            throw node.field("outputs").error("has " + outs.size() + " outputs but " + schema.qualifiedName()
                    + " returns " + returns.size());
        }
        for (int i = 0; i < outs.size(); i++) {
            Json out = outs.get(i);
            Json.Union u = out.union();
            switch (u.kind()) {
                case "as_tensor" -> {
                    String name = u.value().field("name").string();
                    o.names.add(name);
                    o.types.add(tensorType(name, out));
                }
                case "as_sym_int", "as_sym_float", "as_sym_bool" -> {
                    Json.Union n = u.value().union();
                    if (!n.kind().equals("as_name")) {
                        throw out.error("a symbolic output must be named");
                    }
                    o.names.add(n.value().string());
                    o.types.add(u.kind().equals("as_sym_int") ? PrimitiveType.INT
                            : u.kind().equals("as_sym_float") ? PrimitiveType.FLOAT : PrimitiveType.BOOL);
                }
                case "as_none" -> {
                    o.names.add((jsonName.isEmpty() ? "none" : jsonName) + "_none_" + i);
                    o.types.add(PrimitiveType.NONE);
                }
                default -> throw out.error("output of kind '" + u.kind() + "' is not supported");
            }
        }
        return o;
    }

    private OpSchema resolve(String target) {
        String ns;
        String op;
        String overload;
        if (target.startsWith("#")) {
            // extension ops: "#ns:op" (default overload)
            int colon = target.indexOf(':');
            if (colon < 0) {
                throw new KilnException("cannot read the extension target '" + target + "'");
            }
            ns = target.substring(1, colon);
            op = target.substring(colon + 1);
            overload = "";
        } else {
            String[] parts = target.substring(TORCH_OPS.length()).split("\\.", -1);
            if (parts.length > 0 && parts[0].equals("higher_order")) {
                throw new KilnException("the higher-order op " + target + " is not supported yet (Kiln imports torch.cond and torch.while_loop);"
                        + " rewrite the model without it or keep that part in PyTorch");
            }
            if (parts.length != 3) {
                throw new KilnException("cannot read the target '" + target + "'; expected torch.ops.<namespace>.<op>.<overload>");
            }
            ns = parts[0];
            op = parts[1];
            overload = parts[2].equals("default") ? "" : parts[2];
        }
        String qualified = ns + "::" + op + (overload.isEmpty() ? "" : "." + overload);
        return registry.find(ns + "::" + op, overload).orElseThrow(() -> new KilnException("unknown op " + qualified
                + ": libtorch 2.5.1 has no such schema; re-export with run_decompositions() to core ATen, "
                + "or register the op's schema"));
    }

    private String scalarKind(Arg a, Json where) {
        if (a instanceof Arg.IntLit) {
            return "int";
        }
        if (a instanceof Arg.FloatLit) {
            return "float";
        }
        if (a instanceof Arg.BoolLit) {
            return "bool";
        }
        if (a instanceof Value v && v.type() instanceof PrimitiveType p) {
            switch (p) {
                case INT:
                    return "int";
                case FLOAT:
                    return "float";
                case BOOL:
                    return "bool";
                default:
                    break;
            }
        }
        throw where.error("a symbolic operator takes ints, floats and bools, not " + dev.kiln.ir.Args.describe(a));
    }

    // --- arguments ---

    private Arg convert(Json argument) {
        Json.Union u = argument.union();
        Json v = u.value();
        switch (u.kind()) {
            case "as_none":
                return Arg.NONE;
            case "as_tensor":
                return value(v.field("name"));
            case "as_tensors":
                return listOf(v, e -> value(e.field("name")));
            case "as_optional_tensor":
                return optionalTensor(v);
            case "as_optional_tensors":
                return listOf(v, this::optionalTensor);
            case "as_int":
                return Arg.of(v.integer());
            case "as_ints":
                return listOf(v, e -> Arg.of(e.integer()));
            case "as_float":
                return Arg.of(v.number());
            case "as_floats":
                return listOf(v, e -> Arg.of(e.number()));
            case "as_bool":
                return Arg.of(v.bool());
            case "as_bools":
                return listOf(v, e -> Arg.of(e.bool()));
            case "as_string":
                return Arg.of(v.string());
            case "as_strings":
                return listOf(v, e -> Arg.of(e.string()));
            case "as_sym_int":
            case "as_sym_float":
            case "as_sym_bool":
                return symbolic(v);
            case "as_sym_ints":
            case "as_sym_floats":
            case "as_sym_bools":
                return listOf(v, this::symbolic);
            case "as_int_lists":
                return listOf(v, e -> listOf(e, x -> Arg.of(x.integer())));
            case "as_scalar_type":
                return new Arg.DTypeLit(scalarType(v));
            case "as_memory_format":
                return new Arg.MemoryFormatLit(memoryFormat(v));
            case "as_layout":
                return new Arg.LayoutLit(layout(v));
            case "as_device":
                return new Arg.DeviceLit(device(v));
            case "as_graph":
                throw argument.error("a subgraph argument (of a higher-order op) is not supported yet");
            default:
                throw argument.error("argument of kind '" + u.kind() + "' is not supported (Kiln reads tensors, "
                        + "scalars, lists, dtypes, layouts, devices and memory formats)");
        }
    }

    private Arg listOf(Json list, java.util.function.Function<Json, Arg> element) {
        List<Arg> out = new ArrayList<>();
        for (Json e : list.list()) {
            out.add(element.apply(e));
        }
        return Arg.list(out);
    }

    private Arg optionalTensor(Json j) {
        Json.Union u = j.union();
        switch (u.kind()) {
            case "as_tensor":
                return value(u.value().field("name"));
            case "as_none":
                return Arg.NONE;
            default:
                throw j.error("an optional tensor must be as_tensor or as_none, not " + u.kind());
        }
    }

    /** {@code {"as_name": n}} or a literal ({@code as_int}, {@code as_float}, {@code as_bool}). */
    private Arg symbolic(Json j) {
        Json.Union u = j.union();
        switch (u.kind()) {
            case "as_name":
                return value(u.value());
            case "as_int":
                return Arg.of(u.value().integer());
            case "as_float":
                return Arg.of(u.value().number());
            case "as_bool":
                return Arg.of(u.value().bool());
            default:
                throw j.error("a symbolic value must be as_name or a literal, not " + u.kind());
        }
    }

    private static DType scalarType(Json code) {
        int c = code.smallInt();
        return DType.fromExportCode(c).orElseThrow(() -> code.error("unknown dtype code " + c
                + " (export ScalarType numbering)"));
    }

    private static String memoryFormat(Json code) {
        int c = code.smallInt();
        switch (c) {
            case 1:
                return "contiguous_format";
            case 2:
                return "channels_last";
            case 3:
                return "channels_last_3d";
            case 4:
                return "preserve_format";
            default:
                throw code.error("unknown memory format code " + c);
        }
    }

    private static String layout(Json code) {
        int c = code.smallInt();
        String[] names = {null, "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn", "strided"};
        if (c <= 0 || c >= names.length) {
            throw code.error("unknown layout code " + c);
        }
        return names[c];
    }

    private static String device(Json d) {
        String type = d.field("type").string();
        Optional<Json> index = d.optField("index");
        return index.map(i -> type + ":" + i.integer()).orElse(type);
    }

    // --- values and types ---

    private void define(String name, Value v, Arg literal) {
        if (values.containsKey(name) || literals.containsKey(name)) {
            throw graphJson.error("the name '" + name + "' is defined twice; names in a program must be unique");
        }
        if (v != null) {
            values.put(name, v);
        } else {
            literals.put(name, literal);
        }
    }

    private Arg value(Json name) {
        String n = name.string();
        Value v = values.get(n);
        if (v != null) {
            return v;
        }
        Arg lit = literals.get(n);
        if (lit != null) {
            return lit;
        }
        throw name.error("refers to '" + n + "', which is not defined before this point");
    }

    private Value graphValue(Json name) {
        Arg a = value(name);
        if (a instanceof Value v) {
            return v;
        }
        throw name.error("the program returns the constant input '" + name.string() + "'; Kiln supports tensor and symbolic-int outputs");
    }

    private TensorType tensorType(String name, Json where) {
        TensorType cached = typeCache.get(name);
        if (cached != null) {
            return cached;
        }
        Json meta = tensorValues.get(name);
        if (meta == null) {
            throw where.error("the tensor '" + name + "' has no entry in graph.tensor_values");
        }
        DType dtype = scalarType(meta.field("dtype"));
        List<SymExpr> dims = new ArrayList<>();
        for (Json s : meta.field("sizes").list()) {
            dims.add(symInt(s));
        }
        TensorType t = new TensorType(dtype, Shape.of(dims));
        typeCache.put(name, t);
        return t;
    }

    /** A size: {@code {"as_int": n}} or {@code {"as_expr": {"expr_str": "...", "hint": ...}}}. */
    private SymExpr symInt(Json s) {
        Json.Union u = s.union();
        switch (u.kind()) {
            case "as_int":
                return SymExpr.of(u.value().integer());
            case "as_expr": {
                Json e = u.value();
                String text = e.isString() ? e.string() : e.field("expr_str").string();
                try {
                    return SymExprParser.parse(text, this::symbol);
                } catch (KilnException ex) {
                    throw e.error(ex.getMessage());
                }
            }
            default:
                throw s.error("a size must be as_int or as_expr, not " + u.kind());
        }
    }

    /** The symbol called {@code name}, declared in this graph; one missing from range_constraints is unbounded. */
    private Symbol symbol(String name) {
        Symbol s = symbols.get(name);
        if (s == null) {
            s = graph.declare(program.ranges().getOrDefault(name, new Symbol(name, 0, Symbol.UNBOUNDED)));
            symbols.put(name, s);
        }
        return s;
    }

    @Override
    public String toString() {
        return "ProgramImporter" + Arrays.asList(graph.name());
    }
}
