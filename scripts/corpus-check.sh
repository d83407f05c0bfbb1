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
total=0 passed=0 invalid_total=0 rejected=0
failures=$(mktemp)
while IFS=$'\t' read -r path java dmn invalid _; do
  [ "$java" = no ] && [ "$dmn" = no ] || continue
  if [ "$invalid" = yes ]; then
    # Camunda refuses these; Baton should too.
    invalid_total=$((invalid_total + 1))
    "$baton" validate "$path" >/dev/null 2>&1 || rejected=$((rejected + 1))
    continue
  fi
  [ "$invalid" = no ] || continue
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
awk -v p="$passed" -v t="$total" 'BEGIN { printf "corpus: %d of %d Java-free, valid models pass baton validate (%.1f%%)\n", p, t, 100 * p / t }'
awk -v r="$rejected" -v t="$invalid_total" 'BEGIN { printf "corpus: %d of %d Java-free models that Camunda refuses are refused too (%.1f%%)\n", r, t, 100 * r / t }'
