#!/usr/bin/env bash
# The summary of tools/gpu/checks.sh, from its log folder (what checks.sh writes to $OUT/summary.txt):
#
#   bash tools/gpu/checks-summary.sh LOG_FOLDER > summary.txt
#
# LOG_FOLDER holds gpu.txt, phases.txt, warm-up.txt, [torch-cuda.txt], [export.log], NAME.log per check,
# NAME.rc per check (its run's `exit=RC limit=S elapsed=S`, written by checks.sh's run()), [tck-crashes.txt] and
# the JVMs' crash reports hs_err_NAME_PID.log. A separate script so that CI can drive it on a made-up folder
# (tools/gpu/test-checks-summary.sh), without a GPU.
set -u
L=${1:?usage: checks-summary.sh LOG_FOLDER}
# the timeout's exit status and limit of check NAME: "RC LIMIT ELAPSED", or nothing for a log run() did not write
rc_of() { [[ -f $L/$1.rc ]] || return 0
  sed -n 's/^exit=\([0-9]*\) limit=\([0-9]*\) elapsed=\([0-9]*\).*/\1 \2 \3/p' "$L/$1.rc" | head -1; }
# stopped by its time limit: timeout's own 124, or 137 (SIGKILL) once the limit had passed (not the OOM killer's)
killed() { local rc limit elapsed
  read -r rc limit elapsed <<< "$(rc_of "$1")"
  [[ -n ${rc:-} ]] || return 1
  (( rc == 124 || (rc == 137 && elapsed >= limit) ))
}
limit_of() { local rc limit elapsed; read -r rc limit elapsed <<< "$(rc_of "$1")"; echo "${limit:-?}"; }
cat "$L/gpu.txt" "$L/phases.txt"; tail -1 "$L/warm-up.txt"; cat "$L/torch-cuda.txt" 2>/dev/null; tail -1 "$L/export.log" 2>/dev/null
grep -h -E '^(TCK-TOTAL|HYBRID|GPU-SUMMARY|GPU-CONVERTER|BENCH-GPU)' "$L"/*.log
# a JUnit log without totals ran nothing (a selector that did not resolve fails the whole JVM's discovery):
# said as a failure, with the log's first exception, never as an empty line; or, when the time limit stopped the
# process, said so (the console prints its test tree only at the end, so a killed JVM's log shows no test at all)
for f in "$L"/*.log; do
  b=$(basename "$f"); name=${b%.log}
  case $b in hs_err_*|export.log) continue ;; esac
  totals=$(grep -E 'tests (successful|failed)' "$f" | tr -s ' ' | tr '\n' ' ')
  ran=$(grep -c '^TCK converter=' "$f")
  if [[ $b == bench-py.log ]]; then
    # unittest prints "Ran N tests" and OK or FAILED at the end; without them the interpreter died mid-run (onnx
    # imported twice under a patched sys.modules aborted it in nanobind, 2026-12-05, twentieth session)
    if grep -q -E '^Ran ' "$f"; then echo "bench-py.log: $(grep -E '^Ran ' "$f") $(tail -1 "$f")"
    else
      started=$(grep -E '^test_[^ ]+ \(.*\) \.\.\. ' "$f")   # unittest -v: "test_x (module.Class.test_x) ... "
      echo "bench-py.log: FAILED, the Python tests ended before their totals, in test $(grep -c . <<< "$started") ($(tail -1 <<< "$started" | cut -d' ' -f1)): $(tail -1 "$f" | cut -c1-200)"
    fi
  elif [[ -n $totals ]]; then echo "$b: $totals"
  elif (( ran > 0 )); then
    # a kit process stopped by phase A's end: what it finished is in its TCK lines, the converter it was on is not
    how=""
    if [[ -n $(rc_of "$name") ]] && ! killed "$name"; then how=" (not by the time limit: exit $(rc_of "$name" | cut -d' ' -f1))"; fi
    echo "$b: cut off at phase A's end after $ran converter(s) ($(grep '^TCK converter=' "$f" | sed 's/^TCK converter=\([^ ]*\).* failures=\([0-9]*\).*/\1 failures=\2/' | paste -sd, -)); not finished: $(grep '^TCK-START' "$f" | tail -1 | sed 's/TCK-START converter=//')$how"
  elif killed "$name"; then
    echo "$b: cut off by its time limit ($(limit_of "$name") s) before its totals (a killed JUnit run prints no test tree)"
  else
    # the JVM's own banner (Picked up JAVA_TOOL_OPTIONS: ... -XX:ErrorFile=...) is no exception
    real=$(grep -v -E '^(NOTE: )?Picked up ' "$f")
    why=$(grep -E '^Caused by' <<< "$real" | tail -1); [[ -n $why ]] || why=$(grep -m1 -E 'Exception|Error' <<< "$real")
    if [[ -z $why ]]; then
      if [[ -n $(rc_of "$name") ]]; then why="no exception in the log ($(wc -l < "$f") lines; exit $(rc_of "$name" | cut -d' ' -f1))"
      else why="no exception in the log ($(wc -l < "$f") lines; a JVM killed by the time limit?)"; fi
    fi
    echo "$b: FAILED, no test ran: ${why:0:300}"
  fi
done
grep -h -E '=> ' "$L"/*.log | sort | uniq -c | sort -rn | head -30
grep -h '^TCK converter' "$L"/*.log | grep -v 'failures=0 '
cat "$L/tck-crashes.txt" 2>/dev/null
# hs_err_NAME_PID.log: a JVM that the time limit stopped can still crash on its way out (SIGTERM ends the JVM while
# a thread is inside TensorRT's builder: SIGSEGV in libnvinfer, 2026-12-05), which is not a crash of its own
for f in "$L"/hs_err_*.log; do
  [[ -f $f ]] || continue
  name=$(basename "$f" .log); name=${name#hs_err_}; name=${name%_*}
  at=""; killed "$name" && at="(at the time limit's kill, $(limit_of "$name") s: the JVM was stopped mid-run)"
  echo "JVM CRASH $(basename "$f"): $(grep -m1 -E '^# (Problematic frame|C  \[)' -A1 "$f" | tr '\n' ' ')$at"
done
