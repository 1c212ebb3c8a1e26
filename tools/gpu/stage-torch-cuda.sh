#!/usr/bin/env bash
# Packs libtorch's CUDA build for the GPU machine, beside what ../shared/gpu/stage packs (which carries
# only the CPU build of libtorch). Run it here, from the project's root, after ../shared/gpu/stage:
#
#   bash tools/gpu/stage-torch-cuda.sh            -> .gpu/tc.00 ... .gpu/tc.NN and the calls to make
#
# The parts hold, zstd-compressed:
#   cp/org/bytedeco/pytorch/linux-x86_64-gpu/*   the natives of org.bytedeco:pytorch:2.5.1-1.5.11:linux-x86_64-gpu;
#                                                a class path folder, so JavaCPP loads them in place (it
#                                                prefers the -gpu natives to the CPU jar's when both are there)
#   lib/                                         the CUDA 12.6 libraries libtorch_cuda needs beyond what the
#                                                runtime parts have (cusparse, cufft, curand, cusolver, cupti,
#                                                nvJitLink), from the JavaCPP cuda redist jar, and cusolverMg,
#                                                which JavaCPP's own cusolver bindings (loaded by torch_cuda) need
# On the GPU machine: one `bash .gpu/device.sh take tc.NN` call per part, then in the test call
#   source tools/gpu/torch-cuda.sh N && ...       (N = the number of parts; it unpacks once, then sets CP and
#                                                LD_LIBRARY_PATH so that libtorch runs on CUDA)
# The parts are cached in ~/.cache/gpu-stage (KILN_GPU_CACHE) and rebuilt only when the jars change.
set -euo pipefail
[[ -f pom.xml && -d .gpu ]] || { echo "stage-torch-cuda: run me from the project's root after ../shared/gpu/stage" >&2; exit 2; }
CACHE=${KILN_GPU_CACHE:-$HOME/.cache/gpu-stage}
PART_MIB=${PART_MIB:-$(ls -l .gpu/rt.00 2>/dev/null | awk '{print int($5 / 1048576)}')}
PART_MIB=${PART_MIB:-52}
ZSTD=.gpu/zstd
TORCH=org/bytedeco/pytorch/2.5.1-1.5.11/pytorch-2.5.1-1.5.11-linux-x86_64-gpu.jar
CUDA=cuda-12.6-9.5-1.5.11-linux-x86_64-redist.jar
M2=${M2_REPO:-$HOME/.m2/repository}
if [[ ! -f $M2/$TORCH ]]; then
  echo "stage-torch-cuda: fetching libtorch's CUDA build (500 MB) once ..."
  mvn -B -q dependency:get -Dartifact=org.bytedeco:pytorch:2.5.1-1.5.11:jar:linux-x86_64-gpu -Dtransitive=false
fi
if [[ ! -f $CACHE/$CUDA ]]; then
  echo "stage-torch-cuda: fetching the CUDA 12.6 redist jar (2 GB) once ..."
  mkdir -p "$CACHE"
  curl -fsSL -o "$CACHE/$CUDA.part" "https://repo1.maven.org/maven2/org/bytedeco/cuda/12.6-9.5-1.5.11/$CUDA"
  mv "$CACHE/$CUDA.part" "$CACHE/$CUDA"
fi
key=$( (sha256sum "$M2/$TORCH" | cut -c1-16; echo "$CUDA $PART_MIB") | sha256sum | cut -c1-16)
DIR=$CACHE/torch-cuda-$key
if [[ ! -f $DIR/.complete ]]; then
  echo "stage-torch-cuda: packing (a few minutes) ..."
  rm -rf "$DIR"; mkdir -p "$DIR/root/cp" "$DIR/root/lib"
  unzip -q -o "$M2/$TORCH" 'org/bytedeco/pytorch/linux-x86_64-gpu/*' -d "$DIR/root/cp"
  for l in libcufft.so.11 libcusparse.so.12 libcusolver.so.11 libcusolverMg.so.11 libcurand.so.10 libcupti.so.12 libnvJitLink.so.12; do
    unzip -q -o -j "$CACHE/$CUDA" "org/bytedeco/cuda/linux-x86_64/$l" -d "$DIR/root/lib"
  done
  tar -C "$DIR/root" -cf - . | "$ZSTD" -q -T0 -12 --long=30 | split -b "${PART_MIB}M" -d -a 2 - "$DIR/tc."
  rm -rf "$DIR/root"
  touch "$DIR/.complete"
fi
rm -f .gpu/tc.[0-9]*
cp "$DIR"/tc.[0-9]* .gpu/
n=$(ls .gpu/tc.[0-9]* | wc -l)
echo "stage-torch-cuda: $n parts in .gpu/ ($(du -ch .gpu/tc.[0-9]* | tail -1 | cut -f1)); after the runtime parts, one call each:"
for p in .gpu/tc.[0-9]*; do
  b=$(basename "$p")
  echo "run  command: bash .gpu/device.sh take $b    carry: [\".gpu/$b\", \".gpu/device.sh\", \".gpu/zstd\", \".gpu/rt.sha\", \".gpu/rt.count\"]"
done
echo "then, in the test call: source tools/gpu/torch-cuda.sh $n && ..."
