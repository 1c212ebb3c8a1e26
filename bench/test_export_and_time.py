"""Tests of bench/export_and_time.py without torch.

ExportOnnxTest, CompileWorkersTest, SummaryLineTest, RunPoolTest, InductorPoolTest, ModeOptionsTest, EnvironmentTest, ResumeTest and AutotuningCarryTest need nothing but Python (CI runs them: .ci/run);
OnnxProblemTest needs the onnx package, which the GPU machine has (tools/gpu/checks.sh runs the whole file there).
"""
import argparse
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_and_time as bench  # noqa: E402


class FakeExporters:
    """export= for export_onnx: writes each kind's name into the file, or raises for the kinds told to fail."""

    def __init__(self, failing=()):
        self.failing = set(failing)
        self.calls = []

    def __call__(self, kind, model, inputs, path, in_names, out_names):
        self.calls.append(kind)
        if kind in self.failing:
            raise RuntimeError(f"{kind} cannot export this")
        with open(path, "w") as f:
            f.write(kind)


def checker(invalid_kinds):
    """check= for export_onnx: a model written by one of invalid_kinds is invalid."""
    def check(path):
        with open(path) as f:
            kind = f.read()
        return f"{kind} wrote a float32 LayerNorm input with float16 weights" if kind in invalid_kinds else None
    return check


class ExportOnnxTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "m.fp16.onnx")

    def tearDown(self):
        self.dir.cleanup()

    def export(self, exporters, check, order="auto"):
        return bench.export_onnx(None, [], self.path, ["x0"], ["y0"], order, export=exporters, check=check)

    def written(self):
        with open(self.path) as f:
            return f.read()

    def test_a_valid_legacy_export_is_kept(self):
        ex = FakeExporters()
        self.assertEqual(self.export(ex, checker(())), "legacy")
        self.assertEqual(ex.calls, ["legacy"])
        self.assertEqual(self.written(), "legacy")

    def test_an_invalid_legacy_export_falls_back_to_dynamo(self):
        ex = FakeExporters()
        self.assertEqual(self.export(ex, checker({"legacy"})), "dynamo")
        self.assertEqual(ex.calls, ["legacy", "dynamo"])
        self.assertEqual(self.written(), "dynamo")
        self.assertEqual(os.listdir(self.dir.name), ["m.fp16.onnx"], "the invalid export is not left behind")

    def test_when_every_export_is_invalid_the_first_is_kept_and_the_reason_returned(self):
        got = self.export(FakeExporters(), checker({"legacy", "dynamo"}))
        self.assertTrue(got.startswith("legacy (invalid: "), got)
        self.assertIn("legacy wrote a float32 LayerNorm input", got)
        self.assertIn("dynamo wrote a float32 LayerNorm input", got)
        self.assertEqual(self.written(), "legacy")
        self.assertEqual(os.listdir(self.dir.name), ["m.fp16.onnx"])

    def test_an_invalid_export_is_kept_when_the_other_exporter_fails(self):
        got = self.export(FakeExporters(failing={"dynamo"}), checker({"legacy"}))
        self.assertTrue(got.startswith("legacy (invalid: "), got)
        self.assertIn("dynamo: RuntimeError: dynamo cannot export this", got)
        self.assertEqual(self.written(), "legacy")

    def test_when_every_exporter_fails_the_error_names_both(self):
        with self.assertRaises(RuntimeError) as e:
            self.export(FakeExporters(failing={"legacy", "dynamo"}), checker(()))
        self.assertIn("legacy: RuntimeError", str(e.exception))
        self.assertIn("dynamo: RuntimeError", str(e.exception))
        self.assertFalse(os.path.exists(self.path))

    def test_a_model_in_training_mode_is_refused(self):
        class Training:
            training = True
        with self.assertRaisesRegex(ValueError, "training mode; call eval"):
            bench.export_onnx(Training(), [], self.path, ["x0"], ["y0"], "auto", export=FakeExporters(), check=checker(()))

    def test_a_named_exporter_is_the_only_one_tried(self):
        ex = FakeExporters()
        got = self.export(ex, checker({"dynamo"}), order="dynamo")
        self.assertTrue(got.startswith("dynamo (invalid: "), got)
        self.assertEqual(ex.calls, ["dynamo"])


class OnnxProblemTest(unittest.TestCase):
    """The real checker on the pattern the legacy exporter wrote for BERT and the GPT-2 blocks in FP16 (H200,
    2026-12-05: TensorRT's parser refused '/m/h.0/ln_2/LayerNormalization: INormalizationLayer input and scale must
    have identical types')."""

    def model(self, x_type):
        import numpy as np
        from onnx import TensorProto, helper
        x = helper.make_tensor_value_info("x", x_type, [2, 4])
        y = helper.make_tensor_value_info("y", x_type, [2, 4])
        scale = helper.make_tensor("s", TensorProto.FLOAT16, [4], np.ones(4, np.float16).tobytes(), raw=True)
        bias = helper.make_tensor("b", TensorProto.FLOAT16, [4], np.zeros(4, np.float16).tobytes(), raw=True)
        ln = helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=-1)
        graph = helper.make_graph([ln], "ln", [x], [y], [scale, bias])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

    def check(self, x_type):
        import onnx
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "ln.onnx")
            onnx.save(self.model(x_type), path)
            return bench.onnx_problem(path)

    def test_a_float32_input_with_float16_weights_is_invalid(self):
        from onnx import TensorProto
        problem = self.check(TensorProto.FLOAT)
        self.assertIsNotNone(problem)
        self.assertIn("LayerNormalization", problem)

    def test_all_float16_is_valid(self):
        from onnx import TensorProto
        self.assertIsNone(self.check(TensorProto.FLOAT16))


FAKE_WORKER = r"""
import json, os, sys, time
args = sys.argv[1:]
def opt(name, default=None):
    return args[args.index(name) + 1] if name in args else default
workdir, group, model, records = args[0], opt("--worker"), opt("--worker-model"), opt("--records")
warm = "--warm-only" in args
with open(os.path.join(workdir, "log.jsonl"), "a") as f:
    f.write(json.dumps({"model": model, "warm": warm, "start": time.time(), "inductor_log": "--inductor-log" in args,
                        "inductor_pool": opt("--inductor-pool")}) + "\n")
open(os.path.join(os.environ["TORCHINDUCTOR_CACHE_DIR"], "fxgraph"), "a").close()  # what Inductor leaves there
slow = os.path.join(workdir, "slow-" + model)
if warm and os.path.exists(slow):  # the first compile of this model runs out of time, once
    os.remove(slow)
    with open(records, "a") as f:  # one peer compiled before the time ran out
        f.write(json.dumps({"model": model, "batch": 1, "peer": group + "-fp32", "status": "warmed",
                            "compile_s": 10.0, "inductor_cache": opt("--cache-state"),
                            "concurrent_compiles": int(opt("--concurrent"))}) + "\n")
    time.sleep(60)
have = {(int(x.split(":")[0]), x.split(":")[1]) for x in (opt("--skip-peers") or "").split(",") if x}
if warm and os.path.exists(records):
    with open(records) as f:
        have |= {(r["batch"], r["peer"]) for r in map(json.loads, f) if r.get("status") == "warmed"}
time.sleep(0.5)
for batch in (1, 32):
    for prec in ("fp32", "fp16"):
        peer = group + "-" + prec
        if (batch, peer) in have:
            continue
        rec = {"model": model, "batch": batch, "peer": peer, "precision": prec}
        if warm:
            rec.update({"status": "warmed", "compile_s": 50.0, "inductor_cache": opt("--cache-state"),
                        "concurrent_compiles": int(opt("--concurrent"))})
        else:
            rec.update({"status": "ok", "compile_s": 2.0, "latency_ms": {"median": 1.0}})
        with open(records, "a") as f:
            f.write(json.dumps(rec) + "\n")
with open(os.path.join(workdir, "log.jsonl"), "a") as f:
    f.write(json.dumps({"model": model, "warm": warm, "end": time.time()}) + "\n")
"""


class CompileWorkersTest(unittest.TestCase):
    """run_compile_group with a fake worker (no torch): the two phases of --compile-procs, and a model whose
    compile runs out of time finishing at the next call."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.work = self.dir.name
        os.makedirs(os.path.join(self.work, "results"))
        fake = os.path.join(self.work, "fake_worker.py")
        with open(fake, "w") as f:
            f.write(FAKE_WORKER)
        self.saved = (bench.WORKER, bench.MIN_WORKER_S, bench.RESERVE_S)
        bench.WORKER, bench.MIN_WORKER_S, bench.RESERVE_S = [sys.executable, fake], 1, 0
        self.measurements, self.skipped = [], []

    def tearDown(self):
        bench.WORKER, bench.MIN_WORKER_S, bench.RESERVE_S = self.saved
        self.dir.cleanup()

    def run_group(self, models, procs, limit=20, inductor_log=False, inductor_pool="auto"):
        a = argparse.Namespace(workdir=self.work, models=models, iters=10, warmup=1, max_seconds=1.0,
                               compile_procs=procs, redo=False, inductor_log=inductor_log, inductor_pool=inductor_pool)
        entries = [{"model": m, "batch": b} for m in models for b in (1, 32)]
        ok = lambda m, b, p: any((r["model"], r["batch"], r["peer"], r["status"]) == (m, b, p, "ok")
                                 for r in self.measurements)

        def put(rec):
            self.measurements[:] = [r for r in self.measurements
                                    if (r["model"], r["batch"], r["peer"]) != (rec["model"], rec["batch"], rec["peer"])]
            self.measurements.append(rec)
        self.skipped = []
        bench.run_compile_group("autotune", limit, entries, a, bench.Clock(600), ok, put, self.skipped)

    def record(self, model, batch, peer):
        return next(r for r in self.measurements if (r["model"], r["batch"], r["peer"]) == (model, batch, peer))

    def log(self):
        with open(os.path.join(self.work, "log.jsonl")) as f:
            return [json.loads(line) for line in f]

    def test_models_compile_side_by_side_then_are_timed_alone_with_the_first_compile_time(self):
        self.run_group(["resnet50", "vit_b_16"], procs=2)
        self.assertEqual(len(self.measurements), 8)
        r = self.record("vit_b_16", 32, "autotune-fp16")
        self.assertEqual((r["status"], r["compile_s"], r["compile_warm_s"]), ("ok", 50.0, 2.0))
        self.assertEqual((r["inductor_cache"], r["concurrent_compiles"]), ("cold", 2))
        log = self.log()
        warm = {e["model"]: e for e in log if e["warm"] and "start" in e}
        warm_end = {e["model"]: e["end"] for e in log if e["warm"] and "end" in e}
        timed = sorted((e["start"], e["model"]) for e in log if not e["warm"] and "start" in e)
        # the two compiles overlapped; every timed run started after both had ended, one after the other
        self.assertLess(warm["vit_b_16"]["start"], warm_end["resnet50"])
        self.assertLess(warm["resnet50"]["start"], warm_end["vit_b_16"])
        self.assertGreater(timed[0][0], max(warm_end.values()))
        self.assertEqual([m for _, m in timed], ["resnet50", "vit_b_16"])

    def test_a_compile_that_runs_out_of_time_continues_at_the_next_call(self):
        open(os.path.join(self.work, "slow-resnet50"), "w").close()
        self.run_group(["resnet50", "vit_b_16"], procs=2, limit=3)
        self.assertEqual({r["model"] for r in self.measurements}, {"vit_b_16"})
        self.assertEqual(len(self.skipped), 1)
        self.assertIn("resnet50: not yet compiled", self.skipped[0])
        self.assertIn("autotune-fp16 batch 1", self.skipped[0])
        self.assertNotIn("autotune-fp32 batch 1", self.skipped[0])  # compiled before the time ran out

        self.run_group(["resnet50", "vit_b_16"], procs=2, limit=3)
        self.assertEqual(len(self.measurements), 8, self.skipped)
        first = self.record("resnet50", 1, "autotune-fp32")  # compiled cold by the first call
        self.assertEqual((first["compile_s"], first["inductor_cache"]), (10.0, "cold"))
        self.assertNotIn("compile_timed_out_s", first)
        later = self.record("resnet50", 32, "autotune-fp32")  # compiled by the second, from the first's cache
        self.assertEqual((later["compile_s"], later["inductor_cache"], later["compile_timed_out_s"]), (50.0, "warm", 3.0))
        # vit_b_16 was not compiled or timed again
        self.assertEqual(sum(1 for e in self.log() if e["model"] == "vit_b_16" and "start" in e), 2)

    def test_inductor_log_and_pool_reach_every_worker_of_both_phases(self):
        self.run_group(["resnet50"], procs=2, inductor_log=True, inductor_pool="threads")
        starts = [e for e in self.log() if "start" in e]
        self.assertEqual(sorted(e["warm"] for e in starts), [False, True])
        self.assertTrue(all(e["inductor_log"] and e["inductor_pool"] == "threads" for e in starts))
        self.run_group(["vit_b_16"], procs=1)
        vit = [e for e in self.log() if "start" in e and e["model"] == "vit_b_16"][0]
        self.assertEqual((vit["inductor_log"], vit["inductor_pool"]), (False, "auto"))

    def test_peers_an_earlier_call_measured_are_not_measured_again(self):
        earlier = [{"model": "resnet50", "batch": 1, "peer": f"autotune-{p}", "status": "ok", "compile_s": 99.0}
                   for p in ("fp32", "fp16")]
        self.measurements.extend(earlier)
        self.run_group(["resnet50"], procs=1)
        self.assertEqual(len(self.measurements), 4)
        self.assertEqual(self.record("resnet50", 1, "autotune-fp16")["compile_s"], 99.0)
        self.assertEqual(self.record("resnet50", 32, "autotune-fp16")["compile_s"], 2.0)

    def test_one_process_compiles_and_times_each_model_in_turn(self):
        self.run_group(["resnet50"], procs=1)
        r = self.record("resnet50", 1, "autotune-fp16")
        self.assertEqual((r["compile_s"], r["inductor_cache"]), (2.0, "cold"))
        self.assertNotIn("compile_warm_s", r)
        self.assertEqual([e["warm"] for e in self.log() if "start" in e], [False])


class SummaryLineTest(unittest.TestCase):
    def test_a_compile_only_record_has_a_summary_line(self):
        # a "warmed" record (status not ok, no error) once raised KeyError in the GPU run's workers (H200, 2026-12-05)
        line = bench.summary_line({"model": "vit_b_16", "batch": 1, "peer": "autotune-fp32", "status": "warmed",
                                   "compile_s": 80.49})
        self.assertIn("status=warmed", line)
        self.assertIn("compile_s=80.49", line)
        self.assertNotIn("error=", line)

    def test_an_error_is_in_the_summary_line(self):
        line = bench.summary_line({"model": "m", "batch": 1, "peer": "autotune-fp16", "status": "error",
                                   "error": "RuntimeError: boom"})
        self.assertIn("error='RuntimeError: boom'", line)


class RunPoolTest(unittest.TestCase):
    def test_a_job_out_of_time_is_killed_with_what_it_started(self):
        with tempfile.TemporaryDirectory() as d:
            pid_file = os.path.join(d, "pid")
            script = ("import subprocess, time; p = subprocess.Popen(['sleep', '60']); "
                      f"open({pid_file!r}, 'w').write(str(p.pid)); time.sleep(60)")
            saved = bench.MIN_WORKER_S
            bench.MIN_WORKER_S = 1
            try:
                t0 = time.time()
                got = bench.run_pool([{"name": "j", "cmd": [sys.executable, "-c", script]}], 1, lambda: 1.5)
            finally:
                bench.MIN_WORKER_S = saved
            self.assertEqual(got, {"j": "timed out after 2 s"})
            self.assertLess(time.time() - t0, 10)
            with open(pid_file) as f:
                pid = int(f.read())
            time.sleep(0.2)
            self.assertFalse(running(pid), f"the worker's child {pid} outlived it")

    def test_a_job_gets_the_budget_left_when_it_starts_and_none_below_the_minimum(self):
        limits = iter([40.0, 5.0])
        got = bench.run_pool([{"name": "a", "cmd": lambda limit: [sys.executable, "-c", f"assert {limit} == 40.0"]},
                              {"name": "b", "cmd": [sys.executable, "-c", "pass"]}], 1, lambda: next(limits))
        self.assertEqual(got, {"a": "ok", "b": "deadline"})

    def test_a_failing_job_reports_its_exit_status(self):
        got = bench.run_pool([{"name": "x", "cmd": [sys.executable, "-c", "raise SystemExit(3)"]}], 2, lambda: 60)
        self.assertEqual(got, {"x": "exit 3"})


def running(pid):
    """Whether pid is a live process (not gone, not a zombie waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


class InductorPoolTest(unittest.TestCase):
    """--inductor-pool against a stand-in for the two torch 2.11 names it touches (no torch here)."""

    def fake_torch(self, with_selector=True):
        import types
        from unittest import mock
        seen = []

        class AsyncCompile:
            @classmethod
            def use_process_pool(cls):
                return True

        class AlgorithmSelectorCache:
            def make_precompile_fn(self, choices, name, inputs_key, precompilation_timeout_seconds=3600):
                seen.append(AsyncCompile().use_process_pool())  # what Inductor's own check reads
                return (choices, name, inputs_key, precompilation_timeout_seconds)

        torch, inductor = types.ModuleType("torch"), types.ModuleType("torch._inductor")
        async_compile, select_algorithm = (types.ModuleType("torch._inductor.async_compile"),
                                           types.ModuleType("torch._inductor.select_algorithm"))
        config = types.ModuleType("torch._inductor.config")
        config.compile_threads = 16
        async_compile.AsyncCompile = AsyncCompile
        if with_selector:
            select_algorithm.AlgorithmSelectorCache = AlgorithmSelectorCache
        torch._inductor = inductor
        inductor.async_compile, inductor.select_algorithm, inductor.config = async_compile, select_algorithm, config
        modules = {"torch": torch, "torch._inductor": inductor, "torch._inductor.async_compile": async_compile,
                   "torch._inductor.select_algorithm": select_algorithm, "torch._inductor.config": config}
        patch = mock.patch.dict(sys.modules, modules)
        patch.start()
        self.addCleanup(patch.stop)
        return AlgorithmSelectorCache, AsyncCompile, config, seen

    def test_split_hides_the_pool_from_candidate_precompilation_only(self):
        selector, async_compile, config, seen = self.fake_torch()
        self.assertEqual(bench.inductor_pool("split"), "split")
        self.assertEqual(selector().make_precompile_fn(["c0", "c1"], "mm", "key", precompilation_timeout_seconds=5),
                         (["c0", "c1"], "mm", "key", 5))
        self.assertEqual(seen, [False])
        self.assertTrue(async_compile().use_process_pool())  # the final kernels still go to the pool
        self.assertEqual(config.compile_threads, 16)

    def test_threads_turns_the_pool_off_and_auto_changes_nothing(self):
        selector, async_compile, config, seen = self.fake_torch()
        self.assertEqual(bench.inductor_pool("auto"), "auto")
        selector().make_precompile_fn([], "mm", "key")
        self.assertEqual((seen, config.compile_threads), ([True], 16))
        self.assertEqual(bench.inductor_pool("threads"), "threads")
        self.assertEqual(config.compile_threads, 1)

    def test_split_on_a_torch_without_the_selector_says_so_and_runs_as_auto(self):
        self.fake_torch(with_selector=False)
        import contextlib
        import io
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(bench.inductor_pool("split"), "auto")
        self.assertIn("inductor-pool split: this torch lacks", err.getvalue())
        self.assertIn("AlgorithmSelectorCache", err.getvalue())


class ModeOptionsTest(unittest.TestCase):
    """The compile peers' records say what their mode set (a stand-in torch._inductor; no torch here)."""

    def with_inductor(self, list_mode_options=None):
        import types
        from unittest import mock
        torch, inductor = types.ModuleType("torch"), types.ModuleType("torch._inductor")
        if list_mode_options is not None:
            inductor.list_mode_options = list_mode_options
        torch._inductor = inductor
        patch = mock.patch.dict(sys.modules, {"torch": torch, "torch._inductor": inductor})
        patch.start()
        self.addCleanup(patch.stop)

    def test_max_autotune_says_it_replays_cuda_graphs_and_default_sets_nothing(self):
        modes = {"default": {}, "max-autotune": {"max_autotune": True, "triton.cudagraphs": True}}
        self.with_inductor(lambda mode=None: modes[mode])
        self.assertEqual(bench.mode_options("max-autotune"), {"max_autotune": True, "triton.cudagraphs": True})
        self.assertEqual(bench.mode_options("default"), {})
        json.dumps(bench.mode_options("max-autotune"))  # goes into torch.json as it is

    def test_a_torch_that_cannot_say_leaves_the_record_without_it(self):
        import contextlib
        import io
        self.with_inductor()
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertIsNone(bench.mode_options("max-autotune"))
        self.assertIn("mode options of 'max-autotune': not known (ImportError", err.getvalue())


class EnvironmentTest(unittest.TestCase):
    """The env of torch.json says when it ran and which run it belongs to (a stand-in torch; no GPU, no nvidia-smi)."""

    def setUp(self):
        import types
        from unittest import mock
        torch = types.ModuleType("torch")
        torch.__version__ = "2.11.0+cu130"
        torch.version = types.SimpleNamespace(cuda="13.0")
        torch.cuda = types.SimpleNamespace(is_available=lambda: False)
        # stand-ins for the libraries environment() records too: patch.dict drops on stop every module imported under
        # it, and a real onnx imported again by the next test registers its nanobind types twice and aborts the
        # interpreter ("Critical nanobind error: refusing to add duplicate key", GPU machine, twentieth session)
        stand_ins = {"torch": torch}
        for name, version in (("torchvision", "0.26.0+cu130"), ("transformers", "5.17.0"), ("onnx", "1.23.1")):
            stand_ins[name] = types.ModuleType(name)
            stand_ins[name].__version__ = version
        for patch in (mock.patch.dict(sys.modules, stand_ins),
                      mock.patch.object(bench.subprocess, "run", side_effect=FileNotFoundError("nvidia-smi"))):
            patch.start()
            self.addCleanup(patch.stop)

    def test_the_run_id_is_run_sh_s_and_the_date_this_call_s(self):
        from unittest import mock
        with mock.patch.dict(os.environ, {"BENCH_RUN_ID": "2026-12-05T16:04:31Z"}):
            env = bench.environment(["export", "autotune"], now=1764951000)  # 2025-12-05T16:10:00Z
        self.assertEqual(env["run_id"], "2026-12-05T16:04:31Z")
        self.assertEqual(env["date"], "2025-12-05T16:10:00Z")
        self.assertEqual(env["mode"], "PyTorch peers only, groups export,autotune")
        self.assertEqual(env["torch"], "2.11.0+cu130")
        self.assertEqual(env["driver"], "unknown")
        self.assertEqual((env["torchvision"], env["transformers"], env["onnx"]), ("0.26.0+cu130", "5.17.0", "1.23.1"))

    def test_a_run_names_the_groups_of_all_its_calls(self):
        # run.sh: export,eager in one call, compile,autotune in the next, same work folder and run
        earlier = {"run_id": "r1", "mode": "PyTorch peers only, groups export,eager"}
        self.assertEqual(bench.run_groups(["compile", "autotune"], earlier, "r1"), ["export", "eager", "compile", "autotune"])
        self.assertEqual(bench.run_groups(["autotune", "export"], earlier, "r1"), ["export", "eager", "autotune"])
        # another run's file (an earlier session's work folder) adds nothing
        self.assertEqual(bench.run_groups(["compile"], earlier, "r2"), ["compile"])
        self.assertEqual(bench.run_groups(["compile"], {}, "r1"), ["compile"])

    def test_without_run_sh_the_call_is_its_own_run(self):
        from unittest import mock
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("BENCH_RUN_ID", None)
            env = bench.environment(["eager"], now=1764951000)
        self.assertEqual(env["run_id"], env["date"])


class ResumeTest(unittest.TestCase):
    """--resume: an earlier session's rows go into the work folder's torch.json, marked with their run (no torch)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.earlier = os.path.join(self.tmp, "earlier.json")
        rows = [{"model": "efficientnet_b0", "batch": 1, "peer": "autotune-fp32", "status": "ok", "latency_ms": {"median": 1.549}},
                {"model": "efficientnet_b0", "batch": 32, "peer": "autotune-fp16", "status": "skipped", "error": "timed out"},
                {"model": "resnet50", "batch": 1, "peer": "autotune-fp16", "status": "ok", "latency_ms": {"median": 0.736}}]
        with open(self.earlier, "w") as f:
            json.dump({"source": "torch", "env": {"gpu": "NVIDIA H200", "driver": "580.159.04", "date": "2026-12-05T16:22:27Z",
                                                  "run_id": "2026-12-05T16:04:31Z"}, "measurements": rows}, f)

    def rows(self, work):
        with open(os.path.join(work, "results", "torch.json")) as f:
            return {(m["model"], m["batch"], m["peer"]): m for m in json.load(f)["measurements"]}

    def test_rows_measured_fine_are_added_with_their_run_and_then_not_measured_again(self):
        work = os.path.join(self.tmp, "work")
        self.assertEqual(bench.resume(work, self.earlier, "NVIDIA H200"), 2)
        rows = self.rows(work)
        self.assertEqual(set(rows), {("efficientnet_b0", 1, "autotune-fp32"), ("resnet50", 1, "autotune-fp16")})
        self.assertEqual(rows[("resnet50", 1, "autotune-fp16")]["run"],
                         {"date": "2026-12-05T16:22:27Z", "gpu": "NVIDIA H200", "driver": "580.159.04"})
        self.assertIn(("efficientnet_b0", 1, "autotune-fp32"), bench.measured_ok(list(rows.values())))
        # again (the same command repeated on a warm machine): nothing twice
        self.assertEqual(bench.resume(work, self.earlier, "NVIDIA H200"), 0)
        self.assertEqual(len(self.rows(work)), 2)

    def test_the_work_folders_own_rows_win(self):
        work = os.path.join(self.tmp, "work")
        os.makedirs(os.path.join(work, "results"))
        mine = {"model": "resnet50", "batch": 1, "peer": "autotune-fp16", "status": "ok", "latency_ms": {"median": 0.7}}
        with open(os.path.join(work, "results", "torch.json"), "w") as f:
            json.dump({"source": "torch", "env": {"gpu": "NVIDIA H200"}, "measurements": [mine], "exports": []}, f)
        self.assertEqual(bench.resume(work, self.earlier, "NVIDIA H200"), 1)
        rows = self.rows(work)
        self.assertEqual(rows[("resnet50", 1, "autotune-fp16")], mine)
        self.assertIn("run", rows[("efficientnet_b0", 1, "autotune-fp32")])

    def test_rows_of_another_gpu_are_refused(self):
        with self.assertRaises(SystemExit) as e:
            bench.resume(os.path.join(self.tmp, "work"), self.earlier, "NVIDIA H100 80GB HBM3")
        self.assertIn("measured on 'NVIDIA H200'", str(e.exception))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "work", "results", "torch.json")))


class AutotuningCarryTest(unittest.TestCase):
    """--pack-autotuning and --seed-autotuning: max-autotune's results (not its kernels) carried from one session's
    work folder to the next's, merged with what the next already has, and never onto another GPU."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.first, self.later = (os.path.join(self.dir.name, w) for w in ("first", "later"))

    def tearDown(self):
        self.dir.cleanup()

    def write(self, work, rel, text):
        path = os.path.join(work, "inductor", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def read(self, work, rel):
        with open(os.path.join(work, "inductor", rel)) as f:
            return f.read()

    def test_only_the_results_are_packed_and_a_later_work_folder_merges_them_keeping_its_own(self):
        first = {"convolution": {"key-a": {"choice-1": 0.5, "choice-2": 0.7}, "key-b": {"choice-1": 0.9}}}
        self.write(self.first, "autotune-mobilenet_v3_large/cache/abc123", json.dumps(first))
        self.write(self.first, "autotune-mobilenet_v3_large/xy/triton_poi_0.best_config", '{"XBLOCK": 256}')
        self.write(self.first, "autotune-mobilenet_v3_large/xy/triton_poi_0.py", "kernel source")
        self.write(self.first, "autotune-mobilenet_v3_large/triton/0/k.cubin", "x" * 4096)
        self.write(self.first, "compile-mobilenet_v3_large/cache/abc123", "{}")  # default mode: nothing autotuned
        archive = os.path.join(self.dir.name, "autotuning.tgz")
        self.assertEqual(bench.pack_autotuning(self.first, archive, "NVIDIA H200"), 2)
        import tarfile
        with tarfile.open(archive) as tar:
            self.assertEqual(sorted(tar.getnames()), ["autotune-mobilenet_v3_large/cache/abc123",
                                                      "autotune-mobilenet_v3_large/xy/triton_poi_0.best_config",
                                                      bench.CARRIED_MANIFEST])

        # the later folder already timed key-a's first choice itself, and chose another pointwise configuration
        later = {"convolution": {"key-a": {"choice-1": 0.4}}, "mm": {"key-c": {"choice-9": 0.1}}}
        self.write(self.later, "autotune-mobilenet_v3_large/cache/abc123", json.dumps(later))
        self.write(self.later, "autotune-mobilenet_v3_large/xy/triton_poi_0.best_config", '{"XBLOCK": 128}')
        self.assertEqual(bench.inductor_cache(self.later, "autotune", "mobilenet_v3_large")[1], "warm")
        seeded = bench.seed_autotuning(self.later, archive, "NVIDIA H200")
        self.assertEqual(seeded, {"autotune-mobilenet_v3_large": 1})
        merged = json.loads(self.read(self.later, "autotune-mobilenet_v3_large/cache/abc123"))
        self.assertEqual(merged, {"convolution": {"key-a": {"choice-1": 0.4, "choice-2": 0.7}, "key-b": {"choice-1": 0.9}},
                                  "mm": {"key-c": {"choice-9": 0.1}}})
        self.assertEqual(self.read(self.later, "autotune-mobilenet_v3_large/xy/triton_poi_0.best_config"), '{"XBLOCK": 128}')
        self.assertEqual(bench.inductor_cache(self.later, "autotune", "mobilenet_v3_large")[1], "seeded")
        self.assertEqual(bench.inductor_cache(self.later, "autotune", "resnet50")[1], "cold")

    def test_an_empty_folder_starts_from_the_archive_as_it_was(self):
        self.write(self.first, "autotune-resnet50/cache/h", '{"convolution": {"k": {"c": 1.0}}}')
        self.write(self.first, "autotune-resnet50/ab/triton_red_1.best_config", '{"RBLOCK": 64}')
        archive = os.path.join(self.dir.name, "autotuning.tgz")
        bench.pack_autotuning(self.first, archive, "NVIDIA H200")
        self.assertEqual(bench.seed_autotuning(self.later, archive, "NVIDIA H200"), {"autotune-resnet50": 2})
        self.assertEqual(json.loads(self.read(self.later, "autotune-resnet50/cache/h")), {"convolution": {"k": {"c": 1.0}}})
        self.assertEqual(self.read(self.later, "autotune-resnet50/ab/triton_red_1.best_config"), '{"RBLOCK": 64}')
        mark = json.loads(self.read(self.later, "autotune-resnet50/" + bench.SEEDED_MARK))
        self.assertEqual((mark["archive"], mark["gpu"], mark["files"]), ("autotuning.tgz", "NVIDIA H200", 2))

    def test_nothing_to_pack_writes_no_archive(self):
        self.write(self.first, "compile-resnet50/cache/h", "{}")
        archive = os.path.join(self.dir.name, "autotuning.tgz")
        self.assertEqual(bench.pack_autotuning(self.first, archive, "NVIDIA H200"), 0)
        self.assertFalse(os.path.exists(archive))

    def test_results_of_another_gpu_are_refused(self):
        self.write(self.first, "autotune-resnet50/cache/h", "{}")
        archive = os.path.join(self.dir.name, "autotuning.tgz")
        bench.pack_autotuning(self.first, archive, "NVIDIA H200")
        with self.assertRaises(SystemExit) as e:
            bench.seed_autotuning(self.later, archive, "NVIDIA H100 80GB HBM3")
        self.assertIn("measured on 'NVIDIA H200'", str(e.exception))
        self.assertFalse(os.path.exists(os.path.join(self.later, "inductor", "autotune-resnet50")))

    def test_a_member_outside_a_worker_folder_is_refused(self):
        import io
        import tarfile
        archive = os.path.join(self.dir.name, "evil.tgz")
        with tarfile.open(archive, "w:gz") as tar:
            for name, data in ((bench.CARRIED_MANIFEST, b'{"gpu": "G"}'), ("autotune-x/../../escape", b"{}")):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        with self.assertRaises(SystemExit) as e:
            bench.seed_autotuning(self.later, archive, "G")
        self.assertIn("unexpected member", str(e.exception))
        self.assertFalse(os.path.exists(os.path.join(self.dir.name, "escape")))


if __name__ == "__main__":
    unittest.main()
