#!/usr/bin/env bash
# Kiln bench, one command on the GPU machine (JAVA, CP and OUT set by .gpu/device.sh):
#
#   bash .gpu/device.sh sh 'bash bench/run.sh [--quick] [--group G[,G...]] [--models m[,m...]] [--budget S] [--gpus N]
#                          [--include FILE.json] [--seed-caches caches.tgz] [--seed-autotuning autotuning.tgz]
#                          [--resume torch.json]'
#
# --gpus N (on a machine with N GPUs) runs the whole thing once per GPU, each with a share of the models, in
# parallel, and merges the results: the only way the whole matrix fits one 10-minute call.
#
# Runs, in this order, within --budget seconds (default 560: one 10-minute device call):
#   1. python3 bench/export_and_time.py  groups export, eager        (models -> WORK/models, PyTorch eager peers)
#   2. java dev.kiln.bench.Main run      groups kiln, onnx, graph, compile-time, overhead, turns
#   3. python3 bench/export_and_time.py  groups compile, autotune    (torch.compile peers, in what time is left)
#   4. java dev.kiln.bench.Main kernels  group kernels (opt-in)      (CUPTI kernel profiles -> $OUT/kernels.md)
#   5. java dev.kiln.bench.Main merge    -> $OUT/results.json, $OUT/results.md
# and packs WORK/layers (engine inspector JSON of every Kiln and ONNX engine) into $OUT/layers.tgz and the
# logs into $OUT/logs.tgz. Groups: export eager compile autotune kiln onnx graph compile-time overhead turns kernels
# (default: all but autotune and kernels; --quick: fewer iterations, no compile-time, ONNX builds start from Kiln's
# timing cache). Measurements accumulate in WORK
# (default $GPU_STAGE_HOME/bench-work, which lives as long as the machine stays warm), so a second call
# with other groups or models adds to the same results, and what a call already measured fine is not
# measured again (--redo measures it again; --fresh starts over), so the same command can simply be
# repeated until everything is in. Extra result files given with
# --include FILE.json (e.g. an earlier call's results.json carried back) are merged in first.
# $OUT/caches.tgz holds every build's timing cache; --seed-caches caches.tgz (carried back into a later session)
# starts each build from it, so a later session re-times every engine in seconds per build; those builds record
# compile_seeded_s / build_seeded_s, and the merge with --include keeps the earlier run's cold figures.
# $OUT/autotuning.tgz holds max-autotune's results (the timings of every choice it benchmarked, the configurations
# it chose; not the kernels: a few KB); --seed-autotuning autotuning.tgz (carried back into a later session, on the
# same kind of GPU) merges them into the work folder first, so a model whose autotuning a time limit cut off goes on
# from where it stopped instead of benchmarking every operator again; its compile time is then marked as seeded.
# --resume torch.json (an earlier session's, same kind of GPU) adds the PyTorch rows it measured fine to the work
# folder's, each marked with the run that measured it, so they are not measured again (max-autotune's
# configurations an earlier session finished).
# Without JAVA (called directly, not through .gpu/device.sh, so no staged runtime) only the PyTorch groups run
# (--group export,eager,compile,autotune), and $OUT/torch.json is their result, for Main merge elsewhere.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
QUICK=0
GROUPS_ARG=""
MODELS=""
BUDGET=560
FRESH=0
INCLUDES=()
PY_EXTRA=()
JAVA_EXTRA=()
GPUS=1
SEED=""
SEED_AT=""
RESUME=""
ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1; shift ;;
    --group|--groups) GROUPS_ARG="${GROUPS_ARG:+$GROUPS_ARG,}$2"; shift 2 ;;
    --models) MODELS=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --fresh) FRESH=1; shift ;;
    --redo) PY_EXTRA+=(--redo); JAVA_EXTRA+=(--redo); shift ;;
    --include) INCLUDES+=("$2"); shift 2 ;;
    --py) PY_EXTRA+=("$2"); shift 2 ;;       # one extra argument for export_and_time.py
    --java) JAVA_EXTRA+=("$2"); shift 2 ;;   # one extra argument for Main run
    --gpus) GPUS=$2; shift 2 ;;              # split the models over this many GPUs of the machine, one run each
    --seed-caches) SEED=$2; shift 2 ;;       # an earlier run's caches.tgz (or its unpacked folder): builds start from it
    --seed-autotuning) SEED_AT=$2; shift 2 ;;  # an earlier run's autotuning.tgz: max-autotune goes on from its results
    --resume) RESUME=$2; shift 2 ;;          # an earlier session's torch.json: what it measured fine is not measured again
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z $GROUPS_ARG ]]; then
  GROUPS_ARG=export,eager,compile,kiln,onnx,graph,compile-time,overhead,turns
  [[ $QUICK == 1 ]] && GROUPS_ARG=export,eager,compile,kiln,onnx,graph,overhead,turns
fi
has() { [[ ",$GROUPS_ARG," == *",$1,"* ]]; }
pick() { local out=""; for g in "$@"; do has "$g" && out="${out:+$out,}$g"; done; echo "$out"; }
# The PyTorch groups alone (export, eager, compile, autotune) need no Java, so no staged runtime: without JAVA the
# results stay PyTorch's own ($OUT/torch.json, to merge with Main merge where Java is). The other groups need it.
NOJAVA=0
if [[ -z ${JAVA:-} ]]; then
  NEED=$(pick kiln onnx graph compile-time overhead turns kernels)
  if [[ -n $NEED ]]; then
    echo "bench: JAVA is not set, and groups $NEED need it: run through .gpu/device.sh after staging (shared/gpu/README.md), or name only PyTorch groups (--group export,eager,compile,autotune)" >&2
    exit 2
  fi
  NOJAVA=1
fi

OUT=${OUT:-$ROOT/bench-out}
WORK=${BENCH_WORK:-${GPU_STAGE_HOME:-$HOME}/bench-work}

# the results name the Kiln commit: the one the staged jars were built from (kiln-build.properties, written by the
# compiler module's build), or KILN_VERSION when given. Not git on the GPU machine: its copy of the tree is not the
# staged checkout (the eleventh session's results said b1b6c59, two commits before the jars that ran). A value
# that is not a commit hash is refused: a placeholder once went into a results file and had to be corrected by hand.
if [[ -n ${KILN_VERSION:-} && ! $KILN_VERSION =~ ^[0-9a-f]{7,40}(-dirty(\.[0-9a-f]{8})?)?$ ]]; then
  echo "bench: KILN_VERSION='$KILN_VERSION' is not a commit hash; pass KILN_VERSION=\$(git rev-parse --short HEAD) from the checkout that was staged" >&2
  exit 2
fi
if (( GPUS > 1 )); then
  # one run: every GPU's results carry the same run_id (below), so the merge treats them as one run's rows
  export BENCH_RUN_ID=${BENCH_RUN_ID:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
  # One whole run per GPU, each with its share of the models (every peer of a model on the same GPU, so its
  # ratios compare like with like), its own work folder and $OUT; then one merge of their results. A
  # model's cost is mostly its TensorRT builds; the greedy split below uses the 2026-12-04 H200 figures.
  cost() { case $1 in resnet50) echo 9 ;; efficientnet_b0) echo 8 ;; vit_b_16) echo 6 ;; bert_base) echo 6 ;;
                      gpt2_blocks) echo 6 ;; mobilenet_v3_large) echo 5 ;; *) echo 5 ;; esac; }
  ALL=${MODELS:-resnet50,efficientnet_b0,vit_b_16,bert_base,gpt2_blocks,mobilenet_v3_large}
  declare -a SHARE LOAD
  for ((i = 0; i < GPUS; i++)); do SHARE[i]=""; LOAD[i]=0; done
  for m in $(for m in ${ALL//,/ }; do echo "$(cost "$m") $m"; done | sort -rn | cut -d' ' -f2); do
    best=0; for ((i = 1; i < GPUS; i++)); do (( LOAD[i] < LOAD[best] )) && best=$i; done
    SHARE[best]="${SHARE[best]:+${SHARE[best]},}$m"; LOAD[best]=$(( LOAD[best] + $(cost "$m") ))
  done
  # the same arguments minus --gpus and --models
  CHILD=(); skipnext=0
  for a in "${ARGS[@]}"; do
    if (( skipnext )); then skipnext=0; continue; fi
    case $a in --gpus|--models) skipnext=1; continue ;; esac
    CHILD+=("$a")
  done
  mkdir -p "$OUT"
  nvidia-smi --query-gpu=index,name,uuid,driver_version --format=csv,noheader > "$OUT/gpus.txt" 2>&1
  # each run gets its own share of the CPU cores (taskset) and as many Inductor compile threads: without it the
  # runs' TensorRT builds and torch.compile workers (which start a thread per core) contend for every core, and a
  # batch-1 latency timed on one GPU would measure another GPU's compile
  NCPU=$(nproc 2>/dev/null || echo 16); PER=$(( NCPU / GPUS )); (( PER < 1 )) && PER=1
  PIN=0; command -v taskset > /dev/null && (( NCPU >= GPUS )) && PIN=1
  for ((i = 0; i < GPUS; i++)); do
    [[ -z ${SHARE[i]} ]] && continue
    CORES="$(( i * PER ))-$(( (i + 1) * PER - 1 ))"
    echo "bench: GPU $i runs ${SHARE[i]}$( (( PIN )) && echo " on cores $CORES")" | tee -a "$OUT/gpus.txt"
    mkdir -p "$OUT/gpu$i"
    PINNED=(); (( PIN )) && PINNED=(taskset -c "$CORES")
    ( CUDA_VISIBLE_DEVICES=$i OUT="$OUT/gpu$i" BENCH_WORK="$WORK/gpu$i" TORCHINDUCTOR_COMPILE_THREADS=$PER \
        "${PINNED[@]}" bash "$0" "${CHILD[@]}" --models "${SHARE[i]}" > "$OUT/gpu$i/run.log" 2>&1 ) &
  done
  wait
  PARTS=(); for ((i = 0; i < GPUS; i++)); do [[ -f $OUT/gpu$i/results.json ]] && PARTS+=("$OUT/gpu$i/results.json"); done
  KFLAG=(); [[ -n ${KILN_VERSION:-} ]] && KFLAG=(--kiln-version "$KILN_VERSION")
  if (( NOJAVA )); then
    echo "bench: no JAVA: each GPU's PyTorch results are in \$OUT/gpuN/torch.json (merge them with Main merge where Java is)"
  else
    "$JAVA" -cp "$CP" dev.kiln.bench.Main merge --out "$OUT" "${KFLAG[@]}" "${INCLUDES[@]}" "${PARTS[@]}" \
      || echo "bench: merge of the GPUs' results failed"
  fi
  for ((i = 0; i < GPUS; i++)); do [[ -f $OUT/gpu$i/run.log ]] && { echo "--- GPU $i"; tail -3 "$OUT/gpu$i/run.log"; }; done
  [[ -f $OUT/results.md ]] && cat "$OUT/results.md"
  exit 0
fi
[[ $FRESH == 1 ]] && rm -rf "$WORK"
mkdir -p "$OUT" "$WORK/logs" "$WORK/results"
# the run's id, one per work folder (calls that continue a work folder on a warm machine are one run): Python and
# Java record it (env run_id), and Main merge stamps the rows of any other run with the run that measured them
if [[ -z ${BENCH_RUN_ID:-} ]]; then
  [[ -s $WORK/run-id ]] || date -u +%Y-%m-%dT%H:%M:%SZ > "$WORK/run-id"
  BENCH_RUN_ID=$(cat "$WORK/run-id")
fi
export BENCH_RUN_ID
# --seed-caches: the timing caches an earlier run left in its caches.tgz; each Kiln and ONNX build whose cache is
# there starts from it (the same tactics in seconds, not minutes) and records a seeded time, never a cold one
if [[ -n $SEED ]]; then
  if [[ -f $SEED ]]; then
    rm -rf "$WORK/seed-caches"; mkdir -p "$WORK/seed-caches"
    tar -xzf "$SEED" -C "$WORK/seed-caches" --strip-components=1 caches || { echo "bench: cannot unpack $SEED" >&2; exit 2; }
    SEED=$WORK/seed-caches
  elif [[ ! -d $SEED ]]; then
    echo "bench: --seed-caches $SEED: no such file or folder (an earlier run's caches.tgz)" >&2; exit 2
  fi
  JAVA_EXTRA+=(--seed-caches "$SEED")
  echo "bench: builds start from the $(ls "$SEED" | wc -l) timing caches in $SEED"
fi
GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
if [[ -n $SEED_AT ]]; then
  [[ -f $SEED_AT ]] || { echo "bench: --seed-autotuning $SEED_AT: no such file (an earlier run's autotuning.tgz)" >&2; exit 2; }
  python3 "$HERE/export_and_time.py" "$WORK" --seed-autotuning "$SEED_AT" --gpu "$GPU_NAME" || exit 2
fi
if [[ -n $RESUME ]]; then
  [[ -f $RESUME ]] || { echo "bench: --resume $RESUME: no such file (an earlier session's torch.json)" >&2; exit 2; }
  python3 "$HERE/export_and_time.py" "$WORK" --resume "$RESUME" --gpu "$GPU_NAME" || exit 2
fi
START=$(date +%s)
left() { echo $(( BUDGET - ($(date +%s) - START) )); }
QFLAG=(); [[ $QUICK == 1 ]] && QFLAG=(--quick)
MFLAG=(); [[ -n $MODELS ]] && MFLAG=(--models "$MODELS")
KILN_VERSION=${KILN_VERSION:-}
# python runs without the staged runtime's library folder: torch brings its own CUDA 13 libraries, the
# TensorRT runtime's CUDA 12 ones are for Java only (other entries, e.g. where the driver lives, stay)
PY_LD=$(printf '%s' "${LD_LIBRARY_PATH:-}" | tr ':' '\n' | grep -v '/rt/native$' | paste -sd: - || true)
nvidia-smi --query-gpu=name,driver_version,memory.used,memory.total,clocks.sm,clocks.max.sm,temperature.gpu \
  --format=csv 2>&1 | tee "$WORK/logs/nvidia-smi.txt"
# the host as this call found it, appended per call (a work folder's calls are one run): per-call timings of
# host-bound engines moved 0.47-0.70 ms between runs of one command on one kind of machine (2026-12-05, twentieth
# session), and which cores the processes may use, how far they are from the GPU and how busy the host was are the
# first suspects
host_facts() {
  echo "--- $(date -u +%Y-%m-%dT%H:%M:%SZ) $1"
  echo "nproc $(nproc 2>/dev/null); $(grep -h Cpus_allowed_list /proc/self/status 2>/dev/null); loadavg $(cat /proc/loadavg 2>/dev/null)"
  if [[ $1 == start ]]; then
    lscpu 2>/dev/null | grep -E '^(Model name|Socket|NUMA node|CPU max MHz|CPU\(s\))' || true
    nvidia-smi topo -m 2>&1 | head -8 || true
  fi
  nvidia-smi --query-gpu=clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv,noheader 2>&1 | head -2 || true
}
host_facts start >> "$WORK/logs/host.txt"

phase() { echo "=== bench: $1 ($(left) s of $BUDGET left) ==="; }
# export_and_time.py exits 2 only when it refuses its arguments (argparse's usage error, e.g. an ambiguous
# --py --batches=32): nothing after it can measure anything, so the call stops there rather than run its Java phase
# on no exported model (the twenty-third session's such call ran on for a second and left empty tables)
refused() {
  if [[ $1 == 2 ]]; then
    echo "bench: export_and_time.py refused its arguments (its usage above): nothing measured; fix the --py options" >&2
    exit 2
  fi
}

# merged after every phase, so $OUT holds the latest tables even if the call is cut short
merge() {
  if (( NOJAVA )); then
    [[ -f $WORK/results/torch.json ]] && cp "$WORK/results/torch.json" "$OUT/torch.json"
    return 0
  fi
  local inputs=("${INCLUDES[@]}" "$WORK/results/torch.json" "$WORK/results/kiln.json") kflag=()
  [[ -n $KILN_VERSION ]] && kflag=(--kiln-version "$KILN_VERSION")
  "$JAVA" -cp "$CP" dev.kiln.bench.Main merge --out "$OUT" "${kflag[@]}" "${inputs[@]}" >>"$WORK/logs/merge.log" 2>&1 \
    || { echo "bench: merge failed:"; tail -5 "$WORK/logs/merge.log"; }
}

G=$(pick export eager)
if [[ -n $G ]]; then
  phase "python $G"
  # keep most of the budget for the engines: exports and eager get at most 45% of it (all of it, less what
  # torch.compile needs, when this call builds no engines)
  D=$(( $(left) * 45 / 100 ))
  if [[ -z $(pick kiln onnx graph compile-time overhead turns) ]]; then
    KEEP=30; [[ -n $(pick compile autotune) ]] && KEEP=200
    D=$(( $(left) - KEEP ))
    (( D < $(left) / 3 )) && D=$(( $(left) / 3 ))   # a small --budget: a third for the exports, not a negative time
  fi
  timeout $(( D + 60 )) env LD_LIBRARY_PATH="$PY_LD" python3 "$HERE/export_and_time.py" "$WORK" "${MFLAG[@]}" "${QFLAG[@]}" \
    "${PY_EXTRA[@]}" --groups "$G" --deadline "$D" 2>&1 | tee "$WORK/logs/python-export-eager.log"
  refused "${PIPESTATUS[0]}"
  merge
fi

G=$(pick kiln onnx graph compile-time overhead turns)
if [[ -n $G ]]; then
  # time kept for torch.compile after the engines, only where it still has peers to measure (a second call for
  # the same models would otherwise leave 150 s of a ten-minute call unused)
  pending() { env LD_LIBRARY_PATH="$PY_LD" python3 "$HERE/export_and_time.py" "$WORK" "${MFLAG[@]}" "${PY_EXTRA[@]}" \
      --groups "$1" --pending 2>/dev/null || echo unknown; }
  RESERVE=0
  has compile && [[ $(pending compile) != 0 ]] && RESERVE=$(( QUICK == 1 ? 90 : 150 ))
  has autotune && [[ $(pending autotune) != 0 ]] && RESERVE=$(( RESERVE + 150 ))
  echo "bench: $RESERVE s kept for torch.compile"
  # a TensorRT build cannot be interrupted: the runner starts no peer it expects to run past D (PeerCost: from
  # the same model's other builds, else 130 s for FP16 and 50 s for FP32), and the JVM gets 30 s beyond D for
  # a build that takes longer than expected
  D=$(( $(left) - RESERVE - 40 )); (( D < 30 )) && D=30
  phase "java $G (no new peer after $D s)"
  host_facts "before java $G" >> "$WORK/logs/host.txt"
  JFLAG=(); [[ -n $MODELS ]] && JFLAG=(--models "$MODELS")
  timeout $(( $(left) - RESERVE - 10 > 60 ? $(left) - RESERVE - 10 : 60 )) \
    "$JAVA" -Dorg.slf4j.simpleLogger.showDateTime=true -cp "$CP" dev.kiln.bench.Main run --work "$WORK" \
    --groups "$G" --deadline "$D" "${JFLAG[@]}" "${QFLAG[@]}" "${JAVA_EXTRA[@]}" 2>&1 | tee "$WORK/logs/java-run.log"
  host_facts "after java $G" >> "$WORK/logs/host.txt"
  merge
fi

G=$(pick compile autotune)
if [[ -n $G ]]; then
  D=$(( $(left) - 25 ))
  if (( D > 40 )); then
    phase "python $G"
    timeout $(( D + 15 )) env LD_LIBRARY_PATH="$PY_LD" python3 "$HERE/export_and_time.py" "$WORK" "${MFLAG[@]}" \
      "${QFLAG[@]}" "${PY_EXTRA[@]}" --groups "$G" --deadline "$D" 2>&1 | tee "$WORK/logs/python-compile.log"
    refused "${PIPESTATUS[0]}"
  else
    echo "bench: no time left for $G"
  fi
fi

# kernel profiles (CUPTI) of the engines the Java phase left, in a JVM of its own after every timed run; CUPTI is
# carried as .gpu/cupti (tools/gpu/cupti.sh)
if has kernels; then
  if (( $(left) > 40 )); then
    phase "java kernels"
    [[ -d $ROOT/.gpu/cupti ]] || echo "bench: no .gpu/cupti (tools/gpu/cupti.sh, carried with the call): the profiles will say CUPTI is missing"
    JFLAG=(); [[ -n $MODELS ]] && JFLAG=(--models "$MODELS")
    timeout $(( $(left) - 25 )) env LD_LIBRARY_PATH="$ROOT/.gpu/cupti:${LD_LIBRARY_PATH:-}" "$JAVA" -cp "$CP" dev.kiln.bench.Main kernels \
      --work "$WORK" --out "$OUT" "${JFLAG[@]}" "${JAVA_EXTRA[@]}" 2>&1 | tee "$WORK/logs/java-kernels.log" | grep -E '^KERNELS|^bench:|Exception' | head -60
  else
    echo "bench: no time left for kernels"
  fi
fi

phase "merge"
merge
if [[ -d $WORK/layers ]]; then
  env LD_LIBRARY_PATH="$PY_LD" python3 "$HERE/compare_layers.py" "$WORK/layers" > "$WORK/layers/COMPARE.md" 2>/dev/null || true
  (cd "$WORK" && tar -czf "$OUT/layers.tgz" layers)
fi
(cd "$WORK" && tar -czf "$OUT/logs.tgz" logs results models/manifest.json 2>/dev/null)
# the timing caches of every build, for a later run's --seed-caches (carried back: one file of a few MB)
if compgen -G "$WORK/caches/*.timing" > /dev/null; then
  (cd "$WORK" && tar -czf "$OUT/caches.tgz" caches)
fi
# max-autotune's results, for a later session's --seed-autotuning (carried back: a few KB)
if has autotune; then
  python3 "$HERE/export_and_time.py" "$WORK" --pack-autotuning "$OUT/autotuning.tgz" --gpu "$GPU_NAME"
fi
echo "=== bench: done in $(( $(date +%s) - START )) s; \$OUT: $(ls "$OUT" | paste -sd' ') ==="
if [[ -f $OUT/results.md ]]; then cat "$OUT/results.md"; fi
