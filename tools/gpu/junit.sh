#!/usr/bin/env bash
# Runs selected @Tag("gpu") test classes on the GPU machine, inside `bash .gpu/device.sh sh '...'`
# (which sets JAVA, CP, TEST_CLASSES and GPU_STAGE_HOME). device.sh's own `test` verb scans the whole
# class path and cannot take selectors; this one takes class names.
#
#   bash .gpu/device.sh sh 'bash tools/gpu/junit.sh REPORT_NAME dev.kiln.X [dev.kiln.Y#method ...]'
#
# System properties for the tests go in JAVA_TOOL_OPTIONS. The console output goes to
# $OUT/REPORT_NAME.log and the XML reports to $OUT/REPORT_NAME-junit.tgz.
set -uo pipefail
name=$1; shift
sel=()
for c in "$@"; do
  if [[ $c == *#* ]]; then sel+=(--select-method "$c"); else sel+=(--select-class "$c"); fi
done
"$JAVA" -jar "$GPU_STAGE_HOME/app/junit-console.jar" execute --disable-banner --details=tree \
  --disable-ansi-colors --class-path "$TEST_CLASSES:$CP" "${sel[@]}" --include-tag gpu \
  --reports-dir "$OUT/$name-junit" > "$OUT/$name.log" 2>&1
rc=$?
(cd "$OUT" && tar -czf "$name-junit.tgz" "$name-junit" && rm -rf "$name-junit")
echo "$name: exit $rc"
exit $rc
