#!/usr/bin/env bash
# Installs the hotel example's Python packages (requirements.txt, pinned) into
# a venv, for run.sh and for the tests (tests/hotel.rs).
#
# Usage: examples/hotel-reservation/setup.sh [DIR]   (default: target/hotel)
#
#   DIR/venv    python3 -m venv, pip install -r requirements.txt
#   DIR/stamp   hash of what was installed; when it matches, the script does
#               nothing, so running it again is cheap
#
# Only the package index configured for pip is contacted. Safe to run
# concurrently: a lock file serialises installers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dir="${1:-$root/target/hotel}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

fingerprint() {
    {
        cat "$here/requirements.txt" "$here/setup.sh"
        python3 --version 2>&1
    } | sha256sum | cut -d' ' -f1
}

up_to_date() {
    [[ -f "$dir/stamp" && -x "$dir/venv/bin/python" ]] &&
        [[ "$(cat "$dir/stamp")" == "$(fingerprint)" ]]
}

if up_to_date; then
    exit 0
fi

# One installer at a time; whoever waited finds the work done.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$dir/.lock"
    flock 9
    if up_to_date; then
        exit 0
    fi
fi

echo "setup: installing the hotel example's Python packages into $dir/venv" >&2
started=$SECONDS
rm -f "$dir/stamp"
rm -rf "$dir/venv"
python3 -m venv "$dir/venv"
"$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$here/requirements.txt"
fingerprint >"$dir/stamp"
echo "setup: done in $((SECONDS - started)) s" >&2
