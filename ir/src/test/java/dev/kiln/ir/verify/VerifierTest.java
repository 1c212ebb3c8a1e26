package dev.kiln.ir.verify;

import dev.kiln.ir.Arg;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.IrTestAccess;
import dev.kiln.ir.KilnException;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimitiveType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.SourceLocation;
import dev.kiln.ir.SymExpr;
import dev.kiln.ir.Symbol;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.schema.SchemaRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerifierTest {
    private static final SchemaRegistry REG = SchemaRegistry.standard();
    private static final TensorType T = new TensorType(DType.FLOAT32, Shape.of(2, 3));

    private Graph g;
    private Value x;

    @BeforeEach
    void setUp() {
        g = new Graph("g");
        x = g.addInput("x", T);
    }

    private Node relu(Value in) {
        return g.append(REG.get("aten::relu"), List.of(in), List.of(T));
    }

    private List<String> problems() {
        return Verifier.check(g);
    }

    @Test
    void aWellFormedGraphHasNoProblems() {
        Node r = relu(x);
        r.setLocation(new SourceLocation("m.py", 3));
        Node n = g.append(REG.get("aten::sym_size.int"), List.of(r.output(), Arg.of(0)), List.of(PrimitiveType.INT));
        Node v = g.append(REG.get("aten::view"), List.of(r.output(), Arg.list(List.of(n.output(), Arg.of(-1)))), List.of(T));
        Node c = g.append(REG.get("aten::conv2d"), List.of(v.output(), x, Arg.NONE, Arg.ints(1, 1), Arg.of(0), Arg.ints(1, 1), Arg.of(1)), List.of(T));
        Node cat = g.append(REG.get("aten::cat"), List.of(Arg.list(List.of(c.output(), x)), Arg.of(0)), List.of(T));
        Node split = g.append(REG.get("aten::split.Tensor"), List.of(cat.output(), n.output(), Arg.of(0)), List.of(new ListType(T)));
        Node to = g.append(REG.get("aten::to.dtype"), List.of(x, Arg.of(DType.FLOAT16), Arg.of(false), Arg.of(false), Arg.NONE), List.of(T));
        g.append(REG.get("aten::_assert_async.msg"), List.of(to.output(), Arg.of("ok")), List.of());
        g.setOutputs(List.of(split.output(), to.output()));
        assertThat(problems()).isEmpty();
        Verifier.verify(g);
    }

    @Test
    void useBeforeDefinition() {
        Node a = relu(x);
        Node b = relu(a.output());
        g.moveBefore(b, a);
        g.setOutputs(List.of(b.output()));
        assertThat(problems()).containsExactly(
                "node relu_1 (aten::relu): argument %relu is used before it is defined (nodes must be in topological order)");
    }

    @Test
    void removedValuesAndValuesOfOtherGraphs() {
        Node gone = relu(x);
        g.remove(gone);
        Node user = relu(x);
        user.setLocation(new SourceLocation("m.py", 7));
        user.setArg(0, gone.output());
        Graph other = new Graph("other");
        Value foreign = other.addInput("y", T);
        Node user2 = relu(x);
        user2.setArg(0, foreign);
        g.setOutputs(List.of(gone.output()));
        assertThat(problems()).containsExactly(
                "node relu (aten::relu) at m.py:7: argument %relu was removed from the graph",
                "node relu_1 (aten::relu): argument %y belongs to another graph (@other)",
                "graph output 0 %relu was removed from the graph");
    }

    @Test
    void duplicateNames() {
        Node a = relu(x);
        IrTestAccess.forceName(a.output(), "x");
        assertThat(problems()).containsExactly("node relu (aten::relu): output %x: the name is used by another value too");
    }

    @Test
    void argumentCountAndTypes() {
        g.append(REG.get("aten::relu"), List.of(x, x), List.of(T));
        g.append(REG.get("aten::add.Tensor"), List.of(x, x, Arg.of("two")), List.of(T));
        g.append(REG.get("aten::conv2d"), List.of(x, Arg.of(1), Arg.NONE, Arg.floats(1.5), Arg.of(0), Arg.ints(1, 1), Arg.of(true)), List.of(T));
        Value f = g.addInput("f", PrimitiveType.FLOAT);
        g.append(REG.get("aten::sym_size.int"), List.of(x, f), List.of(PrimitiveType.INT));
        g.append(REG.get("aten::to.dtype"), List.of(x, Arg.of("f16"), Arg.of(false), Arg.of(false), Arg.of(3)), List.of(T));
        g.append(REG.get("aten::cat"), List.of(Arg.list(List.of(x, Arg.NONE)), Arg.of(0)), List.of(T));
        g.append(REG.get("aten::clamp"), List.of(x, Arg.NONE, Arg.of(2.0)), List.of(T));
        assertThat(problems()).containsExactly(
                "node relu (aten::relu): has 2 arguments but the schema aten::relu takes 1",
                "node add (aten::add.Tensor): argument 'alpha' (Scalar) is \"two\": expected a number literal or a numeric value",
                "node conv2d (aten::conv2d): argument 'weight' (Tensor) is 1: expected a tensor value",
                "node conv2d (aten::conv2d): argument 'stride' (SymInt[2]) is [1.5]: element 0: expected an int literal or an int value",
                "node conv2d (aten::conv2d): argument 'groups' (SymInt) is true: expected an int literal or an int value",
                "node sym_size (aten::sym_size.int): argument 'dim' (int) is %f of type float: a value of type float cannot be passed as int",
                "node to (aten::to.dtype): argument 'dtype' (ScalarType) is \"f16\": expected a dtype<..> literal or an int",
                "node cat (aten::cat): argument 'tensors' (Tensor[]) is [%x, none]: element 1: expected a tensor value");
    }

    @Test
    void outputCountAndKinds() {
        g.append(REG.get("aten::max.dim"), List.of(x, Arg.of(1), Arg.of(false)), List.of(T));
        g.append(REG.get("aten::relu"), List.of(x), List.of(PrimitiveType.INT));
        g.append(REG.get("aten::sym_size.int"), List.of(x, Arg.of(0)), List.of(T));
        g.append(REG.get("aten::split.Tensor"), List.of(x, Arg.of(1), Arg.of(0)), List.of(T));
        assertThat(problems()).containsExactly(
                "node max (aten::max.dim): has 1 outputs but the schema aten::max.dim returns 2",
                "node relu (aten::relu): output %relu has type int but the schema returns Tensor",
                "node sym_size (aten::sym_size.int): output %sym_size has type tensor<f32, [2, 3]> but the schema returns SymInt",
                "node split (aten::split.Tensor): output %split has type tensor<f32, [2, 3]> but the schema returns Tensor[]");
    }

    @Test
    void symbolsMustBeDeclaredWithTheirRange() {
        Symbol s0 = g.declare(new Symbol("s0", 1, 64));
        Node r = relu(x);
        r.output().setType(new TensorType(DType.FLOAT32, Shape.of(SymExpr.of(new Symbol("s0", 1, 8)))));
        Node q = relu(x);
        q.output().setType(new TensorType(DType.FLOAT32, Shape.of(SymExpr.mul(SymExpr.of(2), SymExpr.of(new Symbol("s7", 0, 4))))));
        x.setType(new TensorType(DType.FLOAT32, Shape.of(SymExpr.of(s0))));
        assertThat(problems()).containsExactly(
                "node relu (aten::relu): output %relu: type tensor<f32, [s0]> uses symbol s0 in [1, 8] but the graph declares s0 in [1, 64]",
                "node relu_1 (aten::relu): output %relu_1: type tensor<f32, [2*s7]> uses symbol s7, which the graph does not declare");
    }

    @Test
    void verifyThrowsOneExceptionListingEveryProblem() {
        g.append(REG.get("aten::relu"), List.of(x, x), List.of(T));
        g.append(REG.get("aten::relu"), List.of(Arg.of(1)), List.of(T));
        assertThatThrownBy(() -> Verifier.verify(g)).isInstanceOf(KilnException.class)
                .hasMessage("graph @g is malformed (2 problems):\n"
                        + "  node relu (aten::relu): has 2 arguments but the schema aten::relu takes 1\n"
                        + "  node relu_1 (aten::relu): argument 'self' (Tensor) is 1: expected a tensor value");
    }

    @Test
    void nestedGraphsAreChecked() {
        Node r = relu(x);
        Graph body = new Graph("body");
        Value a = body.addInput("a", T);
        body.append(REG.get("aten::relu"), List.of(a, a), List.of(T));
        r.addSubgraph(body);
        assertThat(problems()).containsExactly(
                "node relu (aten::relu): in nested graph @body: node relu (aten::relu): has 2 arguments but the schema aten::relu takes 1");
    }
}
