# Sourced on the GPU machine inside `bash .gpu/device.sh sh '...'`, after the tc.NN parts that
# tools/gpu/stage-torch-cuda.sh made were taken:
#
#   source tools/gpu/torch-cuda.sh N && bash tools/gpu/junit.sh ...
#
# Unpacks libtorch's CUDA build once (into $GPU_STAGE_HOME/tc) and puts it first: its natives' folder
# on CP (JavaCPP prefers the -gpu natives to the CPU jar's) and its CUDA libraries on LD_LIBRARY_PATH.
# Returns non-zero, saying why, when parts are missing.
kiln_torch_cuda() {
  local n=$1 have tc=$GPU_STAGE_HOME/tc
  if [[ ! -f $tc/.complete ]]; then
    have=$(ls "$GPU_STAGE_HOME/parts" | grep -c '^tc\.[0-9]' || true)
    if [[ $have -ne $n ]]; then
      echo "torch-cuda: $have of $n parts here; take the missing ones first" >&2
      return 3
    fi
    rm -rf "$tc"; mkdir -p "$tc"
    chmod +x .gpu/zstd 2>/dev/null
    cat "$GPU_STAGE_HOME"/parts/tc.[0-9]* | .gpu/zstd -q -d --long=30 | tar -xf - -C "$tc" || return 3
    touch "$tc/.complete"
  fi
  export CP="$tc/cp:$CP"
  export LD_LIBRARY_PATH="$tc/lib:$LD_LIBRARY_PATH"
  echo "torch-cuda: libtorch's CUDA build is on the class path ($(du -sh "$tc" | cut -f1))"
}
kiln_torch_cuda "${1:?number of tc parts}"
