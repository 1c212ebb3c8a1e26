#!/usr/bin/env bash
# Every GPU check of Kiln in one device call, run in parallel where they do not disturb each other
# (inside `bash .gpu/device.sh sh '...'`, after the runtime parts and, for libtorch on CUDA, the tc parts
# of tools/gpu/stage-torch-cuda.sh were taken):
#
#   bash tools/gpu/checks.sh [--budget S] [--tc N] [--shards K | --shard-range A-B/K] [--tck-cases C] [--tck-extra OPS]
#                            [--tck-extra-procs N] [--models-only m,m] [--model-procs N]
#                            [--skip tck,models,hybrid,cuda,engine,threads]
#
# First, alone: a warm-up that compiles and runs the bundled CNN through the CLI (as a TensorRT engine, and
# as a .kiln archive run by libtorch), so that JavaCPP has unpacked every native library before many JVMs start at once (ten
# kit processes unpacking the same libraries together died of SIGBUS in the dynamic loader, 2026-12-04).
#
# Phase A, in parallel until --budget minus phase B's share: the conformance kit in K processes (kiln.tck.shard),
# the example converter's kit, backend-torch on CUDA, the hybrid runtime on CUDA libtorch and on CPU
# libtorch, and (after tools/gpu/export_models.py) the exported models end to end and through the
# fallback compile. Phase B, one at a time: the engine leak test and the 16-thread memory test (GPU memory is
# read device-wide, so nothing else may run), and the checks that print timings (per-call overhead, CUDA graphs,
# the bench's and the CLI's timing loops), which beside other JVMs would measure the contention. Writes $OUT/summary.txt (every summary line and each log's totals),
# $OUT/tck-lines.txt, $OUT/tck-failures.txt and $OUT/logs.tgz.
set -u
BUDGET=560; TC=0; SHARDS=10; FIRST=0; LAST=""; CASES=256; SKIP=""; EXTRA=""; CONV_OPS=""; ONLY=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --budget) BUDGET=$2; shift 2 ;;
    --tc) TC=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    # run only shards FIRST..LAST of K, so that two calls split the kit: --shard-range 0-9/20, then 10-19/20
    --shard-range) r=${2%/*}; SHARDS=${2#*/}; FIRST=${r%-*}; LAST=${r#*-}; shift 2 ;;
    --tck-cases) CASES=$2; shift 2 ;;
    --skip) SKIP=$2; shift 2 ;;
    --tck-extra) EXTRA=$2; shift 2 ;;   # more kit processes for these converters (kiln.tck.ops syntax), besides the shards
    --tck-extra-procs) EXTRA_PROCS=$2; shift 2 ;;   # how many (default 4)
    --converter-ops) CONV_OPS=$2; shift 2 ;;   # ConverterGpuTest for these exact ops (comma list or @FILE), in phase A
    --models-only) ONLY=(--only "$2"); export KILN_GPU_MODELS=$2; shift 2 ;;   # export (and so check end to end) only these models
    --model-procs) MODEL_PROCS=$2; shift 2 ;;   # model processes at a time (default 4 per GPU)
    *) echo "checks.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
skip() { [[ ",$SKIP," == *",$1,"* ]]; }
# pooled CMD ARGS...: runs CMD in the background once fewer than MODEL_PROCS of the jobs it started are alive
POOL=()
pooled() {
  while :; do
    local alive=() p
    for p in "${POOL[@]}"; do kill -0 "$p" 2> /dev/null && alive+=("$p"); done
    POOL=("${alive[@]}")
    (( ${#POOL[@]} < MODEL_PROCS )) && break
    sleep 2
  done
  "$@" &
  POOL+=($!)
}
# --tck-extra @FILE, --converter-ops @FILE: the names listed in FILE, one per line, '#' comments
names() { if [[ $1 == @* ]]; then sed 's/#.*//' "${1#@}" | tr -s ' \n' '\n' | grep -v '^$' | paste -sd, -; else echo "$1"; fi; }
EXTRA=$(names "$EXTRA"); CONV_OPS=$(names "${CONV_OPS:-}")
T0=$(date +%s)
el() { echo $(( $(date +%s) - T0 )); }
L=$GPU_STAGE_HOME/checks; rm -rf "$L"; mkdir -p "$L"
PY_LD=$(echo "$LD_LIBRARY_PATH" | tr : '\n' | grep -v /rt/native | paste -sd:)
BASE_CP=$CP; BASE_LD=$LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$L/gpu.txt"
# on a machine with several GPUs the kit and model processes are spread over them (CUDA_VISIBLE_DEVICES);
# the builds are CPU-bound, so such a machine's extra cores are what make it faster
NGPU=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU'); (( NGPU < 1 )) && NGPU=1
MODEL_PROCS=${MODEL_PROCS:-$(( 4 * NGPU ))}
gpu_of() { echo $(( $1 % NGPU )); }
cuda_env() { :; }
if (( TC > 0 )); then
  ( source tools/gpu/torch-cuda.sh "$TC" ) > "$L/torch-cuda.txt" 2>&1
  cuda_env() { export CP="$GPU_STAGE_HOME/tc/cp:$BASE_CP"; export LD_LIBRARY_PATH="$GPU_STAGE_HOME/tc/lib:$BASE_LD"; }
fi
# a JVM that crashes leaves its report with the logs (logs.tgz), not in the machine's working folder. $L/NAME.rc
# keeps the run's exit status, limit and seconds (`exit=124 limit=30 elapsed=31`): 124 (or 137 past the limit) is
# the time limit's kill, which the summary (tools/gpu/checks-summary.sh) tells from a failure or a crash of its own
run() { local name=$1 secs=$2 t rc; shift 2; t=$(date +%s)
  ( export JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:-} -XX:ErrorFile=$L/hs_err_${name}_%p.log"
    OUT=$L timeout "$secs" bash tools/gpu/junit.sh "$name" "$@" ) > /dev/null 2>&1
  rc=$?; echo "exit=$rc limit=$secs elapsed=$(( $(date +%s) - t ))" > "$L/$name.rc"; return "$rc"; }
H=dev.kiln.compiler.HybridGpuTest
MODELS=resnet50,efficientnet_b0,mobilenet_v3_large,vit_b_16,bert_base,gpt2_blocks   # as in tools/gpu/export_models.py
FX=ir/src/test/resources/fixtures
{
  # TensorRT (the README's engine) and libtorch (a .kiln whose graph the cost model leaves in torch)
  echo "warm-up: kiln compile cnn.pt2 -o warm.engine + run; kiln compile cnn.pt2 -o warm.kiln --torch-ops aten::relu + run"
  K() { timeout 120 "$JAVA" -cp "$CP" dev.kiln.cli.KilnCli "$@"; }
  K compile $FX/cnn.pt2 -o "$L/warm.engine" --no-engine-cache && K run "$L/warm.engine" --inputs $FX/cnn.npz --output "$L/warm-trt.npz" \
    && K compile $FX/cnn.pt2 -o "$L/warm.kiln" --torch-ops aten::relu --no-engine-cache \
    && K run "$L/warm.kiln" --inputs $FX/cnn.npz --output "$L/warm.npz"
  echo "warm-up rc=$? at $(el)s"
} > "$L/warm-up.txt" 2>&1
# phase B's share: the memory tests (about 80 s), and the engine's leak, timing and kernel-profile checks (56 s on the
# H200, 2026-12-05, when 170 s were set aside for them and three kit processes were stopped at phase A's end for it)
B_SHARE=10; skip hybrid || skip threads || B_SHARE=$(( B_SHARE + 80 )); skip engine || B_SHARE=$(( B_SHARE + 90 ))
# seconds until phase A ends (at least 30: a process given no time at all would fail for nothing)
a_left() { local s=$(( BUDGET - B_SHARE - $(el) )); echo $(( s < 30 ? 30 : s )); }
A=$(a_left)
# One kit process (kit NAME JAVA_TOOL_OPTIONS). TensorRT's builder can take the JVM down (SIGSEGV after a Myelin
# "NVRTC Compilation failure" on a packed f16 convolution, H200 2026-12-04), which used to lose every converter
# the process had left: it is started again, up to three times while phase A has a minute left, skipping
# (kiln.tck.skip) what it finished and the converter it died in, which gets a TCK-CRASH line.
# A JVM that the time limit stopped and that crashed on its way out (SIGTERM while TensorRT's builder runs) is no
# converter's crash: no TCK-CRASH line, the summary's "cut off at phase A's end" line names the converter it was on.
kit() { local name=$1 opts=$2 n=$1 skip="" k=0 crashed finished rc
  while :; do
    JAVA_TOOL_OPTIONS="$opts${skip:+ -Dkiln.tck.skip=$skip}" run "$n" "$(a_left)" $TCK; rc=$?
    compgen -G "$L/hs_err_${n}_*.log" > /dev/null || return 0
    (( rc == 124 || rc == 137 )) && return 0
    crashed=$(grep -o 'TCK-START converter=[^ ]*' "$L/$n.log" | tail -1 | cut -d= -f2)
    [[ -n $crashed ]] || return 0
    echo "TCK-CRASH converter=$crashed process=$n: the JVM died in native code ($(basename "$(compgen -G "$L/hs_err_${n}_*.log" | head -1)"))" \
      >> "$L/tck-crashes.txt"
    finished=$(grep -o '^TCK converter=[^ ]*' "$L/$n.log" | cut -d= -f2 | paste -sd, -)
    skip=$(echo "$skip,$finished,$crashed" | tr , '\n' | grep -v '^$' | sort -u | paste -sd, -)
    k=$(( k + 1 )); n="$name-r$k"
    (( k <= 3 && $(a_left) > 60 )) || return 0
  done; }
if ! skip tck; then
  TCK="dev.kiln.tck.builtin.UnaryConformanceTest dev.kiln.tck.builtin.BinaryConformanceTest dev.kiln.tck.builtin.ReductionConformanceTest dev.kiln.tck.builtin.ShapeConformanceTest dev.kiln.tck.builtin.ConvPoolNormConformanceTest dev.kiln.tck.builtin.NnMiscConformanceTest dev.kiln.tck.builtin.QuantizeConformanceTest"
  OPTS="-XX:ParallelGCThreads=2 -XX:CICompilerCount=2 -Dkiln.tck.cases=$CASES -Dkiln.tck.reproducers=$L/repro"
  for i in $(seq "$FIRST" "${LAST:-$((SHARDS - 1))}"); do
    # one OpenMP thread each: libgomp's threads spin while waiting, and K processes x 16 of them starve the builds
    ( export OMP_NUM_THREADS=1 CUDA_VISIBLE_DEVICES=$(gpu_of "$i")
      kit "tck$i" "$OPTS -Dkiln.tck.shard=$i/$SHARDS" ) &
  done
  ( export OMP_NUM_THREADS=1; JAVA_TOOL_OPTIONS="$OPTS" run logit "$A" com.example.kiln.logit.LogitConformanceTest ) &
  if [[ -n $EXTRA ]]; then
    for i in $(seq 0 $(( ${EXTRA_PROCS:-4} - 1 ))); do
      ( export OMP_NUM_THREADS=1 CUDA_VISIBLE_DEVICES=$(gpu_of $(( i + 1 )))
        kit "tck-extra$i" "$OPTS -Dkiln.tck.ops=$EXTRA -Dkiln.tck.shard=$i/${EXTRA_PROCS:-4}" ) &
    done
  fi
fi
skip cuda || ( cuda_env; run cuda "$A" dev.kiln.backend.torch.CudaInterpreterGpuTest ) &
# the engine builder and runtime on their own (timing cache, failed builds naming their nodes, per-call overhead;
# all but the leak test, which reads device-wide free memory and so runs alone in phase B)
EG=dev.kiln.backend.tensorrt.EngineGpuTest
skip engine || ( run engine "$A" "$EG#dynamicBatchWithOneEngine" "$EG#fp16NetworkAndDeviceResidentRuns" "$EG#saveLoadAndTimingCache(java.nio.file.Path)" \
    "$EG#theBuilderIsPreparedOnce" "$EG#failedBuildNamesTheNode" ) &
# 2:4 sparse weights (kSPARSE_WEIGHTS) on a pruned fixture, against libtorch on the same pruned graph
skip engine || ( run sparse "$A" dev.kiln.compiler.SparseWeightsGpuTest ) &
# int8: the CNN fixture calibrated, int8 kernels in its engine, against libtorch on the marked graph
skip engine || ( run int8 "$A" dev.kiln.compiler.Int8GpuTest ) &
# --fp32-acc: the encoder in FP16 with and without FP32 accumulation of its matrix products, against PyTorch FP32
skip engine || ( run fp32acc "$A" dev.kiln.compiler.Fp32AccumulationGpuTest ) &
# ops without converters that the compile decomposes: one engine, against libtorch on the original graph
skip engine || ( run decompositions "$A" dev.kiln.compiler.DecompositionsGpuTest ) &
# a TorchScript if on a computed value: engines before and after, the branch in libtorch, against libtorch
skip engine || ( run branch "$A" dev.kiln.compiler.RuntimeBranchGpuTest ) &
# (the per-call overhead and the CUDA-graph checks, which print timings, run in phase B, alone)
# the bench's Python helpers, with the onnx package of the GPU machine's Python (the ONNX checker that keeps an invalid
# export away from TensorRT's parser: the FP16 transformers' legacy exports, 2026-12-05); no GPU work, a second
( cd bench && LD_LIBRARY_PATH=$PY_LD timeout 120 python3 -m unittest -v test_export_and_time > "$L/bench-py.log" 2>&1 ) &
if [[ -n $CONV_OPS ]]; then
  ( JAVA_TOOL_OPTIONS="-Dkiln.converters.ops=$CONV_OPS" run converters "$A" dev.kiln.backend.tensorrt.converters.ConverterGpuTest ) &
fi
if ! skip hybrid; then
  # without the CUDA libtorch parts (--tc 0) the checks that need no libtorch on CUDA run with CPU libtorch
  CPU_ONLY=()
  if (( TC > 0 )); then
    ( cuda_env; run hybrid "$A" "$H#anOpWithoutAConverterRunsInLibtorch" "$H#opsForcedToTorchMatchPyTorch" \
        "$H#saveThenLoadGivesBitIdenticalOutputs" "$H#engineCacheReusesEnginesAndRebuildsADamagedEntry" \
        "$H#isolatedBuildsMatchPyTorchAndTheInProcessBuild" ) &
  else
    CPU_ONLY=("$H#engineCacheReusesEnginesAndRebuildsADamagedEntry" "$H#isolatedBuildsMatchPyTorchAndTheInProcessBuild")
  fi
  ( JAVA_TOOL_OPTIONS=-Dkiln.torch.device=cpu run hybrid-cpu "$A" "$H#anOpWithoutAConverterRunsInLibtorch" \
      "$H#opsForcedToTorchMatchPyTorch" "$H#saveThenLoadGivesBitIdenticalOutputs" "${CPU_ONLY[@]}" ) &
fi
if ! skip models; then
  (
    LD_LIBRARY_PATH=$PY_LD timeout 220 python3 tools/gpu/export_models.py /tmp/kiln-models "${ONLY[@]}" > "$L/export.log" 2>&1
    echo "export rc=$? at $(el)s" >> "$L/export.log"
    # one process for the fixtures, then per model one end-to-end and one fallback process, at most
    # --model-procs (default 4 per GPU) at a time: all twelve at once made every build 3-4x slower (EfficientNet's
    # FP32 build 310 s instead of 85 s) and none of the FP16 builds of the big models finished (2026-12-04)
    E=dev.kiln.compiler.EndToEndGpuTest
    ( KILN_MODELS_DIR=/tmp/kiln-models run e2e $(a_left) "$E#committedFixtures" ) &
    e2e_model() { export CUDA_VISIBLE_DEVICES=$(gpu_of "$2")
      KILN_MODELS_DIR=/tmp/kiln-models KILN_GPU_MODELS=$1 run "e2e-$1" "$(a_left)" "$E#exportedModels"; }
    fallback_model() { export CUDA_VISIBLE_DEVICES=$(gpu_of "$2"); cuda_env
      KILN_MODELS_DIR=/tmp/kiln-models KILN_GPU_MODELS=$1 run "fallback-$1" "$(a_left)" "$H#everyFixtureCompilesWithFallbackEnabled"; }
    k=0
    for m in $(echo "${KILN_GPU_MODELS:-$MODELS}" | tr , ' '); do
      k=$(( k + 1 ))
      pooled e2e_model "$m" "$k"
      pooled fallback_model "$m" "$k"
    done
    wait
  ) &
fi
wait
echo "phase A done at $(el)s" > "$L/phases.txt"
# GPU memory read device-wide: alone, or the other processes' allocations read as this one's leak (the fifth
# session's run in phase A measured 3840 KiB per iteration, just under the 4 MiB limit, with 16 kit processes around)
skip engine || run engine-leaks 60 "$EG#noGpuMemoryLeaksInALoop"
# timings (per-call overhead, CUDA graphs against plain calls, the bench's and the CLI's timing loops): alone, since
# beside other JVMs on the machine's cores a call's host time measures the contention (the fifth session's 224 µs
# per runInto on a 6-layer engine ran beside 16 kit processes). CUDA graphs in a process of their own: a capture
# that went wrong inside TensorRT or CUDA would end only this JVM.
skip engine || run engine-timing 60 "$EG#perCallOverhead" "$EG#aBareEnqueueRunsTheBoundBuffersOnTheSessionsOwnContextAndOnlyInsideItsBody"
skip engine || ( cuda_env; run graphs 150 "$EG#cudaGraphsReplayTheLiveBuffersAndFollowNewShapes" dev.kiln.bench.BenchGpuTest \
    dev.kiln.cli.CliBenchGpuTest "$H#cudaGraphsGiveTheSameOutputs" )
# CUPTI's kernel profile (the bench's kernels group), alone in its JVM; CUPTI comes from tools/gpu/cupti.sh, carried
# as .gpu/cupti
if ! skip engine && ! ls .gpu/cupti/libcupti.so* > /dev/null 2>&1; then
  # not carried: said once in the summary, not run as a failing test (the eleventh session's "no jnicupti")
  echo "kernels: not run: .gpu/cupti/libcupti.so* is not here (tools/gpu/cupti.sh, then carry .gpu/cupti with the call)" >> "$L/phases.txt"
else
  skip engine || ( export LD_LIBRARY_PATH="$PWD/.gpu/cupti:$LD_LIBRARY_PATH"; run kernels 60 dev.kiln.bench.KernelProfileGpuTest )
fi
if ! skip hybrid && ! skip threads; then
  # a fixed, pre-touched heap: the test reads native growth as RSS growth
  FIXED="-Xms4g -Xmx4g -XX:+AlwaysPreTouch"
  ( cuda_env; JAVA_TOOL_OPTIONS="$FIXED" run threads 45 "$H#sixteenThreadsThousandCallsEachStayCorrectWithoutGrowth" )
  ( JAVA_TOOL_OPTIONS="$FIXED -Dkiln.torch.device=cpu" run threads-cpu 40 "$H#sixteenThreadsThousandCallsEachStayCorrectWithoutGrowth" )
fi
echo "phase B done at $(el)s" >> "$L/phases.txt"
# every summary line, each log's totals, what the time limit stopped, the crashes (tools/gpu/checks-summary.sh)
bash tools/gpu/checks-summary.sh "$L" > "$OUT/summary.txt" 2>&1
{ grep -h '^TCK converter' "$L"/*.log | sort; cat "$L/tck-crashes.txt" 2>/dev/null; } > "$OUT/tck-lines.txt"
grep -h -A3 '^TCK-FAILURE' "$L"/*.log | head -400 > "$OUT/tck-failures.txt"
tar -czf "$OUT/logs.tgz" -C "$L" --exclude=repro . 2>/dev/null
# the kit's reproducers (IR text + NPZ of each shrunk failure) come back when they are small enough to carry
if [[ -d $L/repro ]] && (( $(du -sm "$L/repro" | cut -f1) < 40 )); then tar -czf "$OUT/repro.tgz" -C "$L" repro 2>/dev/null; fi
head -150 "$OUT/summary.txt"
