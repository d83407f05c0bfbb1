#!/usr/bin/env bash
# Runs `baton validate` over Camunda's own engine test models and prints the
# share that passes.
#
#   scripts/corpus-check.sh CORPUS_DIR [--list-failures]
#
# CORPUS_DIR holds a manifest.tsv (path, java, dmn, expected_invalid, ...) and
# the models it names. Only the models that need no Java, no DMN and are not
# meant to fail are checked: those are the ones a deployment must accept.
# The corpus is not part of this repository; the project's tests do not use it.
set -euo pipefail
corpus=${1:?usage: scripts/corpus-check.sh CORPUS_DIR [--list-failures]}
list=${2:-}
cd "$(dirname "$0")/.."
cargo build --quiet --release
baton=$PWD/target/release/baton
cd "$corpus"
total=0 passed=0
failures=$(mktemp)
while IFS=$'\t' read -r path java dmn invalid _; do
  [ "$java" = no ] && [ "$dmn" = no ] && [ "$invalid" = no ] || continue
  total=$((total + 1))
  if "$baton" validate "$path" >/dev/null 2>&1; then
    passed=$((passed + 1))
  else
    "$baton" validate "$path" | grep -E ': error\[' >>"$failures" || true
  fi
done < <(tail -n +2 manifest.tsv)
if [ "$list" = --list-failures ]; then cat "$failures"; fi
echo "errors by code:"
grep -o 'error\[[a-z-]*\]' "$failures" | sort | uniq -c | sort -rn || true
rm -f "$failures"
echo "corpus: $passed of $total Java-free, valid models pass baton validate ($((100 * passed / total))%)"
