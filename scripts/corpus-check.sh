#!/usr/bin/env bash
# Runs `baton validate` over Camunda's own engine test models and prints the
# share that passes; then deploys each of them to a throw-away `baton serve`
# (which also schedules timer start events and subscribes message and signal
# start events) and prints the share the engine accepts.
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

# Deploy each model the way Camunda Modeler does, one deployment per file.
out=$(mktemp)
"$baton" serve --db :memory: --port 0 >"$out" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
url=$(sed -n 's/^Baton listening on //p' "$out")
deployed=0
while IFS=$'\t' read -r path java dmn invalid _; do
  [ "$java" = no ] && [ "$dmn" = no ] && [ "$invalid" = no ] || continue
  name=$(basename "$path")
  case "$name" in *.bpmn | *.bpmn20.xml) ;; *) name="$name.bpmn" ;; esac
  status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/deployment/create" \
    -F "deployment-name=$path" -F "$name=@$path;filename=$name;type=text/xml")
  [ "$status" = 200 ] && deployed=$((deployed + 1))
done < <(tail -n +2 manifest.tsv)
awk -v p="$deployed" -v t="$total" 'BEGIN { printf "corpus: %d of %d deploy on the engine (%.1f%%)\n", p, t, 100 * p / t }'
