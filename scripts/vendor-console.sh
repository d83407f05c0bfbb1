#!/usr/bin/env bash
# Vendors the console's third-party assets from pinned npm packages into
# console/vendor/, and records their SHA-256 in console/vendor/SHA256SUMS.
#
# `cargo build` never runs npm: the files this script writes are committed, and
# `cargo test --test tidy` checks that they still hash to what SHA256SUMS says.
# Run it by hand after changing a version below; npm checks each package
# against the integrity hash its registry publishes.
#
#   bash scripts/vendor-console.sh
#
# bpmn-js and form-js are under the MIT licence plus the bpmn.io clause: the
# bpmn.io watermark they render must not be removed, changed or covered. Each
# package's LICENSE is copied beside its files.
set -euo pipefail

BPMN_JS=18.31.1
FORM_JS=1.23.0

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/console/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "bpmn-js@$BPMN_JS" "@bpmn-io/form-js@$FORM_JS" > /dev/null
mkdir bpmn-js form-js
tar xzf "bpmn-js-$BPMN_JS.tgz" -C bpmn-js
tar xzf "bpmn-io-form-js-$FORM_JS.tgz" -C form-js

rm -rf "$out"
mkdir -p "$out/bpmn-js-$BPMN_JS" "$out/form-js-$FORM_JS"
cp bpmn-js/package/dist/bpmn-navigated-viewer.production.min.js \
   bpmn-js/package/dist/assets/bpmn-js.css \
   bpmn-js/package/dist/assets/diagram-js.css \
   bpmn-js/package/LICENSE \
   "$out/bpmn-js-$BPMN_JS/"
cp form-js/package/dist/form-viewer.umd.js \
   form-js/package/dist/assets/form-js.css \
   form-js/package/LICENSE \
   "$out/form-js-$FORM_JS/"

cd "$out"
find . -type f ! -name SHA256SUMS | LC_ALL=C sort | sed 's|^\./||' | xargs sha256sum > SHA256SUMS
echo "vendored into $out:"
cat SHA256SUMS
