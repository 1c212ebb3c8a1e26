package dev.kiln.tck;

import dev.kiln.backend.tensorrt.ConverterRegistry;
import dev.kiln.backend.tensorrt.EngineBuilder;
import dev.kiln.backend.tensorrt.Profiles;
import dev.kiln.backend.tensorrt.UnsupportedNodes;
import dev.kiln.ir.ConstantTensor;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.npy.Npz;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.passes.Precision;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Shrinkable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The kit's own machinery on the CPU: packing, profiles, comparison, reproducers, determinism, shrinking. */
class KitTest {
    @TempDir
    Path dir;

    static final Arbitrary<OpCase> BINARY = Gen.draw(x -> {
        DType t = x.dtype(Gen.FLOATS);
        long[] s = x.shape(1, 4);
        return OpCase.of("aten::add.Tensor", x.tensor(t, s), x.tensor(t, x.broadcastWith(s)));
    });

    static List<EngineRun.Prepared> prepared(Arbitrary<OpCase> arb, int n, boolean dynamic) {
        List<EngineRun.Prepared> out = new ArrayList<>();
        ConverterConformance.inSession(() -> {
            for (Shrinkable<OpCase> s : ConverterConformance.sample(arb, n, 7, "kit")) {
                EngineRun.prepare(dynamic ? Gen.batchDynamic(s.value()) : s.value(), dynamic).ifPresent(out::add);
            }
        });
        return out;
    }

    @Test
    void aConverterThatFailsBroadlyStopsAfterTheFailureLimit(@org.junit.jupiter.api.io.TempDir Path repro) {
        // a bound no error meets: every case fails (the dry run compares libtorch with itself)
        OpDomain d = OpDomain.of("aten::abs", Gen.draw(x -> OpCase.of("aten::abs", x.tensor(DType.FLOAT32, x.shape(1, 3),
                Values.normal())))).dynamicBatch().tolerance(Tolerance.of(-1, -1, -1));
        ConverterConformance kit = new ConverterConformance() {
            @Override
            protected List<OpDomain> domains() {
                return List.of(d);
            }
        };
        TckConfig cfg = new TckConfig(100, 16, 10, 0, List.of(), 42, 1, 0, repro, 0, 1, List.of(), 15);
        ConverterConformance.DomainReport[] rep = new ConverterConformance.DomainReport[1];
        ConverterConformance.inSession(() -> rep[0] = kit.runDomain(d, cfg, new EngineRun(kit.registry(), 0, true)));
        // two packs of ten ran (the limit is checked between packs), the other 80 static and all 16 dynamic cases did not
        assertThat(rep[0].failures()).isEqualTo(20);
        assertThat(rep[0].cases()).isEqualTo(20);
        assertThat(rep[0].dynamic()).isZero();
        assertThat(rep[0].details()).anyMatch(l -> l.contains("stopped after 20 failing cases: 80 more static cases were not run"))
                .anyMatch(l -> l.contains("16 more dynamic cases were not run"));
        assertThat(TckConfig.fromSystemProperties().maxFailures()).isEqualTo(TckConfig.DEFAULT_MAX_FAILURES);
    }

    @Test
    void aResumedProcessSkipsWhatItIsTold() {
        TckConfig cfg = new TckConfig(1, 1, 1, 0, List.of("aten::conv*", "aten::relu"), 42, 1, 1, Path.of("x"), 0, 1,
                List.of("aten::conv2d", "aten::conv_transpose*"));
        assertThat(cfg.selects("aten::conv1d")).isTrue();
        assertThat(cfg.selects("aten::relu")).isTrue();
        assertThat(cfg.selects("aten::conv2d")).isFalse();
        assertThat(cfg.selects("aten::conv_transpose2d.input")).isFalse();
        assertThat(cfg.selects("aten::tanh")).isFalse();
        System.setProperty("kiln.tck.skip", "aten::relu, aten::sum*");
        try {
            TckConfig read = TckConfig.fromSystemProperties();
            assertThat(read.skip()).containsExactly("aten::relu", "aten::sum*");
            assertThat(read.selects("aten::relu")).isFalse();
            assertThat(read.selects("aten::sum.dim_IntList")).isFalse();
            assertThat(read.selects("aten::tanh")).isTrue();
        } finally {
            System.clearProperty("kiln.tck.skip");
        }
    }

    @Test
    void shardsSplitTheConvertersWithoutOverlap() {
        List<String> names = ConverterRegistry.standard().ops();
        int[] hits = new int[names.size()];
        for (int shard = 0; shard < 5; shard++) {
            TckConfig cfg = new TckConfig(1, 1, 1, 0, List.of(), 42, 1, 1, Path.of("x"), shard, 5);
            for (int k = 0; k < names.size(); k++) {
                if (cfg.selects(names.get(k))) {
                    hits[k]++;
                }
            }
        }
        assertThat(hits).containsOnly(1);
        System.setProperty("kiln.tck.shard", "2/3");
        try {
            assertThat(TckConfig.fromSystemProperties().shards()).isEqualTo(3);
        } finally {
            System.clearProperty("kiln.tck.shard");
        }
    }

    @Test
    void packedGraphsVerifyAndHaveProfiles() {
        for (boolean dynamic : new boolean[] {false, true}) {
            List<EngineRun.Prepared> cases = prepared(BINARY, 12, dynamic);
            assertThat(cases).hasSizeGreaterThan(5);
            Graph g = EngineRun.packed(cases);
            assertThat(Verifier.check(g)).isEmpty();
            UnsupportedNodes.requireAllSupported(g, ConverterRegistry.standard(), EngineBuilder.settingsFor(g, Precision.FP32));
            List<Profiles.InputProfile> p = Profiles.compute(g, List.of());
            int inputs = cases.stream().mapToInt(c -> c.feeds().get(0).size()).sum();
            int outputs = cases.stream().mapToInt(c -> c.expected().get(0).size()).sum();
            assertThat(p).hasSize(inputs);
            assertThat(g.outputs()).hasSize(outputs);
            assertThat(p.stream().anyMatch(Profiles.InputProfile::isDynamic)).isEqualTo(dynamic);
            if (dynamic) {
                // every case checked at its profile's minimum, nominal and maximum
                assertThat(cases.stream().filter(c -> !c.standalone().symbols().isEmpty())).allMatch(c -> c.points() == 3);
            }
        }
    }

    static final Arbitrary<OpCase> SPLIT_AND_SIZES = Gen.draw(x -> {
        long[] s = x.shape(1, 3);
        if (x.bool()) {
            // a list result: one prim::ListUnpack output per piece
            return OpCase.of("aten::split.Tensor", x.tensor(DType.FLOAT32, s), x.longBetween(1, 3), x.dim(s.length));
        }
        // a size node before the node under test
        return OpCase.of("aten::reshape", x.tensor(DType.FLOAT32, s).dynamic(0), List.of(new OpCase.SymSize(0, 0), -1L));
    });

    /** The pack as it was made before references were reused: every case appended (and evaluated) afresh. */
    static Graph packedAfresh(List<EngineRun.Prepared> cases) {
        boolean dynamic = cases.get(0).standalone().dynamic();
        Graph g = new Graph("tck_pack");
        List<CaseGraph> packed = new ArrayList<>();
        List<dev.kiln.ir.Value> outs = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            CaseGraph c = CaseGraph.append(g, cases.get(i).opCase(), cases.size() == 1 ? "" : "c" + i + "_", dynamic);
            packed.add(c);
            outs.addAll(c.outputs());
        }
        g.setOutputs(outs);
        if (dynamic) {
            CaseGraph.finishTypes(g, packed);
        }
        return g;
    }

    @Test
    void packingReusesReferencesAndMakesTheSameGraph() {
        for (Arbitrary<OpCase> arb : List.of(BINARY, SPLIT_AND_SIZES)) {
            for (boolean dynamic : new boolean[] {false, true}) {
                List<EngineRun.Prepared> cases = prepared(arb, 10, dynamic);
                assertThat(cases).hasSizeGreaterThan(3);
                for (List<EngineRun.Prepared> pack : List.of(cases, cases.subList(0, 1))) {
                    assertThat(IrPrinter.print(EngineRun.packed(pack))).isEqualTo(IrPrinter.print(packedAfresh(pack)));
                }
            }
        }
    }

    @Test
    void casesAreDeterministicPerSeed() {
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        ConverterConformance.inSession(() -> {
            ConverterConformance.sample(BINARY, 5, 3, "x").forEach(s -> a.add(s.value().text()));
            ConverterConformance.sample(BINARY, 5, 3, "x").forEach(s -> b.add(s.value().text()));
        });
        assertThat(a).isEqualTo(b);
        TensorSpec t = TensorSpec.of(DType.FLOAT16, 3, 4).with(Values.normal().withNonFinite()).withSeed(9);
        assertThat(t.materialize().numel()).isEqualTo(12);
        assertThat(Comparison.error(t.materialize(), t.materialize())).isZero();
    }

    @Test
    void shrinkingReachesSmallerCases() {
        ConverterConformance.inSession(() -> {
            Shrinkable<OpCase> s = ConverterConformance.sample(BINARY, 1, 11, "shrink").get(0);
            Optional<Shrinkable<OpCase>> smaller = s.shrink().findFirst();
            assertThat(smaller).isPresent();
            assertThat(smaller.get().distance().compareTo(s.distance())).isLessThanOrEqualTo(0);
        });
    }

    @Test
    void aBuildWithoutALevelZeroKernelIsRetriedAtTheDefaultLevel() {
        String noKernel = "TensorRT could not build the engine: Could not find any implementation for node aten::conv2d conv2d_3.";
        assertThat(EngineRun.retryAtDefaultLevel(0, noKernel)).isTrue();
        assertThat(EngineRun.retryAtDefaultLevel(-1, noKernel)).as("already at the default level").isFalse();
        assertThat(EngineRun.retryAtDefaultLevel(0, "softmax: at least 2 dimensions are required for input.")).isFalse();
        assertThat(EngineRun.retryAtDefaultLevel(0, null)).isFalse();
    }

    @Test
    void aFloorComparesAnAllZeroReferenceByAbsoluteError() {
        // measured on the H200: layer_norm over one f16 element, TensorRT 0.0 and libtorch -2.69e-5
        ConstantTensor want = ConstantTensor.ofFloats(new long[] {2}, 0f, -2.69e-5f);
        ConstantTensor got = ConstantTensor.ofFloats(new long[] {2}, 0f, 0f);
        Tolerance norm = Tolerance.DEFAULT.scaled(10);
        assertThat(Comparison.mismatch(List.of(want), List.of(got), norm, e -> { })).isPresent();
        assertThat(Comparison.mismatch(List.of(want), List.of(got), norm.relativeToAtLeast(1), e -> { })).isEmpty();
        // the floor only lowers the error below it: a unit-scale output still compares relatively
        ConstantTensor big = ConstantTensor.ofFloats(new long[] {1}, 4f);
        ConstantTensor off = ConstantTensor.ofFloats(new long[] {1}, 4.5f);
        assertThat(Comparison.error(big, off, 1)).isEqualTo(Comparison.error(big, off));
        assertThat(norm.relativeToAtLeast(1).text()).contains("relative to at least 1.0e+00");
    }

    @Test
    void aCancellingSumComparesRelativeToItsInputs() {
        // measured on the H200: f16 rsub with alpha -1.336 nearly cancels; libtorch's CPU kernel (alpha rounded to
        // f16 first) 0.072265625, TensorRT (f32, rounded once) 0.0712890625
        ConstantTensor want = ConstantTensor.scalar(DType.FLOAT16, 0.072265625);
        ConstantTensor got = ConstantTensor.scalar(DType.FLOAT16, 0.0712890625);
        List<ConstantTensor> inputs = List.of(ConstantTensor.scalar(DType.FLOAT16, 1.5), ConstantTensor.scalar(DType.FLOAT16, -1.07),
                ConstantTensor.ofLongs(new long[] {1}, 1_000_000));
        Tolerance sum = Tolerance.DEFAULT.relativeToInputs();
        assertThat(Comparison.mismatch(List.of(want), List.of(got), Tolerance.DEFAULT.forInputs(inputs), e -> { })).isPresent();
        assertThat(Comparison.mismatch(List.of(want), List.of(got), sum.forInputs(inputs), e -> { })).isEmpty();
        // the floor is the largest finite float input (integers and non-finite values do not count), never below the floor
        assertThat(sum.forInputs(inputs).floor()).isEqualTo(1.5);
        assertThat(sum.forInputs(List.of(ConstantTensor.ofFloats(new long[] {2}, Float.POSITIVE_INFINITY, 1e-9f))).floor())
                .isEqualTo(Tolerance.DEFAULT.floor());
        // a wrong sum is still wrong: off by 10% of the inputs' scale
        ConstantTensor wrong = ConstantTensor.scalar(DType.FLOAT16, 0.22);
        assertThat(Comparison.mismatch(List.of(want), List.of(wrong), sum.forInputs(inputs), e -> { })).isPresent();
        assertThat(sum.text()).contains("largest input magnitude");
        assertThat(sum.scaled(2).inputScaled()).isTrue();
    }

    @Test
    void theUsedFractionOfTheBoundIsReportedPerFloatOutput() {
        ConstantTensor want = ConstantTensor.ofFloats(new long[] {2}, 1f, 2f);
        ConstantTensor got = ConstantTensor.ofFloats(new long[] {2}, 1f, 2.0001f);
        double[] used = new double[1];
        assertThat(Comparison.mismatch(List.of(want), List.of(got), Tolerance.DEFAULT, e -> { }, u -> used[0] = u)).isEmpty();
        // error 1e-4 / 2 = 5e-5 of the f32 bound 1e-4: half of it
        assertThat(used[0]).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void comparisonMatchesNonFiniteExactlyAndScalesByTheReference() {
        ConstantTensor want = ConstantTensor.ofFloats(new long[] {4}, 1f, Float.NaN, Float.POSITIVE_INFINITY, -2f);
        ConstantTensor same = ConstantTensor.ofFloats(new long[] {4}, 1f, Float.NaN, Float.POSITIVE_INFINITY, -2.0001f);
        ConstantTensor wrongInf = ConstantTensor.ofFloats(new long[] {4}, 1f, Float.NaN, Float.NEGATIVE_INFINITY, -2f);
        assertThat(Comparison.error(want, same)).isLessThan(1e-4);
        assertThat(Comparison.error(want, wrongInf)).isInfinite();
        assertThat(Comparison.mismatch(List.of(want), List.of(wrongInf), Tolerance.DEFAULT, e -> { })).isPresent();
        ConstantTensor ints = ConstantTensor.ofLongs(new long[] {2}, 1, 2);
        ConstantTensor off = ConstantTensor.ofLongs(new long[] {2}, 1, 3);
        assertThat(Comparison.mismatch(List.of(ints), List.of(off), Tolerance.DEFAULT, e -> { })).isPresent();
    }

    @Test
    void reproducersHoldTheGraphAndTheData() throws Exception {
        EngineRun.Prepared p = prepared(BINARY, 1, false).get(0);
        Path d = Reproducer.write(dir, "aten::add.Tensor", 1, p.standalone(), "output 0 differs", CaseGraph.NOMINAL, p.feeds().get(0),
                p.expected().get(0), List.of());
        assertThat(Files.readString(d.resolve("case.kir"))).contains("aten::add.Tensor");
        assertThat(Npz.read(d.resolve("inputs.npz"))).containsKeys("x0", "x1");
        assertThat(Npz.read(d.resolve("expected.npz"))).containsKey("y0");
        assertThat(Files.readString(d.resolve("README.txt"))).contains("output 0 differs");
    }
}
