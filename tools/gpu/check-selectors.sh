#!/usr/bin/env bash
# Checks, without a GPU, that every test the GPU scripts name exists: each `dev.kiln.X` class and each
# `dev.kiln.X#method` selector in tools/gpu/*.sh must match a test class in some module's src/test/java and a
# method of it, and a method that takes parameters (a @TempDir, say) must be selected with them, as
# `X#method(java.nio.file.Path)`: JUnit's method selector does not resolve it otherwise, and the whole JVM's
# discovery fails. That happened on the H200 (2026-12-04, sixth session): six EngineGpuTest checks did not run,
# and the summary only showed an empty line for them. CI runs this (.ci/run).
#
#   bash tools/gpu/check-selectors.sh        # exit 1 and one line per broken selector
set -uo pipefail
cd "$(dirname "$0")/../.."
bad=0
# the shell variables the scripts use for class names (H=dev.kiln.compiler.HybridGpuTest, ...)
declare -A VARS
while IFS='=' read -r k v; do VARS[$k]=$v; done < <(grep -h -o -E '\b[A-Z]+=dev\.kiln\.[A-Za-z0-9_.]+' tools/gpu/*.sh)
source_of() { # CLASS -> its test source file, or nothing
  local rel=${1//.//}.java
  compgen -G "*/src/test/java/$rel" | head -1
  compgen -G "*/*/src/test/java/$rel" | head -1
}
check() { local sel=$1 where=$2 cls method params src decl
  cls=${sel%%#*}
  src=$(source_of "$cls" | head -1)
  if [[ -z $src ]]; then echo "check-selectors: $where: no test class $cls in any module's src/test/java"; bad=1; return; fi
  [[ $sel == *#* ]] || return 0
  method=${sel#*#}; params=""
  if [[ $method == *\(* ]]; then params=${method#*(}; params=${params%)}; method=${method%%(*}; fi
  # a declaration: a return type (void, Stream<DynamicTest>, ...) before the name, at the start of a line
  decl=$(grep -E "^[[:space:]]+([a-z]+ )*[A-Za-z0-9_<>,.? ]+[[:space:]]$method\(" "$src" | grep -v -E '^[[:space:]]+(return|new) ' | head -1)
  if [[ -z $decl ]]; then echo "check-selectors: $where: $cls has no method $method ($src)"; bad=1; return; fi
  local declared=${decl#*(}; declared=${declared%%)*}
  if [[ -n $declared && -z $params ]]; then
    echo "check-selectors: $where: $cls#$method takes ($declared); select it as $cls#$method(<parameter types>), e.g. (java.nio.file.Path) for a @TempDir Path"
    bad=1
  elif [[ -z $declared && -n $params ]]; then
    echo "check-selectors: $where: $cls#$method takes no parameters but is selected with ($params)"; bad=1
  fi
}
n=0
for f in tools/gpu/*.sh; do
  [[ $f == tools/gpu/check-selectors.sh ]] && continue
  while IFS= read -r line; do
    lineno=${line%%:*}; text=${line#*:}
    text=${text%%#\ *}   # not what a comment says
    for tok in $(grep -o -E '("?\$[A-Z]+|dev\.kiln\.[A-Za-z0-9_.]+)(#[A-Za-z0-9_]+(\([A-Za-z0-9_.,]*\))?)?' <<< "$text" | tr -d '"'); do
      if [[ $tok == \$* ]]; then
        var=${tok%%#*}; var=${var#\$}
        [[ -n ${VARS[$var]:-} ]] || continue
        [[ $tok == *#* ]] || continue   # the variable alone is its definition's business
        tok=${VARS[$var]}#${tok#*#}
      fi
      [[ $tok =~ (GpuTest|Test|ConformanceTest)(#|$) ]] || continue
      check "$tok" "$f:$lineno"; n=$(( n + 1 ))
    done
  done < <(grep -n -E 'dev\.kiln\.|\$[A-Z]+#' "$f" | grep -v -E '^[0-9]+:\s*#')
done
if (( bad )); then echo "check-selectors: FAILED"; exit 1; fi
echo "check-selectors: $n test selectors in tools/gpu/*.sh resolve"
