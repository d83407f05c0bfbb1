#!/usr/bin/env bash
# Installs the real, pinned client libraries the end-to-end tests drive
# (tests/clients.rs): a Python venv from tests/clients/requirements.txt and the
# node packages of tests/clients/js/package-lock.json.
#
# Usage: tests/clients/setup.sh [E2E_DIR]   (default: target/e2e)
#
#   E2E_DIR/venv            python3 -m venv, pip install -r requirements.txt
#   E2E_DIR/node            package.json + package-lock.json, npm ci
#   E2E_DIR/stamp           hash of what was installed; when it matches, the
#                           script does nothing, so running it again is cheap
#
# Only the package registries configured for pip and npm are contacted. Safe to
# run concurrently: a lock file serialises installers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
e2e="${1:-$root/target/e2e}"
mkdir -p "$e2e"
e2e="$(cd "$e2e" && pwd)"

inputs=("$here/requirements.txt" "$here/js/package.json" "$here/js/package-lock.json" "$here/setup.sh")

fingerprint() {
    {
        cat "${inputs[@]}"
        python3 --version 2>&1
        node --version 2>&1
    } | sha256sum | cut -d' ' -f1
}

up_to_date() {
    [[ -f "$e2e/stamp" && -x "$e2e/venv/bin/python" && -d "$e2e/node/node_modules" ]] &&
        [[ "$(cat "$e2e/stamp")" == "$(fingerprint)" ]]
}

if up_to_date; then
    exit 0
fi

# One installer at a time; whoever waited finds the work done.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$e2e/.lock"
    flock 9
    if up_to_date; then
        exit 0
    fi
fi

echo "setup: installing the client libraries into $e2e" >&2
started=$SECONDS
rm -f "$e2e/stamp"

rm -rf "$e2e/venv"
python3 -m venv "$e2e/venv"
"$e2e/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$here/requirements.txt"

rm -rf "$e2e/node"
mkdir -p "$e2e/node"
cp "$here/js/package.json" "$here/js/package-lock.json" "$e2e/node/"
(
    cd "$e2e/node"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
)

fingerprint >"$e2e/stamp"
echo "setup: done in $((SECONDS - started)) s" >&2
