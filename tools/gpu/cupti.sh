#!/usr/bin/env bash
# Puts CUPTI (libcupti.so.12, from the CUDA 12.6 redist jar the staging already downloaded) in .gpu/cupti/, to carry
# with a device call that profiles kernels: the bench's `kernels` group (bench/run.sh) and BenchGpuTest's kernel
# profile. The staged runtime holds only the CUDA libraries the presets link against; CUPTI (8 MB) is not one.
#
#   bash tools/gpu/cupti.sh        # then add ".gpu/cupti" to the call's carry list
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=""
for j in "$HOME/.cache/gpu-stage/cuda-12.6-9.5-1.5.11-linux-x86_64-redist.jar" \
         "$HOME/.m2/repository/org/bytedeco/cuda/12.6-9.5-1.5.11/cuda-12.6-9.5-1.5.11-linux-x86_64-redist.jar"; do
  [[ -f $j ]] && { JAR=$j; break; }
done
if [[ -z $JAR ]]; then
  echo "cupti.sh: no CUDA 12.6 redist jar here; run ../shared/gpu/stage first (it downloads it)" >&2
  exit 2
fi
mkdir -p .gpu/cupti
unzip -q -j -o "$JAR" 'org/bytedeco/cuda/linux-x86_64/libcupti.so.12' -d .gpu/cupti
echo "cupti.sh: $(du -h .gpu/cupti/libcupti.so.12 | cut -f1) in .gpu/cupti/ (carry \".gpu/cupti\")"
