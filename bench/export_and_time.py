#!/usr/bin/env python3
"""Kiln bench, PyTorch side: exports the bench models and times the PyTorch peers on the GPU.

For every model and batch size it writes into WORKDIR/models/:
  NAME_bB.pt2        torch.export.save of torch.export.export(model, inputs)   (what Kiln compiles)
  NAME_bB.onnx       torch.onnx.export of the FP32 model                        (the ONNX->TensorRT FP32 peer)
  NAME_bB.fp16.onnx  torch.onnx.export of the model after .half(), wrapped so that it takes and returns the
                     same dtypes as the FP32 model (float inputs cast to half inside, outputs cast back to
                     float): the ONNX->TensorRT FP16 peer, the same precision policy as PyTorch's .half()
  NAME_bB.npz        seeded inputs x0.. and eager FP32 reference outputs y0.. (TF32 off)
and WORKDIR/models/manifest.json listing them; then it times the PyTorch peers and writes
WORKDIR/results/torch.json (one measurement per model, batch and peer; see README.md).

Peers: eager-fp32, eager-fp16 (.half()), compile-fp32/-fp16 (torch.compile default mode) and
autotune-fp32/-fp16 (torch.compile mode="max-autotune", opt-in: group "autotune"). TF32 is off everywhere,
as in Kiln's FP32 engines. Every torch.compile peer runs in a worker subprocess with a time limit, so a
slow or crashing compile costs its own measurement only.

Models (seeded random weights, no downloads): resnet50, efficientnet_b0, mobilenet_v3_large, vit_b_16
(torchvision), bert_base (transformers, sequence 128; via tools/gpu/export_models.py) and gpt2_blocks
(12 GPT-2-small decoder blocks with token and position embeddings and the final LayerNorm, sequence 128,
causal SDPA; no LM head). Batch sizes 1 and 32 (bert_base and gpt2_blocks: 1 and 16).

Usage (GPU machine: torch 2.11, torchvision, transformers, onnx):
  python3 bench/export_and_time.py WORKDIR [--models resnet50,bert_base] [--groups export,eager,compile]
                                   [--quick] [--deadline SECONDS] [--batches-cv 1,32] [--batches-seq 1,16]
"""
import argparse
import copy
import json
import os
import platform
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CV_MODELS = ["resnet50", "efficientnet_b0", "mobilenet_v3_large", "vit_b_16"]
SEQ_MODELS = ["bert_base", "gpt2_blocks"]
MODELS = CV_MODELS + SEQ_MODELS
GROUPS = ["export", "eager", "compile", "autotune"]
DEFAULT_GROUPS = ["export", "eager", "compile"]
SEQ_LEN = 128
WORKER = None  # the torch.compile worker's command before its arguments (None: this script); tests put a fake here
MIN_WORKER_S = 30  # a torch.compile worker is not started with less time than this
RESERVE_S = 60  # seconds the compile-only phase leaves for the timed runs after it


# ----------------------------------------------------------------------------------------- pure helpers

def percentile(samples, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list; the same rule as dev.kiln.compiler.measure.Stats."""
    s = sorted(samples)
    if not s:
        raise ValueError("no samples")
    rank = max(1, int(-(-q * len(s) // 100)))  # ceil(q/100 * n), at least 1
    return s[min(rank, len(s)) - 1]


def summarize(samples_ms):
    """median, p99, mean, min (ms) and the sample count."""
    s = sorted(samples_ms)
    n = len(s)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return {"median": median, "p99": percentile(s, 99), "mean": sum(s) / n, "min": s[0], "n": n}


def parse_list(text, allowed=None, what="value"):
    items = [x.strip() for x in text.split(",") if x.strip()]
    if allowed is not None:
        bad = [x for x in items if x not in allowed]
        if bad:
            raise SystemExit(f"unknown {what}(s) {bad}; choose from {allowed}")
    return items


class Clock:
    """Seconds left before the run's deadline."""

    def __init__(self, seconds):
        self.end = time.time() + seconds

    def left(self):
        return self.end - time.time()


# ----------------------------------------------------------------------------------------- models

def build(name, batch):
    """(model in eval mode on the CPU, example inputs on the CPU): the models Kiln's GPU tests use, same seeds."""
    sys.path.insert(0, os.path.join(ROOT, "tools", "gpu"))
    import export_models
    model, inputs = export_models.build(name, batch)
    model.eval()
    return model, inputs


def as_tuple(y):
    return tuple(y) if isinstance(y, (tuple, list)) else (y,)


def half_io(model):
    """model.half() behind the FP32 model's interface: float inputs cast to half inside, outputs back to float."""
    import torch.nn as nn

    class HalfIO(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *xs):
            xs = [x.half() if x.is_floating_point() else x for x in xs]
            return tuple(y.float() for y in as_tuple(self.m(*xs)))

    # eval(): a new module starts in training mode, and the dynamo ONNX exporter exports the mode it finds (the
    # legacy one forces eval): a training-mode wrapper gave BERT's FP16 ONNX a training Dropout, which TensorRT's
    # parser refuses (H200, 2026-12-05)
    return HalfIO(copy.deepcopy(model).half()).eval()


def batches_for(name, a):
    return a.batches_seq if name in SEQ_MODELS else a.batches_cv


def key(name, batch):
    return f"{name}_b{batch}"


# ----------------------------------------------------------------------------------------- export

def onnx_problem(path):
    """Why the ONNX model at path is not a valid model (onnx.checker, full check: strict type and shape inference),
    or None. The legacy exporter can write invalid models: tracing a .half() model whose SDPA makes its causal mask
    in float32, it promotes the attention, and every residual after it, to float32, and leaves each LayerNorm a
    float32 input with float16 weights, which ONNX's type constraints (and TensorRT's parser) refuse."""
    import onnx
    try:
        onnx.checker.check_model(path, full_check=True)
        return None
    except Exception as e:  # noqa: BLE001 - any checker or inference error makes the model unusable
        return f"{type(e).__name__}: {str(e)[:300]}"


def export_onnx(model, inputs, path, in_names, out_names, exporter, export=None, check=onnx_problem):
    """Writes path with the legacy (TorchScript) exporter, or the dynamo one, the first whose model passes the ONNX
    checker; returns which one ("legacy", "dynamo"). When every export fails the check, path holds the first one
    written, and the return value says what the checker found (the ONNX peer then reports the parser's error)."""
    export = export or _export_with
    if getattr(model, "training", False):
        raise ValueError("export_onnx: the model is in training mode; call eval() first (the dynamo exporter keeps "
                         "training-only ops such as Dropout, which TensorRT's parser refuses)")
    errors, invalid = [], []
    order = {"auto": ["legacy", "dynamo"], "legacy": ["legacy"], "dynamo": ["dynamo"]}[exporter]
    for kind in order:
        try:
            export(kind, model, inputs, path, in_names, out_names)
        except Exception as e:  # noqa: BLE001 - try the other exporter, report both
            errors.append(f"{kind}: {type(e).__name__}: {str(e)[:300]}")
            continue
        problem = check(path)
        if problem is None:
            for kept, _ in invalid:
                os.remove(kept)
            return kind
        kept = f"{path}.{kind}-invalid"
        os.replace(path, kept)
        invalid.append((kept, kind))
        errors.append(f"{kind}: not a valid ONNX model: {problem}")
    if invalid:
        os.replace(invalid[0][0], path)
        for kept, _ in invalid[1:]:
            os.remove(kept)
        return f"{invalid[0][1]} (invalid: " + " | ".join(errors) + ")"
    raise RuntimeError("ONNX export failed: " + " | ".join(errors))


def _export_with(kind, model, inputs, path, in_names, out_names):
    import torch
    if kind == "legacy":
        # MultiheadAttention's fused fast path has no ONNX form: export the composite ops
        fast = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)
        try:
            torch.onnx.export(model, tuple(inputs), path, input_names=in_names, output_names=out_names,
                              opset_version=17, do_constant_folding=True, dynamo=False)
        finally:
            torch.backends.mha.set_fastpath_enabled(fast)
    else:
        # opset 18 pinned: a newer exporter may default higher (opset 23 has an Attention op), and TensorRT 10.6's
        # parser predates those opsets; 18 has LayerNormalization, and SDPA becomes MatMul and Softmax
        torch.onnx.export(model, tuple(inputs), path, input_names=in_names, output_names=out_names,
                          opset_version=18, dynamo=True, external_data=False)


def export_one(name, batch, a, dev):
    """Exports one model at one batch size; returns its manifest entry."""
    import numpy as np
    import torch
    t0 = time.time()
    model, inputs = build(name, batch)
    in_names = [f"x{i}" for i in range(len(inputs))]
    d = os.path.join(a.workdir, "models")
    k = key(name, batch)
    entry = {"model": name, "batch": batch, "inputs": [{"name": n, "dtype": str(t.dtype).replace("torch.", ""),
                                                         "shape": list(t.shape)} for n, t in zip(in_names, inputs)]}
    with torch.no_grad():
        m = copy.deepcopy(model).to(dev)
        ys = as_tuple(m(*[t.to(dev) for t in inputs]))
        ys = [y.float().cpu() for y in ys]
        del m
    out_names = [f"y{i}" for i in range(len(ys))]
    entry["outputs"] = [{"name": n, "shape": list(y.shape)} for n, y in zip(out_names, ys)]
    arrays = {f"x{i}": t.contiguous().numpy() for i, t in enumerate(inputs)}
    arrays.update({f"y{i}": y.contiguous().numpy() for i, y in enumerate(ys)})
    np.savez(os.path.join(d, k + ".npz"), **arrays)
    entry["npz"] = k + ".npz"
    # each export may fail on its own: the peers that need it then report why, the others still run
    try:
        ep = torch.export.export(model, tuple(inputs))
        torch.export.save(ep, os.path.join(d, k + ".pt2"))
        entry["pt2"] = k + ".pt2"
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        entry["pt2_error"] = f"torch.export failed: {type(e).__name__}: {str(e)[:400]}"
    entry["export_s"] = round(time.time() - t0, 2)
    if "onnx" not in a.skip:
        t1 = time.time()
        with torch.no_grad():
            try:
                entry["onnx_exporter"] = export_onnx(model, inputs, os.path.join(d, k + ".onnx"), in_names,
                                                     out_names, a.onnx_exporter)
                entry["onnx"] = k + ".onnx"
            except Exception as e:  # noqa: BLE001
                entry["onnx_error"] = str(e)[:600]
            try:
                # the FP16 peer's model runs on the GPU while tracing: half-precision kernels are a GPU matter
                hm = half_io(model).to(dev)
                entry["onnx_fp16_exporter"] = export_onnx(hm, [t.to(dev) for t in inputs],
                                                          os.path.join(d, k + ".fp16.onnx"), in_names, out_names,
                                                          a.onnx_exporter)
                entry["onnx_fp16"] = k + ".fp16.onnx"
                del hm
            except Exception as e:  # noqa: BLE001
                entry["onnx_fp16_error"] = str(e)[:600]
        entry["onnx_s"] = round(time.time() - t1, 2)
    return entry


# ----------------------------------------------------------------------------------------- timing

def rel_l2(got, want):
    import torch
    got = got.detach().float().cpu().reshape(-1).double()
    want = want.float().reshape(-1).double()
    if got.numel() != want.numel():
        return float("nan")
    den = torch.linalg.vector_norm(want).item()
    num = torch.linalg.vector_norm(got - want).item()
    return num / den if den > 0 else num


def worst(errors):
    """The largest error; NaN if any is NaN (max() would depend on the order)."""
    return float("nan") if any(e != e for e in errors) else max(errors)


def time_peer(fn, batch, a, clock):
    """Latency samples (ms, CUDA events, synchronized every iteration), pipelined throughput and peak memory."""
    import torch
    torch.cuda.synchronize()
    for _ in range(a.warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    samples = []
    cap = time.time() + min(a.max_seconds, max(1.0, clock.left()))
    for i in range(a.iters):
        start.record()
        fn()
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end))
        if i + 1 >= a.min_iters and time.time() > cap:
            break
    # throughput: back-to-back calls, one event pair around them all (what a server loop sees)
    n = max(a.min_iters, len(samples) // 2)
    start.record()
    for _ in range(n):
        fn()
    end.record()
    end.synchronize()
    total_ms = start.elapsed_time(end)
    out = {"latency_ms": summarize(samples), "throughput": batch * n / (total_ms / 1000.0),
           "iters": len(samples)}
    return out


def measure(peer, model, inputs, refs, batch, a, clock, half=False, compile_mode=None, warm_only=False):
    """One peer's measurement record; with warm_only (a torch.compile peer) only its compile: the first two calls,
    which fill the worker's Inductor cache, and no timing."""
    import torch
    dev = torch.device("cuda")
    rec = {"peer": peer, "precision": "fp16" if half else "fp32", "status": "ok"}
    try:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        m = copy.deepcopy(model).to(dev)
        xs = [t.to(dev) for t in inputs]
        if half:
            m = m.half()
            xs = [x.half() if x.is_floating_point() else x for x in xs]
        base = torch.cuda.memory_allocated()
        if compile_mode is not None:
            torch._dynamo.reset()
            kwargs = {} if compile_mode == "default" else {"mode": compile_mode}
            m = torch.compile(m, **kwargs)
            opts = mode_options(compile_mode)
            if opts is not None:
                rec["mode_options"] = opts
            t0 = time.time()
            with torch.no_grad():
                m(*xs)
                m(*xs)  # a second call: CUDA-graph trees record on the second run
            torch.cuda.synchronize()
            rec["compile_s"] = round(time.time() - t0, 2)
            if warm_only:
                rec["status"] = "warmed"
                del m, xs
                torch.cuda.empty_cache()
                return rec
            # the peak of running the model, not of compiling it (autotuning allocates benchmark buffers)
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        with torch.no_grad():
            ys = [y.detach().clone() for y in as_tuple(m(*xs))]
            rec["rel_l2"] = worst([rel_l2(y, r) for y, r in zip(ys, refs)])
            rec.update(time_peer(lambda: m(*xs), batch, a, clock))
        rec["peak_mem_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        rec["weights_inputs_mib"] = round(base / 2**20, 1)
        del m, xs, ys
    except Exception as e:  # noqa: BLE001 - one peer's failure is a result, not the end of the run
        rec["status"] = "error"
        rec["error"] = f"{type(e).__name__}: {str(e)[:500]}"
        traceback.print_exc()
    torch.cuda.empty_cache()
    return rec


def load_refs(entry, a):
    import numpy as np
    import torch
    z = np.load(os.path.join(a.workdir, "models", entry["npz"]))
    xs = [torch.from_numpy(z[f"x{i}"]) for i in range(len(entry["inputs"]))]
    ys = [torch.from_numpy(z[f"y{i}"]) for i in range(len(entry["outputs"]))]
    return xs, ys


def run_compile_worker(a):
    """--worker: the torch.compile peers of one model, each record appended to --records as a JSON line."""
    import torch
    setup_torch()
    if a.inductor_log:
        inductor_debug_log()
    pool = inductor_pool(a.inductor_pool)
    clock = Clock(a.deadline)
    entries = read_manifest(a)
    mode = "default" if a.worker == "compile" else "max-autotune"
    prefix = "compile" if a.worker == "compile" else "autotune"
    # peers measured by an earlier call (--skip-peers BATCH:PEER,...), and with --warm-only those an earlier call of
    # this machine already compiled
    skip = {(int(x.split(":")[0]), x.split(":")[1]) for x in parse_list(a.skip_peers)}
    if a.warm_only and os.path.exists(a.records):
        skip |= {(r["batch"], r["peer"]) for r in read_jsonl(a.records) if r.get("status") == "warmed"}
    for e in entries:
        if e["model"] != a.worker_model:
            continue
        peers = [half for half in (False, True) if (e["batch"], f"{prefix}-{'fp16' if half else 'fp32'}") not in skip]
        if not peers:
            continue
        model, _ = build(e["model"], e["batch"])
        xs, ys = load_refs(e, a)
        for half in peers:
            if clock.left() < 5:
                return
            rec = measure(f"{prefix}-{'fp16' if half else 'fp32'}", model, xs, ys, e["batch"], a, clock, half=half,
                          compile_mode=mode, warm_only=a.warm_only)
            rec.update({"model": e["model"], "batch": e["batch"]})
            if pool == "threads" or (pool == "split" and mode == "max-autotune"):
                rec["inductor_pool"] = pool  # split changes nothing without autotuning
            if a.warm_only:
                rec.update({"inductor_cache": a.cache_state, "concurrent_compiles": a.concurrent})
            with open(a.records, "a") as f:
                f.write(json.dumps(rec) + "\n")
            print(summary_line(rec), flush=True)
            torch._dynamo.reset()


# ----------------------------------------------------------------------------------------- torch.compile workers

def read_jsonl(path):
    """The JSON lines of a file (none if it does not exist)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def run_pool(jobs, procs, budget, poll=0.2):
    """Runs jobs (dicts with name, env and cmd: a command, or a function of the job's time limit that returns one)
    at most procs at a time, each in a process group of its own (Inductor's
    compile workers are its children) killed whole when its time is up. A job's time limit is budget() when it
    starts; a job whose budget() is under MIN_WORKER_S does not start. Returns {name: "ok" | "exit N" | "timed out after N s"
    | "deadline"}."""
    queue, running, outcome = list(jobs), [], {}
    while queue or running:
        while queue and len(running) < procs:
            job = queue.pop(0)
            limit = budget()
            if limit < MIN_WORKER_S:
                outcome[job["name"]] = "deadline"
                continue
            command = job["cmd"](limit) if callable(job["cmd"]) else job["cmd"]
            proc = subprocess.Popen(command, env=job.get("env"), start_new_session=True)
            running.append((job, proc, time.time() + limit, limit))
        if not running:
            break
        time.sleep(poll)
        for item in list(running):
            job, proc, end, limit = item
            rc = proc.poll()
            if rc is None and time.time() > end:
                kill_group(proc)
                outcome[job["name"]] = f"timed out after {limit:.0f} s"
            elif rc is not None:
                outcome[job["name"]] = "ok" if rc == 0 else f"exit {rc}"
            else:
                continue
            running.remove(item)
    return outcome


def kill_group(proc):
    """Kills a process started with start_new_session and everything it started."""
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def with_cold_compile(timed, warmed):
    """A timed torch.compile record whose worker compiled from the cache a first-phase worker filled: its compile
    time becomes the first phase's (compile_warm_s keeps its own), with that phase's cache state and concurrency."""
    rec = dict(timed)
    if warmed is None or warmed.get("status") != "warmed" or "compile_s" not in warmed:
        return rec
    if "compile_s" in rec:
        rec["compile_warm_s"] = rec["compile_s"]
    rec["compile_s"] = warmed["compile_s"]
    for k in ("inductor_cache", "concurrent_compiles", "compile_timed_out_s"):
        if k in warmed:
            rec[k] = warmed[k]
    return rec


def worker_env(cache_dir, procs):
    """The environment of one torch.compile worker: its own Inductor cache and, with procs workers at once, its share
    of the compile threads (of TORCHINDUCTOR_COMPILE_THREADS when set, e.g. by run.sh --gpus, else of the cores)."""
    env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=cache_dir)
    if procs > 1:
        total = int(os.environ.get("TORCHINDUCTOR_COMPILE_THREADS") or os.cpu_count() or 1)
        env["TORCHINDUCTOR_COMPILE_THREADS"] = str(max(1, total // procs))
    return env


def run_compile_group(group, limit, entries, a, clock, done, put, skipped):
    """The torch.compile peers of group ("compile" or "autotune") for every model of entries, each model's in a
    worker subprocess with a time limit. With --compile-procs 1 one worker per model compiles and times its peers
    in turn. With N > 1: first up to N workers at once only compile (--warm-only), each filling its model's Inductor
    cache (WORKDIR/inductor/GROUP-MODEL) and writing its compile times to results/GROUP-MODEL.warm.jsonl; then one
    worker per model, alone on the GPU, compiles again from that cache and times. A model whose first phase ran out
    of time continues from its cache at the next call of the same machine (its compile time then marked warm)."""
    names = [n for n in a.models if any(e["model"] == n for e in entries)]
    todo = []
    for name in names:
        if all(done(name, e["batch"], f"{group}-{prec}") for e in entries if e["model"] == name for prec in ("fp32", "fp16")):
            print(f"{group} {name}: measured by an earlier call (--redo measures again)")
        else:
            todo.append(name)
    if not todo:
        return

    def records_of(name, phase):
        return os.path.join(a.workdir, "results", f"{group}-{name}{'.warm' if phase == 'warm' else ''}.jsonl")

    def peers_of(name):
        return [(e["batch"], f"{group}-{prec}") for e in entries if e["model"] == name for prec in ("fp32", "fp16")]

    def cmd(name, budget, extra=()):
        return [*(WORKER or [sys.executable, os.path.abspath(__file__)]), a.workdir, "--worker", group, "--worker-model", name,
                "--models", name, "--deadline", str(budget), "--iters", str(a.iters), "--warmup", str(a.warmup),
                "--max-seconds", str(a.max_seconds),
                "--skip-peers", ",".join(f"{b}:{p}" for (b, p) in peers_of(name) if done(name, b, p)),
                *(["--inductor-log"] if a.inductor_log else []), "--inductor-pool", a.inductor_pool, *extra]

    procs = max(1, a.compile_procs)
    warm = {}
    if procs > 1:
        # phase 1: compile side by side
        jobs, states = [], {}
        for name in todo:
            have = {(r["batch"], r["peer"]) for r in read_jsonl(records_of(name, "warm")) if r.get("status") == "warmed"}
            if all(p in have for p in peers_of(name)):
                continue
            cache_dir, states[name] = inductor_cache(a.workdir, group, name)
            jobs.append({"name": name, "env": worker_env(cache_dir, procs),
                         "cmd": lambda budget, name=name: cmd(name, budget - 5, [
                             "--records", records_of(name, "warm"), "--warm-only", "--cache-state", states[name],
                             "--concurrent", str(procs)])})
        if jobs:
            t0 = time.time()
            print(f"{group}: compiling {', '.join(j['name'] for j in jobs)}, {procs} at once", flush=True)
            outcome = run_pool(jobs, procs, lambda: min(limit, clock.left() - RESERVE_S))
            for name, how in outcome.items():
                print(f"{group} {name} (compile only): {how}", flush=True)
                if how.startswith("timed out"):
                    with open(records_of(name, "warm"), "a") as f:
                        f.write(json.dumps({"model": name, "status": "timed-out", "seconds": float(how.split()[3])}) + "\n")
            print(f"{group}: compile phase {time.time() - t0:.0f} s", flush=True)
        for name in todo:
            timed_out = 0.0  # the time-outs before a record: its compile continued from what they left
            for r in read_jsonl(records_of(name, "warm")):
                if r.get("status") == "timed-out":
                    timed_out += r["seconds"]
                elif r.get("status") in ("warmed", "error"):
                    if timed_out and r["status"] == "warmed":
                        r["compile_timed_out_s"] = timed_out
                    warm[(name, r["batch"], r["peer"])] = r

    for name in todo:
        if procs > 1 and not all((name, b, p) in warm for (b, p) in peers_of(name)
                                 if not done(name, b, p)):
            missing = [f"{p} batch {b}" for (b, p) in peers_of(name) if (name, b, p) not in warm and not done(name, b, p)]
            skipped.append(f"{group} {name}: not yet compiled ({', '.join(missing)}); the same command continues")
            continue
        budget = min(limit, clock.left() - 5)
        if budget < MIN_WORKER_S:
            skipped.append(f"{group} {name}: deadline")
            continue
        records = records_of(name, "timed")
        if os.path.exists(records):
            os.remove(records)
        cache_dir, cache_state = inductor_cache(a.workdir, group, name)
        outcome = run_pool([{"name": name, "env": worker_env(cache_dir, 1), "cmd": cmd(name, budget, ["--records", records])}],
                           1, lambda: budget + 10)
        note = None if outcome.get(name) == "ok" else outcome.get(name)
        got = read_jsonl(records)
        for rec in got:
            if "compile_s" in rec:
                rec["inductor_cache"] = cache_state
            put(with_cold_compile(rec, warm.get((name, rec["batch"], rec["peer"]))) if procs > 1 else rec)
        measured = {(r["batch"], r["peer"]) for r in got}
        for (b, peer) in peers_of(name):
            if (b, peer) not in measured and not done(name, b, peer):
                put({"model": name, "batch": b, "peer": peer, "precision": peer.rsplit("-", 1)[1], "status": "skipped",
                     "error": note or "worker ended before this peer (see the log)"})


def summary_line(r):
    lat = r.get("latency_ms", {})
    return (f"TORCH-BENCH model={r.get('model')} batch={r.get('batch')} peer={r['peer']} status={r['status']} "
            f"median_ms={lat.get('median', float('nan')):.3f} p99_ms={lat.get('p99', float('nan')):.3f} "
            f"items_per_s={r.get('throughput', float('nan')):.1f} rel_l2={r.get('rel_l2', float('nan')):.1e}"
            + (f" compile_s={r['compile_s']}" if "compile_s" in r else "")
            + (f" error={r['error'][:200]!r}" if r.get("error") else ""))


# ----------------------------------------------------------------------------------------- driver

def setup_torch():
    import torch
    torch.set_grad_enabled(False)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")


def inductor_debug_log():
    """--inductor-log: Inductor's own account of its autotuning on stderr (the worker's log), time-stamped: whether
    each operator's candidates were precompiled in parallel ("Multithreaded precompilation for N choices using K
    worker threads") or their precompile function came from its cache, each candidate's precompile time, and the
    compile pool's start. Also the compile threads and worker start method this worker runs with. For finding out
    why some operators' autotuning takes 30-90 s where others take 0.5 s (bench/README.md)."""
    import logging
    from torch._inductor import config
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("torch._inductor.select_algorithm", "torch._inductor.async_compile"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"inductor: compile_threads={config.compile_threads} worker_start_method={getattr(config, 'worker_start_method', '?')} "
          f"cpus={affinity} TORCHINDUCTOR_COMPILE_THREADS={os.environ.get('TORCHINDUCTOR_COMPILE_THREADS', '')}",
          file=sys.stderr, flush=True)


def mode_options(mode):
    """What torch.compile's mode sets in Inductor's config (torch._inductor.list_mode_options), for the peer's record:
    "max-autotune" sets triton.cudagraphs besides max_autotune, so its per-call time is a CUDA-graph replay with no
    host launch per kernel, unlike the default mode's, eager's and Kiln's per-call rows (bench/README.md, "How it
    measures"). None where this torch cannot say."""
    try:
        from torch._inductor import list_mode_options
        return {str(k): v for k, v in dict(list_mode_options(mode)).items()}
    except Exception as e:  # noqa: BLE001 - a record without it says less, nothing more
        print(f"mode options of {mode!r}: not known ({type(e).__name__}: {e})", file=sys.stderr, flush=True)
        return None


def inductor_pool(how):
    """--inductor-pool: where a torch.compile worker compiles its Triton kernels. In torch 2.11, once Inductor's
    subprocess pool is up, max-autotune hands each operator's candidate kernels to the pool when it lowers the
    operator, yet benchmarking them in the worker compiles each one again, one after another, while the pool's
    processes keep every core busy with later operators' candidates: ResNet-50's operators took 24-73 s each
    that way, and 0.3-0.8 s each when their candidates were compiled on threads of the worker itself (the
    sixteenth session's logs, bench/README.md "What max-autotune costs").
    "auto" leaves Inductor as it is. "threads" (config.compile_threads = 1) compiles everything in the worker's own
    process: candidates on precompilation threads, the final kernels one after another. "split" keeps the pool for
    the final kernels and has only the candidates precompiled on threads of the worker, by having Inductor's
    AlgorithmSelectorCache.make_precompile_fn see no pool; a torch without those two names runs as "auto", said on
    stderr. Returns the mode in effect."""
    if how == "threads":
        from torch._inductor import config
        config.compile_threads = 1
    elif how == "split":
        try:
            from torch._inductor import async_compile, select_algorithm
            selector = select_algorithm.AlgorithmSelectorCache
            make_precompile_fn = selector.make_precompile_fn
            use_process_pool = async_compile.AsyncCompile.__dict__["use_process_pool"]
        except (ImportError, AttributeError, KeyError) as e:
            print(f"inductor-pool split: this torch lacks what torch 2.11 has ({type(e).__name__}: {e}); "
                  "Inductor compiles as it would by itself (auto)", file=sys.stderr, flush=True)
            return "auto"

        def precompile_on_threads(self, *args, **kwargs):
            async_compile.AsyncCompile.use_process_pool = classmethod(lambda cls: False)
            try:
                return make_precompile_fn(self, *args, **kwargs)
            finally:
                async_compile.AsyncCompile.use_process_pool = use_process_pool

        selector.make_precompile_fn = precompile_on_threads
    return how


def resume(workdir, earlier_file, gpu):
    """Adds to WORKDIR/results/torch.json the rows an earlier session's torch.json measured fine on the same kind of
    GPU, where WORKDIR has no row of that model, batch and peer: they are not measured again (a session need not
    repeat the max-autotune configurations an earlier one finished). Each keeps the run that measured it ("run":
    date, GPU, driver), so the tables never present it as this run's. Refuses (SystemExit) a file of another GPU or
    of no known GPU. Imports no torch. Returns how many rows were added."""
    with open(earlier_file) as f:
        earlier = json.load(f)
    env = earlier.get("env", {})
    if env.get("gpu") != gpu:
        raise SystemExit(f"{earlier_file}: measured on {env.get('gpu')!r}, this GPU is {gpu!r}: its rows would "
                         f"stand beside this GPU's as if measured here; leave --resume out here")
    run = {k: env[k] for k in ("date", "kiln", "gpu", "driver") if k in env}
    path = os.path.join(workdir, "results", "torch.json")
    if os.path.exists(path):
        with open(path) as f:
            mine = json.load(f)
    else:
        mine = empty_results({})
    have = {row_key(m) for m in mine["measurements"]}
    added = 0
    for m in earlier.get("measurements", []):
        if m.get("status") == "ok" and row_key(m) not in have:
            mine["measurements"].append(dict(m, run=m.get("run", run)))
            added += 1
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_results(path, mine)
    return added


def empty_results(env, **fields):
    """A torch.json with no rows yet: its environment, any further top-level fields (e.g. args), no measurements."""
    return {"source": "torch", "env": env, **fields, "measurements": [], "exports": [], "skipped": []}


def write_results(path, result):
    """Writes a torch.json whole or not at all (a call cut short leaves the last complete file)."""
    with open(path + ".tmp", "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)


def row_key(m):
    """The identity of a measurement: (model, batch, peer)."""
    return m["model"], m["batch"], m["peer"]


def measured_ok(measurements):
    """The (model, batch, peer) of every measurement that ran fine: what a later call does not measure again."""
    return {row_key(m) for m in measurements if m.get("status") == "ok"}


def inductor_cache(workdir, group, model):
    """The Inductor cache folder of one torch.compile worker (WORKDIR/inductor/GROUP-MODEL) and whether it starts
    "cold" (absent or empty) or "warm" (an earlier call of this WORKDIR compiled the same model: its FX graphs,
    kernels and autotuning results are reused, so a retry after a time-out finishes, but its compile_s is no cold
    figure), or "seeded" (it holds autotuning results carried from an earlier session, --seed-autotuning: only
    what they lack is benchmarked). Without it every worker shared Inductor's default /tmp/torchinductor_USER,
    which outlives the calls of a warm machine: a re-measured model's compile time was silently warm."""
    d = os.path.join(workdir, "inductor", f"{group}-{model}")
    if os.path.exists(os.path.join(d, SEEDED_MARK)):
        state = "seeded"
    else:
        state = "warm" if os.path.isdir(d) and os.listdir(d) else "cold"
    os.makedirs(d, exist_ok=True)
    return d, state


# ----------------------------------------------------------------------------------------- autotuning carried over

SEEDED_MARK = "kiln-seeded-autotuning.json"  # in a worker's Inductor cache folder that started from a carried archive
CARRIED_MANIFEST = "kiln-autotuning.json"  # at the root of the archive: the GPU that measured it


def autotuning_files(folder):
    """The files of one worker's Inductor cache folder that hold max-autotune's results, relative to it: the
    timings of every choice it benchmarked (cache/<hash of GPU name, CUDA and Triton versions>, JSON) and the
    configurations it picked for pointwise and reduction kernels (*.best_config beside the kernel's source).
    Not the compiled kernels: a few KB instead of hundreds of MB, and Inductor compiles the chosen ones again."""
    found = []
    for root, _, files in os.walk(folder):
        rel = os.path.relpath(root, folder)
        for f in files:
            if rel.split(os.sep)[0] == "cache" or f.endswith(".best_config"):
                found.append(os.path.normpath(os.path.join(rel, f)))
    return sorted(found)


def pack_autotuning(workdir, archive, gpu):
    """Packs the autotuning results of every max-autotune worker of WORKDIR (inductor/autotune-MODEL) into archive,
    with the GPU they were measured on, so that a later session on the same kind of GPU continues a model's
    autotuning where a time limit stopped it (--seed-autotuning) instead of benchmarking every operator again.
    Returns the number of files packed (no archive when there are none)."""
    import io
    import tarfile
    base = os.path.join(workdir, "inductor")
    members = []
    if os.path.isdir(base):
        for d in sorted(os.listdir(base)):
            if d.startswith("autotune-") and os.path.isdir(os.path.join(base, d)):
                members += [os.path.join(d, f) for f in autotuning_files(os.path.join(base, d))]
    if not members:
        return 0
    with tarfile.open(archive + ".tmp", "w:gz") as tar:
        manifest = json.dumps({"gpu": gpu, "files": len(members), "packed": time.strftime("%Y-%m-%d %H:%M:%S")}).encode()
        info = tarfile.TarInfo(CARRIED_MANIFEST)
        info.size, info.mtime = len(manifest), int(time.time())
        tar.addfile(info, io.BytesIO(manifest))
        for m in members:
            tar.add(os.path.join(base, m), arcname=m, recursive=False)
    os.replace(archive + ".tmp", archive)
    return len(members)


def merge_timings(into, seed):
    """seed's entries added to into (nested dicts of the autotuning JSON), into's own winning where both have one."""
    for k, v in seed.items():
        if k not in into:
            into[k] = v
        elif isinstance(into[k], dict) and isinstance(v, dict):
            merge_timings(into[k], v)
    return into


def seed_autotuning(workdir, archive, gpu):
    """Unpacks an archive pack_autotuning wrote into WORKDIR/inductor: timings are merged into any this machine
    already has (its own win), a chosen configuration is added where none is. Each folder seeded gets SEEDED_MARK,
    so its compile times are reported as not cold. Refuses (SystemExit) an archive of another GPU, whose
    timings would pick kernels for the wrong chip, and any member outside an autotune-MODEL folder.
    Returns {folder: files added or merged}."""
    import tarfile
    base = os.path.join(workdir, "inductor")
    with tarfile.open(archive, "r:gz") as tar:
        try:
            manifest = json.load(tar.extractfile(CARRIED_MANIFEST))
        except KeyError:
            raise SystemExit(f"{archive}: no {CARRIED_MANIFEST} in it: not an archive of bench/run.sh's autotuning results")
        if manifest.get("gpu") != gpu:
            raise SystemExit(f"{archive}: autotuning results measured on {manifest.get('gpu')!r}, this GPU is {gpu!r}: "
                             f"its timings would choose kernels for another chip; leave --seed-autotuning out here")
        seeded = {}
        for info in tar.getmembers():
            if info.name == CARRIED_MANIFEST:
                continue
            parts = info.name.split("/")
            if (not info.isfile() or info.name.startswith("/") or ".." in parts or len(parts) < 2
                    or not parts[0].startswith("autotune-")):
                raise SystemExit(f"{archive}: unexpected member {info.name!r}: not an archive of bench/run.sh's autotuning results")
            dest = os.path.join(base, *parts)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            data = tar.extractfile(info).read()
            if os.path.exists(dest):
                if parts[1] != "cache":
                    continue  # a configuration this machine chose itself
                with open(dest) as f:
                    mine = json.load(f)
                data = json.dumps(merge_timings(mine, json.loads(data)), indent=4).encode()
            with open(dest + ".tmp", "wb") as f:
                f.write(data)
            os.replace(dest + ".tmp", dest)
            seeded[parts[0]] = seeded.get(parts[0], 0) + 1
    for folder, n in seeded.items():
        with open(os.path.join(base, folder, SEEDED_MARK), "w") as f:
            json.dump({"archive": os.path.basename(archive), "gpu": gpu, "files": n,
                       "measured": manifest.get("packed")}, f)
    return seeded


def pending(a):
    """How many measurements of a.groups for a.models (at the batch sizes asked for) WORKDIR still lacks: exports
    missing from the manifest, PyTorch peers without an 'ok' record in results/torch.json; all of them with --redo."""
    manifest_path = os.path.join(a.workdir, "models", "manifest.json")
    entries = []
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            entries = [e for e in json.load(f)["entries"] if e["model"] in a.models]
    measured = []
    torch_json = os.path.join(a.workdir, "results", "torch.json")
    if os.path.exists(torch_json) and not a.redo:
        with open(torch_json) as f:
            measured = json.load(f).get("measurements", [])
    ok = measured_ok(measured)
    wanted = [(name, b) for name in a.models for b in batches_for(name, a)]
    have = {(e["model"], e["batch"]) for e in entries}
    n = 0
    if "export" in a.groups:
        n += sum(1 for w in wanted if a.redo or w not in have)
    timing = [g for g in a.groups if g in ("eager", "compile", "autotune")]
    n += sum(1 for (name, b) in wanted for g in timing for prec in ("fp32", "fp16") if (name, b, f"{g}-{prec}") not in ok)
    return n


def read_manifest(a):
    p = os.path.join(a.workdir, "models", "manifest.json")
    if not os.path.exists(p):
        raise SystemExit(f"{p} not found: run the 'export' group first (same WORKDIR)")
    with open(p) as f:
        return [e for e in json.load(f)["entries"] if e["model"] in a.models]


PYTORCH_ONLY = "PyTorch peers only, groups "


def run_groups(groups, earlier_env, run_id):
    """The PyTorch groups a run has run so far: this call's and those an earlier call of the same run (the same work
    folder, same run_id) recorded in torch.json, in GROUPS order; bench/run.sh calls this script once for export and
    eager and once for compile and autotune, and a run's header must name them all."""
    mode = earlier_env.get("mode", "")
    earlier = mode[len(PYTORCH_ONLY):].split(",") if earlier_env.get("run_id") == run_id and mode.startswith(PYTORCH_ONLY) else []
    both = set(groups) | {g for g in earlier if g}
    return [g for g in GROUPS if g in both] + sorted(both - set(GROUPS))


def environment(groups, now=None):
    """What ran and where. date: when this call started (UTC); run_id: the run it belongs to (bench/run.sh's
    BENCH_RUN_ID, one per work folder, shared with the Java runner's results, so that Main merge tells a run's own
    rows from an earlier run's); mode: says no Java ran (the Java runner's own mode replaces it when both ran)."""
    import torch
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
    env = {"date": date, "run_id": os.environ.get("BENCH_RUN_ID") or date,
           "mode": PYTORCH_ONLY + ",".join(groups),
           "torch": torch.__version__, "torch_cuda": torch.version.cuda, "python": platform.python_version()}
    for mod in ("torchvision", "transformers", "onnx"):
        try:
            env[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - absent is a fact worth recording
            env[mod] = "absent"
    if torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(0)
    try:
        env["driver"] = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                       capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except Exception:  # noqa: BLE001
        env["driver"] = "unknown"
    return env


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workdir")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--groups", default=",".join(DEFAULT_GROUPS), help=f"any of {GROUPS}")
    ap.add_argument("--batches-cv", default="1,32")
    ap.add_argument("--batches-seq", default="1,16")
    ap.add_argument("--quick", action="store_true", help="fewer iterations (and shorter time limits)")
    ap.add_argument("--iters", type=int, default=0, help="latency iterations per peer (default 200, quick 40)")
    ap.add_argument("--warmup", type=int, default=0, help="warm-up calls per peer (default 20, quick 5)")
    ap.add_argument("--max-seconds", type=float, default=0, help="time cap per peer's latency loop (default 8, quick 2)")
    ap.add_argument("--deadline", type=float, default=3600, help="seconds this script may run in all")
    ap.add_argument("--compile-timeout", type=float, default=0, help="per model, torch.compile default (default 240, quick 150)")
    ap.add_argument("--autotune-timeout", type=float, default=300, help="per model, max-autotune")
    ap.add_argument("--onnx-exporter", default="auto", choices=["auto", "legacy", "dynamo"])
    ap.add_argument("--skip", default="", help="'onnx' skips the ONNX exports")
    ap.add_argument("--redo", action="store_true",
                    help="export and measure again what WORKDIR already has (default: skip it, so the same "
                         "command can be repeated until everything is done)")
    ap.add_argument("--pending", action="store_true",
                    help="print how many (model, batch, peer) measurements of --groups WORKDIR still lacks and exit; "
                         "imports no torch (run.sh sizes its phases with it)")
    ap.add_argument("--pack-autotuning", default="", metavar="ARCHIVE",
                    help="pack max-autotune's results in WORKDIR (timings, chosen configurations; not the kernels) into "
                         "ARCHIVE (.tgz) and exit; imports no torch")
    ap.add_argument("--seed-autotuning", default="", metavar="ARCHIVE",
                    help="merge an archive --pack-autotuning wrote (on the same kind of GPU, --gpu) into WORKDIR's "
                         "Inductor caches and exit: max-autotune then benchmarks only what it lacks")
    ap.add_argument("--resume", default="", metavar="TORCH_JSON",
                    help="add the rows an earlier session's torch.json measured fine (on the same kind of GPU, --gpu) "
                         "to WORKDIR's, each marked with its run, and exit: they are not measured again; imports no torch")
    ap.add_argument("--gpu", default="", help="the GPU's name, for --pack-autotuning, --seed-autotuning and --resume")
    ap.add_argument("--inductor-log", action="store_true",
                    help="torch.compile workers log Inductor's autotuning decisions (precompilation, compile pool) at "
                         "debug level, time-stamped, into their log")
    ap.add_argument("--inductor-pool", choices=("auto", "threads", "split"), default="split",
                    help="where torch.compile workers compile Triton kernels: split (default: max-autotune's candidates "
                         "on threads of the worker, the rest in Inductor's subprocess pool), auto (Inductor's own way: "
                         "everything in the pool once it is up: ResNet-50's max-autotune then did not compile batch 1 FP32 in "
                         "412 s, against 124 s split), "
                         "threads (everything in the worker's process); max-autotune records say which unless auto")
    ap.add_argument("--worker", default="", help=argparse.SUPPRESS)
    ap.add_argument("--worker-model", default="", help=argparse.SUPPRESS)
    ap.add_argument("--records", default="", help=argparse.SUPPRESS)
    ap.add_argument("--warm-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--skip-peers", default="", help=argparse.SUPPRESS)
    ap.add_argument("--cache-state", default="cold", help=argparse.SUPPRESS)
    ap.add_argument("--concurrent", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--compile-procs", type=int, default=1,
                    help="torch.compile workers compiling at once (default 1: each model compiled and timed in turn). "
                         "With N > 1 each group runs in two phases: up to N workers compile (and autotune) their "
                         "models side by side, filling each model's Inductor cache; then each model is timed alone, "
                         "its worker compiling again from that cache. The compile time shown is the first phase's, "
                         "marked as measured with N compiling at once")
    a = ap.parse_args(argv)
    a.models = parse_list(a.models, MODELS, "model")
    a.groups = parse_list(a.groups, GROUPS, "group")
    a.batches_cv = [int(x) for x in parse_list(a.batches_cv)]
    a.batches_seq = [int(x) for x in parse_list(a.batches_seq)]
    a.skip = parse_list(a.skip)
    a.iters = a.iters or (40 if a.quick else 200)
    a.warmup = a.warmup or (5 if a.quick else 20)
    a.max_seconds = a.max_seconds or (2.0 if a.quick else 8.0)
    a.min_iters = min(10, a.iters)
    a.compile_timeout = a.compile_timeout or (150 if a.quick else 240)
    if a.worker:
        run_compile_worker(a)
        return 0
    if a.pending:
        print(pending(a))
        return 0
    if a.pack_autotuning:
        n = pack_autotuning(a.workdir, a.pack_autotuning, a.gpu)
        print(f"autotuning: {n} files of results packed into {a.pack_autotuning}" if n else "autotuning: no results to pack")
        return 0
    if a.resume:
        print(f"resume: {resume(a.workdir, a.resume, a.gpu)} rows of {a.resume} (measured fine there) are not measured again")
        return 0
    if a.seed_autotuning:
        for folder, n in sorted(seed_autotuning(a.workdir, a.seed_autotuning, a.gpu).items()):
            print(f"autotuning: {folder} starts from {n} files of results of {a.seed_autotuning}")
        return 0

    import torch
    setup_torch()
    clock = Clock(a.deadline)
    t_start = time.time()
    os.makedirs(os.path.join(a.workdir, "models"), exist_ok=True)
    os.makedirs(os.path.join(a.workdir, "results"), exist_ok=True)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out_path = os.path.join(a.workdir, "results", "torch.json")
    result = empty_results(environment(a.groups), args=sys.argv[1:])
    if os.path.exists(out_path):  # a previous call's measurements stay unless measured again
        with open(out_path) as f:
            old = json.load(f)
        result["measurements"] = old.get("measurements", [])
        result["exports"] = old.get("exports", [])
        env = result["env"]
        env["mode"] = PYTORCH_ONLY + ",".join(run_groups(a.groups, old.get("env", {}), env["run_id"]))

    def save():
        result["seconds"] = round(time.time() - t_start, 1)
        write_results(out_path, result)

    def done(name, batch, peer):
        """Whether an earlier call measured this peer fine (then it is not measured again unless --redo)."""
        return not a.redo and (name, batch, peer) in measured_ok(result["measurements"])

    def put(rec):
        ms = result["measurements"]
        ms[:] = [m for m in ms if row_key(m) != row_key(rec)]
        ms.append(rec)
        print(summary_line(rec), flush=True)
        save()

    manifest_path = os.path.join(a.workdir, "models", "manifest.json")
    if "export" in a.groups:
        manifest = {"entries": []}
        if os.path.exists(manifest_path):
            with open(manifest_path) as f:
                manifest = json.load(f)
        for name in a.models:
            for b in batches_for(name, a):
                old_entry = next((x for x in manifest["entries"] if (x["model"], x["batch"]) == (name, b)), None)
                # with --skip onnx (e.g. for the torch.compile peers alone) an export without ONNX files is enough
                files = ("npz", "pt2") + (() if "onnx" in a.skip else ("onnx", "onnx_fp16"))
                if (not a.redo and old_entry is not None and all(f in old_entry for f in files)
                        and all(os.path.exists(os.path.join(a.workdir, "models", old_entry[f])) for f in files)):
                    print(f"EXPORT model={name} batch={b}: exported by an earlier call (--redo exports again)")
                    continue
                if clock.left() < 20:
                    result["skipped"].append(f"export {key(name, b)}: deadline")
                    continue
                try:
                    e = export_one(name, b, a, dev)
                    manifest["entries"] = [x for x in manifest["entries"] if (x["model"], x["batch"]) != (name, b)]
                    manifest["entries"].append(e)
                    manifest["entries"].sort(key=lambda x: (MODELS.index(x["model"]), x["batch"]))
                    with open(manifest_path, "w") as f:
                        json.dump(manifest, f, indent=1)
                    result["exports"] = [x for x in result["exports"] if (x["model"], x["batch"]) != (name, b)]
                    rec = {k: e[k] for k in ("model", "batch", "export_s", "onnx_exporter", "onnx_fp16_exporter", "onnx_s")
                           if k in e}
                    errors = [e[k] for k in ("pt2_error", "onnx_error", "onnx_fp16_error") if k in e]
                    if errors:
                        rec["error"] = " | ".join(errors)
                    result["exports"].append(rec)
                    print(f"EXPORT model={name} batch={b} seconds={e['export_s']}+{e.get('onnx_s', 0)} "
                          f"onnx={e.get('onnx_exporter', 'skipped')} onnx_fp16={e.get('onnx_fp16_exporter', 'skipped')}",
                          flush=True)
                except Exception as ex:  # noqa: BLE001
                    traceback.print_exc()
                    result["exports"].append({"model": name, "batch": b, "error": f"{type(ex).__name__}: {str(ex)[:500]}"})
                    print(f"EXPORT model={name} batch={b} FAILED {type(ex).__name__}: {str(ex)[:300]}", flush=True)
                save()

    if not torch.cuda.is_available():
        print("no CUDA device: exports only", flush=True)
        save()
        return 0
    entries = read_manifest(a) if os.path.exists(manifest_path) else []

    if "eager" in a.groups:
        for e in entries:
            if clock.left() < 10:
                result["skipped"].append(f"eager {key(e['model'], e['batch'])}: deadline")
                continue
            peers = [half for half in (False, True) if not done(e["model"], e["batch"], f"eager-{'fp16' if half else 'fp32'}")]
            if not peers:
                continue
            model, _ = build(e["model"], e["batch"])
            xs, ys = load_refs(e, a)
            for half in peers:
                rec = measure(f"eager-{'fp16' if half else 'fp32'}", model, xs, ys, e["batch"], a, clock, half=half)
                rec.update({"model": e["model"], "batch": e["batch"]})
                put(rec)

    for group, limit in (("compile", a.compile_timeout), ("autotune", a.autotune_timeout)):
        if group in a.groups:
            run_compile_group(group, limit, entries, a, clock, done, put, result["skipped"])
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
