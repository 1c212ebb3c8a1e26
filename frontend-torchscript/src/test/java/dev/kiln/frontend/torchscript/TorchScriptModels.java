package dev.kiln.frontend.torchscript;

import dev.kiln.ir.ConstantTensor;
import dev.kiln.passes.eval.TorchEval;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * TorchScript models for tests, made and run by libtorch itself: {@link #save} compiles {@code forward}'s source with
 * libtorch's TorchScript compiler and saves it as {@code torch.jit.save} would; {@link #libtorch} is what libtorch's
 * TorchScript interpreter returns for the saved file (the reference). Every libtorch object is freed on return.
 * Shared with other modules' tests through this module's test jar.
 */
public final class TorchScriptModels {
    private TorchScriptModels() {
    }

    public static Path save(String source, Path dir, String name) {
        try (PointerScope scope = new PointerScope()) {
            JitModule m = new JitModule(new QualifiedName("M"));
            m.define(source);
            Path file = dir.resolve(name);
            m.save(file.toString());
            return file;
        }
    }

    /** Deletes {@code dir} and everything in it: the folder a property's models went to (jqwik has no {@code @TempDir}). */
    public static void deleteFolder(Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The outputs of the saved module on {@code x} (a copy: the module may write its input), a tuple flattened. */
    public static List<ConstantTensor> libtorch(Path file, ConstantTensor x) {
        return libtorch(file, List.of(x));
    }

    /** The outputs of the saved module on copies of {@code inputs}, a tuple flattened, a dict's values in order. */
    public static List<ConstantTensor> libtorch(Path file, List<ConstantTensor> inputs) {
        try (PointerScope scope = new PointerScope()) {
            JitModule m = org.bytedeco.pytorch.global.torch.load(file.toString());
            IValueVector args = new IValueVector();
            for (ConstantTensor x : inputs) {
                args.push_back(new IValue(TorchEval.toTorch(x).clone()));
            }
            IValue out = m.forward(args);
            List<ConstantTensor> result = new ArrayList<>();
            flatten(out, result);
            return result;
        }
    }

    /** {@code v}'s tensors in order: a tuple's or list's elements, a dict's values, nested ones flattened in turn. */
    private static void flatten(IValue v, List<ConstantTensor> out) {
        if (v.isTuple()) {
            var elems = v.toTuple().elements();
            for (long i = 0; i < elems.size(); i++) {
                flatten(elems.get(i), out);
            }
        } else if (v.isGenericDict()) {
            var dict = v.toGenericDict();
            for (var it = dict.begin(); !it.equals(dict.end()); it = it.increment()) {
                flatten(it.access().value(), out);
            }
        } else if (v.isList()) {
            var list = v.toList();
            for (long i = 0; i < list.size(); i++) {
                flatten(list.get(i), out);
            }
        } else {
            out.add(TorchEval.toConstant(v.toTensor()));
        }
    }

    /**
     * Asserts that {@code g}, converted from {@code file}, computes on {@code inputs} what libtorch computes from the file:
     * as many outputs, of the same sizes, every element within {@code tolerance}; {@code what} names the case in a
     * failure.
     */
    public static void assertComputesWhatLibtorchComputes(Path file, dev.kiln.ir.Graph g, List<ConstantTensor> inputs,
                                                          double tolerance, String what) {
        List<ConstantTensor> want = libtorch(file, inputs);
        List<ConstantTensor> got = dev.kiln.passes.eval.GraphEvaluator.run(g, inputs);
        org.assertj.core.api.Assertions.assertThat(got).as(what).hasSameSizeAs(want);
        for (int k = 0; k < want.size(); k++) {
            org.assertj.core.api.Assertions.assertThat(got.get(k).sizes()).as(what + "\noutput " + k).containsExactly(want.get(k).sizes());
            for (long i = 0; i < want.get(k).numel(); i++) {
                org.assertj.core.api.Assertions.assertThat(got.get(k).getDouble(i)).as(what + "\noutput " + k + " element " + i)
                        .isCloseTo(want.get(k).getDouble(i), org.assertj.core.data.Offset.offset(tolerance));
            }
        }
    }
}
