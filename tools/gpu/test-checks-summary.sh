#!/usr/bin/env bash
# Checks, without a GPU, the summary of tools/gpu/checks.sh (tools/gpu/checks-summary.sh) on a made-up log folder:
# a JVM stopped by its time limit is said to be cut off, not FAILED (checks.sh --budget 250, 2026-12-05: model checks
# killed at phase A's end read as "FAILED, no test ran: Picked up JAVA_TOOL_OPTIONS: ... -XX:ErrorFile=..."); the
# JVM's "Picked up" banner is never a failure's reason; a crash on the time limit's kill is said to be one; a crash
# or a failure of its own still reads as before; the bench's Python tests without their totals are a failure. CI runs
# this (.ci/run).
#
#   bash tools/gpu/test-checks-summary.sh        # exit 1 and one line per broken expectation
#   SHOW=1 bash tools/gpu/test-checks-summary.sh # and print the summary it made
#   SUMMARY_SCRIPT=F bash tools/gpu/test-checks-summary.sh   # the same folder through another summary script F
set -uo pipefail
cd "$(dirname "$0")/../.."
L=$(mktemp -d); trap 'rm -rf "$L"' EXIT
BANNER="Picked up JAVA_TOOL_OPTIONS:  -XX:ErrorFile=/root/gpu-stage/checks/hs_err_%p.log"
echo "NVIDIA H100 80GB HBM3, 550.54.15, 81559 MiB" > "$L/gpu.txt"
printf 'phase A done at 170s\nphase B done at 246s\n' > "$L/phases.txt"
echo "warm-up rc=0 at 41s" > "$L/warm-up.txt"
rc() { echo "exit=$2 limit=$3 elapsed=$4" > "$L/$1.rc"; }
crash() { printf '#\n# A fatal error has been detected by the Java Runtime Environment:\n#\n#  SIGSEGV (0xb) at pc=0x1, pid=%s, tid=7\n#\n# Problematic frame:\n# C  [libnvinfer.so.10+0x244b782]\n#\n' "$2" > "$L/hs_err_$1_$2.log"; }
# stopped by its time limit before JUnit printed anything: only the banner
echo "$BANNER" > "$L/e2e-resnet50.log"; rc e2e-resnet50 124 30 30
# the same, and the JVM crashed on its way out (SIGTERM mid-build)
echo "$BANNER" > "$L/e2e-vit_b_16.log"; rc e2e-vit_b_16 124 30 31; crash e2e-vit_b_16 10739
# SIGKILL once the limit had passed: the time limit too
echo "$BANNER" > "$L/fallback-gpt2_blocks.log"; rc fallback-gpt2_blocks 137 45 46
# a selector that did not resolve: a failure of its own, its reason the first real exception
printf '%s\n%s\n%s\n' "$BANNER" "org.junit.platform.commons.PreconditionViolationException: Could not resolve method" \
  "  at org.junit.platform.launcher.core.EngineDiscoveryOrchestrator.discover(EngineDiscoveryOrchestrator.java:1)" > "$L/engine.log"
rc engine 1 300 4
# killed by something else (SIGKILL well before its limit: the OOM killer) with only the banner: a failure
echo "$BANNER" > "$L/threads.log"; rc threads 137 45 12
# a JVM crash of its own (exit 134) before any test finished
echo "$BANNER" > "$L/int8.log"; rc int8 134 300 20; crash int8 555
# a kit process stopped at phase A's end, and one that died (not by the time limit) after a converter
for s in tck0 tck1; do
  printf '%s\nTCK-START converter=aten::add\nTCK converter=aten::add cases=256 failures=0 ms=900\nTCK-START converter=aten::conv2d\n' "$BANNER" > "$L/$s.log"
done
rc tck0 124 30 30; rc tck1 134 300 50
# finished: its totals
printf '%s\n[         3 tests successful      ]\n[         0 tests failed          ]\n' "$BANNER" > "$L/sparse.log"; rc sparse 0 300 40
# the bench's Python tests, the interpreter aborted mid-run: no "Ran N tests" line
printf '%s\n%s\n%s\n' "test_a (t.A.test_a) ... ok" "test_b (t.A.test_b) ... <frozen importlib._bootstrap>:488: RuntimeWarning: nanobind: type 'OpSchema' was already registered!" \
  'Critical nanobind error: refusing to add duplicate key "Single" to enumeration "onnx.defs.FormalParameterOption"!' > "$L/bench-py.log"
# a log without an .rc (an older checks.sh's folder): the old wording
echo "$BANNER" > "$L/legacy.log"

S=$(bash "${SUMMARY_SCRIPT:-tools/gpu/checks-summary.sh}" "$L" 2>&1); [[ -n ${SHOW:-} ]] && echo "$S"
bad=0; n=0
want() { n=$(( n + 1 )); grep -q -x -F -- "$1" <<< "$S" || { echo "test-checks-summary: no line: $1"; bad=1; }; }
never() { n=$(( n + 1 )); if grep -q -E -- "$1" <<< "$S"; then echo "test-checks-summary: a line matches /$1/: $(grep -E -- "$1" <<< "$S" | head -1)"; bad=1; fi; }
want "e2e-resnet50.log: cut off by its time limit (30 s) before its totals (a killed JUnit run prints no test tree)"
want "e2e-vit_b_16.log: cut off by its time limit (30 s) before its totals (a killed JUnit run prints no test tree)"
want "fallback-gpt2_blocks.log: cut off by its time limit (45 s) before its totals (a killed JUnit run prints no test tree)"
want "JVM CRASH hs_err_e2e-vit_b_16_10739.log: # Problematic frame: # C  [libnvinfer.so.10+0x244b782] (at the time limit's kill, 30 s: the JVM was stopped mid-run)"
want "engine.log: FAILED, no test ran: org.junit.platform.commons.PreconditionViolationException: Could not resolve method"
want "threads.log: FAILED, no test ran: no exception in the log (1 lines; exit 137)"
want "int8.log: FAILED, no test ran: no exception in the log (1 lines; exit 134)"
want "JVM CRASH hs_err_int8_555.log: # Problematic frame: # C  [libnvinfer.so.10+0x244b782] "
want "tck0.log: cut off at phase A's end after 1 converter(s) (aten::add failures=0); not finished: aten::conv2d"
want "tck1.log: cut off at phase A's end after 1 converter(s) (aten::add failures=0); not finished: aten::conv2d (not by the time limit: exit 134)"
want "sparse.log: [ 3 tests successful ] [ 0 tests failed ] "
want "legacy.log: FAILED, no test ran: no exception in the log (1 lines; a JVM killed by the time limit?)"
want "warm-up rc=0 at 41s"
want 'bench-py.log: FAILED, the Python tests ended before their totals, in test 2 (test_b): Critical nanobind error: refusing to add duplicate key "Single" to enumeration "onnx.defs.FormalParameterOption"!'
never 'Picked up'
never '^(e2e-resnet50|e2e-vit_b_16|fallback-gpt2_blocks)\.log: FAILED'
never '^JVM CRASH hs_err_int8_.*time limit'
never '\.rc'
if (( bad )); then printf 'test-checks-summary: the summary was:\n%s\ntest-checks-summary: FAILED\n' "$S"; exit 1; fi
echo "test-checks-summary: $n expectations on tools/gpu/checks-summary.sh hold"
